"""Selling credit packs: Telegram Stars (and optionally a Telegram payment provider) and Stripe Checkout.

Every payment is credited exactly once: the payment row (``UNIQUE (provider, external id)``) and its ledger row
are written in one transaction, so a repeated ``successful_payment`` or a replayed Stripe event changes nothing.
A refund takes back the pack's credits that are still unspent (never driving the balance below zero) and says how
many were already spent.

Errors::

    PaymentError               base; ``key`` names the user text
    └── PreCheckoutRefused     the pre-checkout query must be declined (forged payload, wrong pack/amount, banned)
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from billing import invoices
from billing.credits import Credits
from billing.invoices import BadPayload, InvoicePayload
from billing.packs import CreditPack
from billing.stripe_checkout import StripeCheckout, StripeSession
from storage import Database, LedgerEntry, LedgerRepository, Payment, PaymentRepository, Provider

log = logging.getLogger(__name__)
STARS = "XTR"


class PaymentError(Exception):
    """A payment request that cannot be served; ``key`` names the user text."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key


class PreCheckoutRefused(PaymentError):
    """Decline the pre-checkout query with the text named by ``key``."""


@dataclass(frozen=True, slots=True)
class Invoice:
    """What to put in a Telegram invoice."""

    pack: CreditPack
    payload: str
    currency: str
    amount: int  # Stars, or the currency's minor unit


@dataclass(frozen=True, slots=True)
class Credited:
    """The outcome of crediting a payment: ``new`` is False for a repeat of one already credited."""

    new: bool
    payment: Payment
    paid_balance: int


@dataclass(frozen=True, slots=True)
class Refunded:
    """The outcome of a refund: how many credits were taken back and how many had already been spent."""

    payment: Payment
    debited: int
    already_spent: int
    already_refunded: bool = False


@dataclass(frozen=True, slots=True)
class StripeOutcome:
    """What a Stripe webhook event did."""

    kind: Literal["credited", "duplicate", "ignored"]
    credited: Credited | None = None


class Payments:
    """Packs, invoices, crediting and refunds."""

    def __init__(
        self,
        db: Database,
        credits: Credits,
        packs: tuple[CreditPack, ...],
        *,
        secret: bytes,
        clock: Callable[[], datetime],
        stripe: StripeCheckout | None = None,
        fiat_currency: str | None = None,
        on_payment: Callable[[Provider], None] | None = None,
    ) -> None:
        self._db, self._credits, self.packs, self._clock = db, credits, packs, clock
        self._key = invoices.derive_key(secret)
        self._ledger, self.records = LedgerRepository(db), PaymentRepository(db)
        self.stripe = stripe
        self.fiat_currency = fiat_currency  # set when a Telegram payment provider token is configured
        self._on_payment = on_payment  # called once per newly credited payment (never for a repeat)

    def pack(self, pack_id: str) -> CreditPack | None:
        """The pack with this id, or None."""
        return next((p for p in self.packs if p.id == pack_id), None)

    # --- Telegram invoices ----------------------------------------------------------------------------------

    def invoice(self, pack_id: str, telegram_id: int, *, method: Literal["stars", "fiat"] = "stars") -> Invoice:
        """A signed invoice for a pack, in Stars or (with a provider) the fiat currency."""
        pack = self.pack(pack_id)
        if pack is None or (method == "fiat" and self.fiat_currency is None):
            raise PaymentError("payments.unknown_pack")
        payload = invoices.make(self._key, InvoicePayload(method, pack.id, telegram_id))
        if method == "stars":
            return Invoice(pack, payload, STARS, pack.stars)
        assert self.fiat_currency is not None
        return Invoice(pack, payload, self.fiat_currency, pack.usd_cents)

    def check_pre_checkout(
        self, payload: str, currency: str, total_amount: int, telegram_id: int, *, banned: bool
    ) -> CreditPack:
        """Approve or refuse a pre-checkout query: our signature, this user, a real pack, the right amount."""
        try:
            content = invoices.verify(self._key, payload)
        except BadPayload:
            log.warning("pre-checkout refused: forged or altered payload from user %s", telegram_id)
            raise PreCheckoutRefused("payments.refused_invalid") from None
        pack = self.pack(content.pack_id)
        expected = (
            None
            if pack is None
            else (STARS, pack.stars)
            if content.method == "stars"
            else (self.fiat_currency, pack.usd_cents)
        )
        if pack is None or content.telegram_id != telegram_id or expected != (currency, total_amount):
            log.warning("pre-checkout refused: payload does not match pack/amount/user %s", telegram_id)
            raise PreCheckoutRefused("payments.refused_invalid")
        if banned:
            raise PreCheckoutRefused("payments.refused_banned")
        return pack

    async def credit_telegram(
        self, *, charge_id: str, payload: str, currency: str, amount: int, telegram_id: int, fingerprint: str
    ) -> Credited:
        """Credit a ``successful_payment`` once per ``telegram_payment_charge_id``."""
        content = invoices.verify(self._key, payload)  # Telegram only charges approved invoices; verify anyway
        pack = self.pack(content.pack_id)
        if pack is None:
            raise PaymentError("payments.unknown_pack", f"paid for unknown pack {content.pack_id}")
        provider: Provider = "stars" if currency == STARS else "telegram"
        return await self._credit(provider, charge_id, pack, telegram_id, fingerprint, amount, currency, None)

    # --- Stripe ---------------------------------------------------------------------------------------------

    async def stripe_session(self, pack_id: str, telegram_id: int, fingerprint: str, request_id: str) -> StripeSession:
        """A Stripe Checkout Session for a pack; ``request_id`` makes retries of the same press idempotent."""
        pack = self.pack(pack_id)
        if pack is None or self.stripe is None:
            raise PaymentError("payments.unknown_pack")
        return await self.stripe.create_session(pack, telegram_id, fingerprint, f"checkout:{telegram_id}:{request_id}")

    async def handle_stripe_event(self, raw_body: bytes, signature: str | None) -> StripeOutcome:
        """Verify and apply a webhook event; raises ``StripeSignatureError`` for a bad or stale signature."""
        assert self.stripe is not None
        event = self.stripe.verify(raw_body, signature)
        if event.type != "checkout.session.completed" or event.payment_status != "paid":
            return StripeOutcome("ignored")
        pack = self.pack(event.pack_id or "")
        if pack is None or event.amount_total != pack.usd_cents or event.fingerprint is None:
            log.error("Stripe session %s does not match a pack; not credited", event.session_id)
            return StripeOutcome("ignored")
        async with self._db.transaction() as conn:  # the event id is remembered with the credit, or not at all
            if not await self.records.record_event(conn, event.event_id, event.type, self._clock()):
                return StripeOutcome("duplicate")
        credited = await self._credit(
            "stripe",
            event.session_id,
            pack,
            event.telegram_id,
            event.fingerprint,
            event.amount_total,
            event.currency,
            event.payment_intent,
        )
        return StripeOutcome("credited" if credited.new else "duplicate", credited)

    # --- crediting and refunds ------------------------------------------------------------------------------

    async def _credit(
        self,
        provider: Provider,
        external_id: str,
        pack: CreditPack,
        telegram_id: int | None,
        fingerprint: str,
        amount: int,
        currency: str,
        payment_intent: str | None,
    ) -> Credited:
        now = self._clock()
        new = True
        try:
            async with self._db.transaction() as conn:
                await self.records.insert(
                    conn,
                    provider=provider,
                    external_id=external_id,
                    telegram_id=telegram_id,
                    fingerprint=fingerprint,
                    pack_id=pack.id,
                    credits=pack.credits,
                    amount=amount,
                    currency=currency,
                    now=now,
                    payment_intent=payment_intent,
                )
                await self._ledger.append(
                    conn,
                    LedgerEntry(
                        fingerprint, "paid", "purchase", pack.credits, now, reference=f"{provider}:{external_id}"
                    ),
                )
        except sqlite3.IntegrityError:
            new = False
        payment = await self.records.find(provider, external_id)
        assert payment is not None
        if new:
            if self._on_payment is not None:
                self._on_payment(provider)
            log.info(
                "credited %s credits for %s payment %s",
                pack.credits,
                provider,
                external_id,
                extra={"fingerprint": fingerprint, "provider": provider},
            )
        return Credited(new, payment, await self._ledger.balance(payment.fingerprint, "paid"))

    async def refund(self, payment: Payment) -> Refunded:
        """Take back the pack's unspent credits and mark the payment refunded (once)."""
        now = self._clock()
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM credit_ledger WHERE fingerprint = ? AND bucket = 'paid'",
                (payment.fingerprint,),
            )
            row = await cursor.fetchone()
            await cursor.close()
            balance = int(row[0]) if row else 0
            debit = max(0, min(payment.credits, balance))
            if not await self.records.mark_refunded(conn, payment.id, debit, now):
                return Refunded(payment, 0, 0, already_refunded=True)
            if debit:
                await self._ledger.append(
                    conn,
                    LedgerEntry(
                        payment.fingerprint,
                        "paid",
                        "refund",
                        -debit,
                        now,
                        reference=f"refund:{payment.provider}:{payment.external_id}",
                        note=f"{payment.credits - debit} of {payment.credits} credits were already spent",
                    ),
                )
        refreshed = await self.records.find(payment.provider, payment.external_id) or payment
        return Refunded(refreshed, debit, payment.credits - debit)

"""Selling credit packs: Telegram Stars (and optionally a Telegram payment provider) and Stripe Checkout.

Every payment is credited exactly once: the payment row (``UNIQUE (provider, external id)``) and its ledger row
are written in one transaction, so a repeated ``successful_payment`` or a replayed Stripe event changes nothing.
A Stripe event id is recorded in that same transaction, never before it: if crediting fails, nothing is recorded
and Stripe's retry credits. A refund (an admin's ``/refund``, Telegram's ``refunded_payment``, or Stripe's
``charge.refunded`` / ``charge.dispute.created``) takes back the pack's credits that are still unspent, the ones
running jobs hold included (never driving the balance below zero), and says how many were already spent. A web
session's credits that ``/link`` moved to a Telegram account are taken back from that account.

Errors::

    PaymentError               base; ``key`` names the user text
    └── PreCheckoutRefused     the pre-checkout query must be declined (forged payload, wrong pack/amount, banned)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from billing import invoices
from billing.credits import Credits
from billing.invoices import BadPayload, InvoicePayload
from billing.packs import CreditPack
from billing.stripe_checkout import CURRENCY as USD
from billing.stripe_checkout import StripeCheckout, StripeEvent, StripeSession
from storage import Connection, Database, LedgerEntry, LedgerRepository, Payment, PaymentRepository, Provider
from storage.web_sessions import linked_fingerprint

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
class Reversal:
    """A refund or dispute made at Stripe (outside the bot) and what it took back."""

    kind: Literal["refund", "dispute"]
    reversal_id: str
    refunded: Refunded
    reason: str = ""


StripeResult = Literal["credited", "duplicate", "ignored", "pending", "failed", "reversed"]


@dataclass(frozen=True, slots=True)
class StripeOutcome:
    """What a Stripe webhook event did.

    ``pending``/``failed``: a delayed payment method (bank debit, voucher) is still being processed / did not go
    through; ``telegram_id`` and ``pack`` say whom to tell. ``reversed``: a refund or dispute from Stripe took the
    pack's unspent credits back (``reversal``).
    """

    kind: StripeResult
    credited: Credited | None = None
    telegram_id: int | None = None
    pack: CreditPack | None = None
    reversal: Reversal | None = None


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
        credited = await self._credit(provider, charge_id, pack, telegram_id, fingerprint, amount, currency, None)
        assert credited is not None  # None only for a repeated Stripe event
        return credited

    # --- Stripe ---------------------------------------------------------------------------------------------

    async def stripe_session(self, pack_id: str, telegram_id: int, fingerprint: str, request_id: str) -> StripeSession:
        """A Stripe Checkout Session for a pack; ``request_id`` makes retries of the same press idempotent."""
        pack = self.pack(pack_id)
        if pack is None or self.stripe is None:
            raise PaymentError("payments.unknown_pack")
        return await self.stripe.create_session(pack, telegram_id, fingerprint, f"checkout:{telegram_id}:{request_id}")

    async def handle_stripe_event(self, raw_body: bytes, signature: str | None) -> StripeOutcome:
        """Verify and apply a webhook event; raises ``StripeSignatureError`` for a bad or stale signature.

        The event id is recorded in the same transaction as its effect (payment row and ledger rows): when that
        fails the error propagates, nothing is recorded, and Stripe's retry is applied afresh.
        """
        assert self.stripe is not None
        event = self.stripe.verify(raw_body, signature)
        if event.type == "checkout.session.completed" and event.payment_status == "paid":
            return await self._stripe_credit(event)
        if event.type == "checkout.session.async_payment_succeeded" and event.payment_status == "paid":
            return await self._stripe_credit(event)
        if event.type == "checkout.session.completed" and event.payment_status == "unpaid":
            return await self._stripe_notice(event, "pending")  # a delayed method: paid (or not) later
        if event.type == "checkout.session.async_payment_failed":
            return await self._stripe_notice(event, "failed")
        if event.type == "charge.refunded":
            return await self._stripe_reversal(event, "refund")
        if event.type == "charge.dispute.created":
            return await self._stripe_reversal(event, "dispute")
        return StripeOutcome("ignored")

    def _stripe_pack(self, event: StripeEvent) -> CreditPack | None:
        """The pack a session pays for, or None when its pack, amount, currency or buyer (the fingerprint in
        ``client_reference_id``) does not match ours."""
        pack = self.pack(event.pack_id or "")
        if pack is None or event.amount_total != pack.usd_cents or event.currency != USD or event.fingerprint is None:
            log.error(
                "Stripe session %s (%s %s, pack %s) does not match a pack; ignored",
                event.session_id,
                event.amount_total,
                event.currency,
                event.pack_id,
            )
            return None
        return pack

    async def _stripe_credit(self, event: StripeEvent) -> StripeOutcome:
        pack = self._stripe_pack(event)
        if pack is None or event.fingerprint is None:
            return StripeOutcome("ignored")
        credited = await self._credit(
            "stripe",
            event.session_id,
            pack,
            event.telegram_id,
            event.fingerprint,
            event.amount_total,
            event.currency,
            event.payment_intent,
            event=event,
        )
        if credited is None:
            return StripeOutcome("duplicate")
        return StripeOutcome("credited" if credited.new else "duplicate", credited)

    async def _stripe_notice(self, event: StripeEvent, kind: Literal["pending", "failed"]) -> StripeOutcome:
        pack = self._stripe_pack(event)
        if pack is None:
            return StripeOutcome("ignored")
        async with self._db.transaction() as conn:
            if not await self.records.record_event(conn, event.event_id, event.type, self._clock()):
                return StripeOutcome("duplicate")
        if await self.records.find("stripe", event.session_id) is not None:
            return StripeOutcome("duplicate")  # Stripe does not order events: the payment was credited already
        log.info("Stripe session %s: delayed payment %s", event.session_id, kind)
        return StripeOutcome(kind, telegram_id=event.telegram_id, pack=pack)

    async def _stripe_reversal(self, event: StripeEvent, kind: Literal["refund", "dispute"]) -> StripeOutcome:
        payment = await self.records.find_stripe(event.payment_intent or "")
        if payment is None or event.reversal_id is None:
            log.warning("Stripe %s %s names no payment of ours (%s); ignored", kind, event.object_id, event.type)
            return StripeOutcome("ignored")
        now = self._clock()
        async with self._db.transaction() as conn:  # the event, the reversal id and the debit: all or nothing
            if not await self.records.record_event(conn, event.event_id, event.type, now):
                return StripeOutcome("duplicate")
            if not await self.records.record_reversal(conn, event.reversal_id, kind, payment.id, now):
                return StripeOutcome("duplicate")
            refunded = await self._take_back(conn, payment, now, f"stripe-{kind}:{event.reversal_id}")
        log.warning(
            "Stripe %s %s of payment %s: %s credits taken back",
            kind,
            event.reversal_id,
            payment.external_id,
            refunded.debited,
            extra={"fingerprint": payment.fingerprint, "provider": "stripe"},
        )
        return StripeOutcome("reversed", reversal=Reversal(kind, event.reversal_id, refunded, event.reason))

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
        *,
        event: StripeEvent | None = None,
    ) -> Credited | None:
        """Record the payment and its ledger row (and the Stripe event, when given) in one transaction.

        Returns None when the Stripe event was seen before. Any database error propagates with nothing written.
        """
        now = self._clock()
        async with self._db.transaction() as conn:
            if event is not None and not await self.records.record_event(conn, event.event_id, event.type, now):
                return None
            payment_id = await self.records.insert(
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
            new = payment_id is not None
            if new:
                await self._ledger.append(
                    conn,
                    LedgerEntry(
                        fingerprint, "paid", "purchase", pack.credits, now, reference=f"{provider}:{external_id}"
                    ),
                )
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
            return await self._take_back(conn, payment, now, f"refund:{payment.provider}:{payment.external_id}")

    async def _take_back(self, conn: Connection, payment: Payment, now: datetime, reference: str) -> Refunded:
        """Inside the caller's transaction: take back the pack's unspent credits, held ones included, once.

        Unspent means the paid balance plus the credits that running or queued jobs hold: the balance is debited
        now (never below zero) and each held credit is claimed with a ``refund-hold`` row on its job, so that when
        the job releases the credit it is taken back in the same transaction (``Credits.settle``) instead of
        returning to the buyer; a job that delivers has spent its credit and keeps it. When ``/link`` moved the
        buyer's (a web session's) credits to a Telegram account, that account's balance and jobs count as well.
        """
        await conn.lock_key(payment.fingerprint)  # one money decision per fingerprint at a time (PostgreSQL)
        current = await self.records.find_in(conn, payment.id) or payment
        if current.status == "refunded":
            return Refunded(current, 0, 0, already_refunded=True)
        # A web session's credits may have moved to a Telegram account with /link: take them back from there too.
        moved_to = await linked_fingerprint(conn, payment.fingerprint)
        holders = [payment.fingerprint] + ([moved_to] if moved_to is not None else [])
        debits: list[tuple[str, int]] = []
        remaining = payment.credits
        for holder in holders:
            debit = max(0, min(remaining, await self._ledger.paid_balance_in(conn, holder)))
            if debit:
                debits.append((holder, debit))
                remaining -= debit
        held = [(holder, job) for holder in holders for job in await self._ledger.held_paid_jobs(conn, holder)]
        claimed = held[:remaining]
        taken = payment.credits - remaining + len(claimed)
        await self.records.mark_refunded(conn, payment.id, taken, now)
        note = f"{payment.credits - taken} of {payment.credits} credits were already spent"
        for holder, debit in debits:  # one row per holder: the ledger's (kind, reference) is unique
            where = reference if holder == payment.fingerprint else f"{reference}:linked"
            await self._ledger.append(
                conn, LedgerEntry(holder, "paid", "refund", -debit, now, reference=where, note=note)
            )
        for holder, job_id in claimed:
            await self._ledger.append(
                conn,
                LedgerEntry(
                    holder,
                    "paid",
                    "refund-hold",
                    0,
                    now,
                    job_id=job_id,
                    reference=f"job:{job_id}",
                    note=f"{reference}: taken back if the job releases its credit",
                ),
            )
        refreshed = await self.records.find_in(conn, payment.id) or payment
        return Refunded(refreshed, taken, payment.credits - taken)

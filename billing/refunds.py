"""An admin's ``/refund <payment id>`` as one call: refund at the provider, then take the pack's unspent credits back.

The answer is a :class:`RefundReport`: the catalog key (and its fields) of what to tell the admin, and, when the
buyer should hear about it from us, a :class:`BuyerNotice`. Telegram tells a Stars buyer itself (its
``refunded_payment`` message, which the payment inbox answers), so the notice is left out when that got here first.

Provider errors never leave this module: an already refunded charge still has its credits taken back (the money is
back, e.g. refunded in Stripe's Dashboard), and a provider that fails is logged under a trace id the admin is shown.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from billing.payments import Payments, Refunded
from billing.providers import AlreadyRefundedAtProvider, PaymentProvider, ProviderError
from storage import Payment

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuyerNotice:
    """Tell the buyer (``telegram_id``) the text ``key`` with ``fields``."""

    telegram_id: int
    key: str
    fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RefundReport:
    """What ``/refund`` did: the admin's text ``key`` with ``fields``, and whom else to tell."""

    key: str
    fields: dict[str, object] = field(default_factory=dict)
    notice: BuyerNotice | None = None


class Refunds:
    """Refunds a payment at its provider and takes back the pack's unspent credits, once."""

    def __init__(
        self,
        payments: Payments,
        providers: Iterable[PaymentProvider],
        *,
        new_trace_id: Callable[[], str] = lambda: secrets.token_hex(4),
    ) -> None:
        self._payments = payments
        self._providers = {provider.name: provider for provider in providers}
        self._new_trace_id = new_trace_id

    async def refund(self, wanted: str) -> RefundReport:
        """Refund the payment ``wanted`` names (a Telegram charge id, a Stripe session or payment intent id)."""
        payment = await self._payments.records.find_any(wanted)
        if payment is None:
            return RefundReport("refund.not_found", {"id": wanted})
        if payment.status == "refunded":
            return RefundReport("refund.already", {"id": wanted})
        provider = self._providers.get(payment.provider)
        if provider is None:  # a Telegram payment provider's charge: refunded in that provider's dashboard
            return RefundReport("refund.unsupported")
        try:
            await provider.refund(payment)
        except AlreadyRefundedAtProvider:
            return await self._already_at_provider(payment, wanted)
        except ProviderError as exc:
            trace_id = self._new_trace_id()
            log.error("refund of %s failed [%s]: %s", payment.external_id, trace_id, exc)
            return RefundReport("refund.failed", {"id": wanted, "trace_id": trace_id})
        return _done(payment, wanted, await self._payments.refund(payment))

    async def _already_at_provider(self, payment: Payment, wanted: str) -> RefundReport:
        """The money is already back: take the credits back too, unless a webhook did that first."""
        done = await self._payments.refund(payment)
        if done.already_refunded:  # e.g. Stripe's charge.refunded webhook got here first
            return RefundReport("refund.already", {"id": wanted})
        return RefundReport("refund.already_at_provider", _counts(payment, wanted, done.debited))


def _counts(payment: Payment, wanted: str, debited: int) -> dict[str, object]:
    spent = payment.credits - debited
    return {"id": wanted, "provider": payment.provider, "debited": debited, "spent": spent, "credits": payment.credits}


def _done(payment: Payment, wanted: str, result: Refunded) -> RefundReport:
    """The admin's report, and the buyer's notice unless a ``refunded_payment`` update already told them."""
    debited = result.payment.refunded_credits or 0  # the one refund's figure, whoever made it
    key = "refund.done_spent" if debited < payment.credits else "refund.done"
    notice = None
    if not result.already_refunded and payment.telegram_id:
        notice_key = "payments.refunded_user_spent" if result.already_spent else "payments.refunded_user"
        fields = {"charge": payment.external_id, "debited": result.debited, "spent": result.already_spent}
        notice = BuyerNotice(payment.telegram_id, notice_key, fields)
    return RefundReport(key, _counts(payment, wanted, debited), notice)

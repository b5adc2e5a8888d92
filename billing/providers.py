"""Payment providers behind one protocol, so that ``Refunds`` refunds a payment without knowing who took the money.

A provider refunds a charge in full, once. It answers every other case with one of a few provider-neutral
errors, so the refund rules (``billing.refunds``) are the same for Telegram Stars and Stripe; the contract suite
``tests/billing/test_provider_contract.py`` holds both implementations to them against the project's stand-ins.

Billing never imports Telegram: the Stars provider is given the ``refundStarPayment`` call by ``bot/``
(``bot.star_refunds.star_refunder``), which also turns Telegram's answers into the errors below.

Errors::

    ProviderError                 base: the provider did not refund the charge now
    ├── AlreadyRefundedAtProvider the money is already back (Stripe's Dashboard, or an earlier refund whose
    │                             bookkeeping did not finish): the credits should still be taken back
    ├── UnknownCharge             the provider has no such charge (or the payment names none)
    └── ProviderUnavailable       the provider could not be reached or refused for another reason; try again later
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from billing.stripe_checkout import StripeAlreadyRefunded, StripeCheckout, StripeCheckoutError, StripeNoSuchPayment
from storage import Payment, Provider

log = logging.getLogger(__name__)

#: ``refundStarPayment(user_id, telegram_payment_charge_id)``, raising this module's errors (made by ``bot/``).
StarRefund = Callable[[int, str], Awaitable[None]]


class ProviderError(Exception):
    """The provider did not refund the charge now."""


class AlreadyRefundedAtProvider(ProviderError):
    """The charge was already refunded at the provider: the money is back, nothing was charged again."""


class UnknownCharge(ProviderError):
    """The provider has no such charge, or the payment does not name one it could refund."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or refused the refund for another reason; nothing changed there."""


class PaymentProvider(Protocol):
    """Whoever took a payment's money, able to give it back once."""

    @property
    def name(self) -> Provider:
        """The ``payments.provider`` value of the payments this provider refunds."""

    async def refund(self, payment: Payment) -> None:
        """Refund ``payment`` in full at the provider, or raise a :class:`ProviderError`."""


class StarsProvider:
    """Telegram Stars: ``refundStarPayment`` with the buyer's id and the ``telegram_payment_charge_id``."""

    name: Provider = "stars"

    def __init__(self, refund_star_payment: StarRefund) -> None:
        self._refund_star_payment = refund_star_payment

    async def refund(self, payment: Payment) -> None:
        """Refund a Stars charge; Telegram then posts ``refunded_payment`` to the buyer (and to the bot)."""
        if payment.telegram_id is None:
            raise UnknownCharge(f"Stars payment {payment.external_id} names no Telegram user")
        await self._refund_star_payment(payment.telegram_id, payment.external_id)


class StripeProvider:
    """Stripe: a full refund of the payment's PaymentIntent (one idempotency key per intent)."""

    name: Provider = "stripe"

    def __init__(self, checkout: StripeCheckout) -> None:
        self._checkout = checkout

    async def refund(self, payment: Payment) -> None:
        """Refund the payment's PaymentIntent; Stripe's ``charge.refunded`` webhook follows (and changes nothing)."""
        if not payment.payment_intent:
            raise UnknownCharge(f"Stripe payment {payment.external_id} has no payment intent")
        try:
            await self._checkout.refund(payment.payment_intent)
        except StripeAlreadyRefunded as exc:
            raise AlreadyRefundedAtProvider(str(exc)) from exc
        except StripeNoSuchPayment as exc:
            raise UnknownCharge(str(exc)) from exc
        except StripeCheckoutError as exc:
            raise ProviderUnavailable(str(exc)) from exc

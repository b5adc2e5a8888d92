"""Billing: user fingerprints, the free daily quota, the credit ledger's rules, and selling credit packs.

Never imports Telegram.
"""

from billing.credits import Admission, Balance, BillingError, Credits, Decision, JobSpec, Outcome
from billing.fingerprint import fingerprint
from billing.invoices import BadPayload
from billing.packs import DEFAULT_PACKS, CreditPack, parse_packs
from billing.payments import (
    Credited,
    Invoice,
    PaymentError,
    Payments,
    PreCheckoutRefused,
    Refunded,
    Reversal,
    StripeOutcome,
)
from billing.stripe_checkout import (
    StripeAlreadyRefunded,
    StripeCheckout,
    StripeCheckoutError,
    StripeSession,
    StripeSignatureError,
)

__all__ = [
    "DEFAULT_PACKS",
    "Admission",
    "BadPayload",
    "Balance",
    "BillingError",
    "CreditPack",
    "Credited",
    "Credits",
    "Decision",
    "Invoice",
    "JobSpec",
    "Outcome",
    "PaymentError",
    "Payments",
    "PreCheckoutRefused",
    "Refunded",
    "Reversal",
    "StripeAlreadyRefunded",
    "StripeCheckout",
    "StripeCheckoutError",
    "StripeOutcome",
    "StripeSession",
    "StripeSignatureError",
    "fingerprint",
    "parse_packs",
]

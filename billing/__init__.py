"""Billing: user fingerprints, the free daily quota and the credit ledger's rules. Never imports Telegram."""

from billing.credits import (
    Admission,
    AlreadySettled,
    Balance,
    BillingError,
    Credits,
    Decision,
    JobSpec,
    Outcome,
)
from billing.fingerprint import fingerprint

__all__ = [
    "Admission",
    "AlreadySettled",
    "Balance",
    "BillingError",
    "Credits",
    "Decision",
    "JobSpec",
    "Outcome",
    "fingerprint",
]

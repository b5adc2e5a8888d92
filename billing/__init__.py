"""Billing: user fingerprints, the free quota and the credit ledger's rules. Never imports Telegram."""

from billing.fingerprint import fingerprint

__all__ = ["fingerprint"]

"""Telegram Stars payments end to end with the bot on PostgreSQL (the tests of tests/bot/test_payments_stars.py,
with its settings; this module's ``postgresql`` mark gives ``live_bot`` a fresh PostgreSQL database)."""

from __future__ import annotations

import pytest

from tests.bot.test_payments_stars import (
    bot_settings,
    test_a_stars_purchase_credits_once_and_confirms_the_balance,
    test_admin_refund_takes_back_unspent_credits_and_tells_the_user,
    test_concurrent_payments_and_spending_keep_the_ledger_consistent,
)

pytestmark = pytest.mark.postgresql

__all__ = [
    "bot_settings",
    "test_a_stars_purchase_credits_once_and_confirms_the_balance",
    "test_admin_refund_takes_back_unspent_credits_and_tells_the_user",
    "test_concurrent_payments_and_spending_keep_the_ledger_consistent",
]

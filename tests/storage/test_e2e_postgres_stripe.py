"""Stripe payments end to end with the bot on PostgreSQL (the tests of tests/bot/test_payments_stripe.py, with
its stand-in and settings; this module's ``postgresql`` mark gives ``live_bot`` a fresh PostgreSQL database)."""

from __future__ import annotations

import pytest

from tests.bot.test_payments_stripe import (
    bot_settings,
    stripe_standin,
    test_a_completed_session_credits_once_however_often_it_is_replayed,
    test_a_dashboard_refund_takes_back_the_unspent_credits_once_and_tells_the_admins,
    test_a_delayed_payment_is_pending_until_stripe_confirms_it_then_credited_once,
)

pytestmark = pytest.mark.postgresql

__all__ = [
    "bot_settings",
    "stripe_standin",
    "test_a_completed_session_credits_once_however_often_it_is_replayed",
    "test_a_dashboard_refund_takes_back_the_unspent_credits_once_and_tells_the_admins",
    "test_a_delayed_payment_is_pending_until_stripe_confirms_it_then_credited_once",
]

"""``Refunds``, the admin's ``/refund`` as one call, on a real database and the Stripe stand-in: the provider
refunds, the pack's unspent credits are taken back once, and a refund interrupted between the two (the provider
refunded, the bookkeeping failed) is finished by the retry without charging the provider again."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing import Credits, Payments, StripeCheckout, parse_packs
from billing.providers import StripeProvider
from billing.refunds import BuyerNotice, Refunds
from standin.stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn
from storage import Database, LedgerRepository, StorageError

ADA, FP = 1001, "fp-ada"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@dataclass
class Shop:
    db: Database
    payments: Payments
    refunds: Refunds
    standin: StripeStandIn

    async def paid_session(self, request_id: str = "r1") -> str:
        """A Checkout Session the buyer paid and the bot credited (10 credits)."""
        session = await self.payments.stripe_session("10", ADA, FP, request_id)
        outcome = await self.payments.handle_stripe_event(*self.standin.completed_event(session.id))
        assert outcome.kind == "credited"
        return session.id

    async def balance(self) -> int:
        return await LedgerRepository(self.db).balance(FP, "paid")


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    async with StripeStandIn() as standin, await Database.open(tmp_path / "r.db") as db:
        checkout = StripeCheckout(
            API_KEY,
            WEBHOOK_SECRET,
            success_url="https://x.test/ok",
            cancel_url="https://x.test/no",
            api_base=standin.base_url,
        )
        credits = Credits(db, free_daily_quota=4, zone=ZoneInfo("UTC"), clock=lambda: NOW)
        payments = Payments(
            db, credits, parse_packs("10:50:1.99"), secret=b"s" * 32, clock=lambda: NOW, stripe=checkout
        )
        yield Shop(db, payments, Refunds(payments, [StripeProvider(checkout)], new_trace_id=lambda: "t-1"), standin)
        await checkout.aclose()


async def test_a_refund_takes_the_credits_back_and_tells_the_buyer(shop: Shop) -> None:
    session_id = await shop.paid_session()
    report = await shop.refunds.refund(session_id)
    assert report.key == "refund.done" and report.fields["debited"] == 10
    assert report.notice == BuyerNotice(
        ADA, "payments.refunded_user", {"charge": session_id, "debited": 10, "spent": 0}
    )
    assert await shop.balance() == 0 and len(shop.standin.refunds) == 1
    assert (await shop.refunds.refund(session_id)).key == "refund.already"
    assert len(shop.standin.refunds) == 1


async def test_an_unknown_id_and_a_provider_outage_change_nothing(shop: Shop) -> None:
    assert (await shop.refunds.refund("nope")).key == "refund.not_found"
    session_id = await shop.paid_session()
    shop.standin.fail_next = 100
    report = await shop.refunds.refund(session_id)
    assert (report.key, report.fields["trace_id"], report.notice) == ("refund.failed", "t-1", None)
    assert await shop.balance() == 10 and shop.standin.refunds == []


async def test_a_refund_whose_bookkeeping_failed_is_finished_by_the_retry_without_a_second_refund(
    shop: Shop, tmp_path: Path
) -> None:
    session_id = await shop.paid_session()
    with sqlite3.connect(tmp_path / "r.db") as outside:  # a real database failure after the provider refunded
        outside.execute(
            "CREATE TRIGGER test_ledger_fails BEFORE INSERT ON credit_ledger "
            "BEGIN SELECT RAISE(ABORT, 'simulated disk trouble'); END"
        )
    with pytest.raises(StorageError):
        await shop.refunds.refund(session_id)
    assert len(shop.standin.refunds) == 1 and await shop.balance() == 10  # the partial state: money back, credits not
    with sqlite3.connect(tmp_path / "r.db") as outside:
        outside.execute("DROP TRIGGER test_ledger_fails")
    report = await shop.refunds.refund(session_id)
    assert report.key == "refund.already_at_provider" and report.fields["debited"] == 10
    assert await shop.balance() == 0 and len(shop.standin.refunds) == 1


async def test_a_payment_refunded_in_the_dashboard_has_its_credits_taken_back_once(shop: Shop) -> None:
    session_id = await shop.paid_session()
    webhook = shop.standin.dashboard_refund(session_id)
    report = await shop.refunds.refund(session_id)
    assert report.key == "refund.already_at_provider" and report.notice is None
    late = await shop.payments.handle_stripe_event(*webhook)  # Stripe's charge.refunded arrives afterwards
    assert late.kind == "reversed" and late.reversal is not None and late.reversal.refunded.already_refunded
    assert await shop.balance() == 0

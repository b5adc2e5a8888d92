"""Stripe end to end: a Checkout Session through the official library, webhooks signed by its helper."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from standin.stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn
from storage import LedgerRepository
from tests.conftest import ADA, LiveBot

ADMIN = 4242


@pytest.fixture
async def stripe_standin() -> AsyncIterator[StripeStandIn]:
    async with StripeStandIn() as running:
        yield running


@pytest.fixture
def bot_settings(stripe_standin: StripeStandIn) -> dict[str, Any]:
    return {
        "stripe_secret_key": API_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": stripe_standin.base_url,
        "public_base_url": "https://bot.example.test",
        "admin_ids": frozenset({ADMIN}),
        "stripe_in_telegram": True,  # these tests buy through the card button inside Telegram
    }


async def checkout(live_bot: LiveBot, stripe_standin: StripeStandIn) -> str:
    """Buy the 10-credit pack by card up to the Checkout link; returns the session id."""
    menu = await live_bot.ask(ADA, "/buy", "Credit packs")
    assert [b.callback_data for b in menu.buttons] == [
        "pack:10",
        "card:10",
        "pack:50",
        "card:50",
        "pack:200",
        "card:200",
    ]
    await live_bot.standin.press_button(ADA, menu.message_id, "card:10")
    link = await live_bot.reply(ADA, lambda m: "Stripe" in m.content)
    (button,) = link.buttons
    session = next(s for s in stripe_standin.sessions.values() if s["url"] == button.url)
    return str(session["id"])


async def post(live_bot: LiveBot, body: bytes, signature: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"} | ({"Stripe-Signature": signature} if signature else {})
    async with (
        aiohttp.ClientSession() as http,
        http.post(live_bot.runtime.http.url + "/stripe/webhook", data=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def paid_balance(live_bot: LiveBot) -> int:
    services = live_bot.runtime.services
    return await LedgerRepository(live_bot.runtime.core.db).balance(services.fingerprint(ADA), "paid")


async def test_card_checkout_creates_a_session_with_the_right_contract(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    (request,) = [r for r in stripe_standin.requests if r.path == "/v1/checkout/sessions"]
    assert request.idempotency_key and request.idempotency_key.startswith("checkout:1001:")
    assert request.form["client_reference_id"] == live_bot.runtime.services.fingerprint(ADA)
    assert request.form["metadata[pack_id]"] == "10" and request.form["metadata[telegram_id]"] == str(ADA)
    assert request.form["line_items[0][price_data][unit_amount]"] == "199"
    assert request.form["success_url"] == "https://bot.example.test/stripe/success"
    assert stripe_standin.sessions[session_id]["mode"] == "payment"


async def test_a_completed_session_credits_once_however_often_it_is_replayed(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    body, signature = stripe_standin.completed_event(session_id, event_id="evt_1")
    results = [await post(live_bot, body, signature) for _ in range(10)]
    assert [r[1]["result"] for r in results] == ["credited"] + ["duplicate"] * 9
    assert all(status == 200 for status, _ in results)
    other_body, other_signature = stripe_standin.completed_event(session_id, event_id="evt_2")  # same session
    assert (await post(live_bot, other_body, other_signature))[1]["result"] == "duplicate"
    told = await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, since=0)
    assert "10 credits added" in told.content
    # Only the first answer said "credited", and only a crediting event starts a notification: that one was sent.
    assert await paid_balance(live_bot) == 10
    assert sum("Payment received" in m.content for m in live_bot.standin.transcript(ADA)) == 1


async def test_bad_stale_or_malformed_webhooks_change_nothing(live_bot: LiveBot, stripe_standin: StripeStandIn) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    body, _ = stripe_standin.completed_event(session_id)
    _, wrong = stripe_standin.completed_event(session_id, secret="whsec_someone_else")
    _, stale = stripe_standin.completed_event(session_id, timestamp=int(time.time()) - 3600)
    cases = [
        (body, wrong),
        (body, None),
        (body, stale),
        (b"{not json", stripe_standin.sign({"id": "x"})[1]),
        (body + b" ", stripe_standin.completed_event(session_id)[1]),
    ]
    for raw, signature in cases:
        status, answer = await post(live_bot, raw, signature)
        assert status == 400 and answer == {"error": "invalid signature"}
    malformed_body, malformed_signature = stripe_standin.sign({"id": "evt_m", "type": "checkout.session.completed"})
    assert (await post(live_bot, malformed_body, malformed_signature))[0] == 400
    assert await paid_balance(live_bot) == 0


async def test_unknown_event_types_are_acknowledged_and_ignored(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    await checkout(live_bot, stripe_standin)
    body, signature = stripe_standin.sign({"id": "evt_u", "type": "customer.created", "data": {"object": {}}})
    assert await post(live_bot, body, signature) == (200, {"received": True, "result": "ignored"})
    assert await paid_balance(live_bot) == 0


async def test_admin_refunds_a_stripe_payment_through_the_api(live_bot: LiveBot, stripe_standin: StripeStandIn) -> None:
    live_bot.standin.add_user(ADMIN, first_name="Admin")
    session_id = await checkout(live_bot, stripe_standin)
    await post(live_bot, *stripe_standin.completed_event(session_id))
    report = await live_bot.ask(ADMIN, f"/refund {session_id}", "Refunded payment")
    assert "(stripe): 10 credits taken back" in report.content
    assert [r["payment_intent"] for r in stripe_standin.refunds] == [
        stripe_standin.sessions[session_id]["payment_intent"]
    ]
    await live_bot.standin.wait_for(ADA, lambda m: "was refunded" in m.content, since=0)
    assert await paid_balance(live_bot) == 0


async def test_stripe_being_down_is_a_clear_answer_not_a_crash(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    stripe_standin.fail_next = 10
    menu = await live_bot.ask(ADA, "/buy", "Credit packs")
    query = await live_bot.standin.press_button(ADA, menu.message_id, "card:10")
    async with asyncio.timeout(20):
        while live_bot.standin.callback_answer(query) is None:
            await asyncio.sleep(0.05)
    assert "unavailable" in json.dumps(live_bot.standin.callback_answer(query))


# --- delayed payment methods (issue 12 item 1) -----------------------------------------------------------------


async def test_a_delayed_payment_is_pending_until_stripe_confirms_it_then_credited_once(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    assert (await post(live_bot, *stripe_standin.completed_event(session_id, paid=False)))[1]["result"] == "pending"
    pending = await live_bot.standin.wait_for(ADA, lambda m: "being processed" in m.content, since=0)
    assert "10 credits" in pending.content
    assert await paid_balance(live_bot) == 0
    succeeded = stripe_standin.async_payment_event(session_id, succeeded=True, event_id="evt_async_ok")
    results = [(await post(live_bot, *succeeded))[1]["result"] for _ in range(3)]
    again = stripe_standin.async_payment_event(session_id, succeeded=True, event_id="evt_async_ok_2")  # same session
    results.append((await post(live_bot, *again))[1]["result"])
    late_completed = stripe_standin.completed_event(session_id, event_id="evt_completed_paid")
    results.append((await post(live_bot, *late_completed))[1]["result"])
    assert results == ["credited", "duplicate", "duplicate", "duplicate", "duplicate"]
    told = await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, since=0)
    assert "10 credits added" in told.content
    assert await paid_balance(live_bot) == 10
    payment = await live_bot.runtime.services.payments.records.find("stripe", session_id)
    assert payment is not None and payment.payment_intent == stripe_standin.sessions[session_id]["payment_intent"]


async def test_a_pending_notice_arriving_after_the_credit_is_not_sent(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    completed_unpaid = stripe_standin.completed_event(session_id, paid=False)  # made first, delivered last
    succeeded = stripe_standin.async_payment_event(session_id, succeeded=True)
    assert (await post(live_bot, *succeeded))[1]["result"] == "credited"
    assert (await post(live_bot, *completed_unpaid))[1]["result"] == "duplicate"
    await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, since=0)
    assert await paid_balance(live_bot) == 10


async def test_a_delayed_payment_that_fails_tells_the_buyer_and_credits_nothing(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    await post(live_bot, *stripe_standin.completed_event(session_id, paid=False))
    failed = stripe_standin.async_payment_event(session_id, succeeded=False, event_id="evt_async_failed")
    assert [(await post(live_bot, *failed))[1]["result"] for _ in range(2)] == ["failed", "duplicate"]
    told = await live_bot.standin.wait_for(ADA, lambda m: "did not go through" in m.content, since=0)
    assert "/buy" in told.content
    assert await paid_balance(live_bot) == 0
    assert await live_bot.runtime.services.payments.records.find("stripe", session_id) is None


# --- refunds and disputes made at Stripe (item 2) --------------------------------------------------------------


async def paid_session(live_bot: LiveBot, stripe_standin: StripeStandIn) -> str:
    live_bot.standin.add_user(ADMIN, first_name="Admin")
    session_id = await checkout(live_bot, stripe_standin)
    assert (await post(live_bot, *stripe_standin.completed_event(session_id)))[1]["result"] == "credited"
    await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, since=0)
    return session_id


@pytest.mark.parametrize("refunded_cents", [199, 50], ids=["full", "partial"])
async def test_a_dashboard_refund_takes_back_the_unspent_credits_once_and_tells_the_admins(
    live_bot: LiveBot, stripe_standin: StripeStandIn, refunded_cents: int
) -> None:
    session_id = await paid_session(live_bot, stripe_standin)
    event = stripe_standin.dashboard_refund(session_id, amount=refunded_cents, event_id="evt_refund")
    assert (await post(live_bot, *event))[1]["result"] == "reversed"
    assert (await post(live_bot, *event))[1]["result"] == "duplicate"  # the same event again
    (refund,) = stripe_standin.refunds
    same_refund = stripe_standin.charge_refunded_event(session_id, event_id="evt_refund_again")  # other event id
    assert (await post(live_bot, *same_refund))[1]["result"] == "duplicate"
    told = await live_bot.standin.wait_for(ADMIN, lambda m: "Stripe reports a refund" in m.content, since=0)
    assert refund["id"] in told.content and session_id in told.content
    assert "10 unused credits taken back" in told.content
    await live_bot.standin.wait_for(ADA, lambda m: "was refunded" in m.content, since=0)
    assert await paid_balance(live_bot) == 0
    payment = await live_bot.runtime.services.payments.records.find("stripe", session_id)
    assert payment is not None and (payment.status, payment.refunded_credits) == ("refunded", 10)
    assert sum("Stripe reports" in m.content for m in live_bot.standin.transcript(ADMIN)) == 1


async def test_a_dispute_takes_back_the_unspent_credits_and_tells_the_admins(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await paid_session(live_bot, stripe_standin)
    dispute = stripe_standin.dispute_event(session_id, event_id="evt_dispute")
    assert [(await post(live_bot, *dispute))[1]["result"] for _ in range(2)] == ["reversed", "duplicate"]
    told = await live_bot.standin.wait_for(ADMIN, lambda m: "dispute" in m.content, since=0)
    assert "fraudulent" in told.content and "10 unused credits taken back" in told.content
    await live_bot.standin.wait_for(ADA, lambda m: "disputed with your bank" in m.content, since=0)
    assert await paid_balance(live_bot) == 0
    # The dispute already took the credits back: a refund afterwards takes nothing more.
    assert (await post(live_bot, *stripe_standin.dashboard_refund(session_id)))[1]["result"] == "reversed"
    assert await paid_balance(live_bot) == 0


async def test_stripe_echoing_an_admin_refund_changes_nothing(live_bot: LiveBot, stripe_standin: StripeStandIn) -> None:
    session_id = await paid_session(live_bot, stripe_standin)
    await live_bot.ask(ADMIN, f"/refund {session_id}", "Refunded payment")
    # Stripe sends charge.refunded for refunds made through the API as well.
    assert (await post(live_bot, *stripe_standin.charge_refunded_event(session_id)))[1]["result"] == "reversed"
    assert await paid_balance(live_bot) == 0
    await live_bot.standin.wait_for(ADA, lambda m: "was refunded" in m.content, since=0)
    assert sum("was refunded" in m.content for m in live_bot.standin.transcript(ADA)) == 1
    assert not any("Stripe reports" in m.content for m in live_bot.standin.transcript(ADMIN))


async def test_an_admin_refund_of_a_payment_refunded_in_the_dashboard_says_it_was_already_refunded(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await paid_session(live_bot, stripe_standin)
    stripe_standin.dashboard_refund(session_id)  # its webhook has not arrived (yet)
    answer = await live_bot.ask(ADMIN, f"/refund {session_id}", "already been refunded")
    assert "nothing was charged again" in answer.content and "10 unused credits taken back" in answer.content
    refused = [r for r in stripe_standin.requests if r.path == "/v1/refunds"]
    assert len(refused) == 1 and len(stripe_standin.refunds) == 1  # the Dashboard's refund only
    assert await paid_balance(live_bot) == 0
    assert (await post(live_bot, *stripe_standin.charge_refunded_event(session_id)))[1]["result"] == "reversed"
    assert await paid_balance(live_bot) == 0


# --- an event is recorded only together with its effect (item 3) ----------------------------------------------


async def test_a_crediting_failure_records_nothing_answers_5xx_and_stripes_retry_credits_once(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    path = live_bot.runtime.core.db.path
    with sqlite3.connect(path) as outside:  # a real database failure on the ledger insert, not a patched function
        outside.execute(
            "CREATE TRIGGER test_ledger_fails BEFORE INSERT ON credit_ledger "
            "BEGIN SELECT RAISE(ABORT, 'simulated disk trouble'); END"
        )
    event = stripe_standin.completed_event(session_id, event_id="evt_retry")
    status, answer = await post(live_bot, *event)
    assert status == 500 and answer["error"] == "temporary failure"
    db = live_bot.runtime.core.db
    assert await db.scalar("SELECT COUNT(*) FROM stripe_events") == 0
    assert await db.scalar("SELECT COUNT(*) FROM payments") == 0
    with sqlite3.connect(path) as outside:
        outside.execute("DROP TRIGGER test_ledger_fails")
    assert [(await post(live_bot, *event))[1]["result"] for _ in range(2)] == ["credited", "duplicate"]
    assert await paid_balance(live_bot) == 10


async def test_a_stripe_refund_that_fails_in_the_database_records_nothing_and_its_retry_takes_back_once(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await paid_session(live_bot, stripe_standin)
    path, db = live_bot.runtime.core.db.path, live_bot.runtime.core.db
    with sqlite3.connect(path) as outside:
        outside.execute(
            "CREATE TRIGGER test_refund_fails BEFORE INSERT ON credit_ledger WHEN NEW.kind = 'refund' "
            "BEGIN SELECT RAISE(ABORT, 'simulated disk trouble'); END"
        )
    event = stripe_standin.dashboard_refund(session_id, event_id="evt_refund_retry")
    assert (await post(live_bot, *event))[0] == 500
    assert await db.scalar("SELECT COUNT(*) FROM stripe_reversals") == 0
    assert await db.scalar("SELECT status FROM payments") == "paid"
    with sqlite3.connect(path) as outside:
        outside.execute("DROP TRIGGER test_refund_fails")
    assert [(await post(live_bot, *event))[1]["result"] for _ in range(2)] == ["reversed", "duplicate"]
    assert await paid_balance(live_bot) == 0


# --- only the pack's own amount and currency are credited (item 8) --------------------------------------------


@pytest.mark.parametrize(
    "change", [{"currency": "eur"}, {"amount_total": 100}, {"currency": "eur", "amount_total": 100}]
)
async def test_a_session_whose_currency_or_amount_differs_from_the_pack_is_ignored(
    live_bot: LiveBot, stripe_standin: StripeStandIn, change: dict[str, Any]
) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    stripe_standin.sessions[session_id].update(change)
    assert (await post(live_bot, *stripe_standin.completed_event(session_id)))[1]["result"] == "ignored"
    assert (await post(live_bot, *stripe_standin.completed_event(session_id, paid=False)))[1]["result"] == "ignored"
    assert await paid_balance(live_bot) == 0

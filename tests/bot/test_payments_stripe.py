"""Stripe end to end: a Checkout Session through the official library, webhooks signed by its helper."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from storage import LedgerRepository
from tests.conftest import ADA, LiveBot
from tests.standins.stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn

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
    return await LedgerRepository(services.db).balance(services.fingerprint(ADA), "paid")


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


async def test_unknown_event_types_and_unpaid_sessions_are_acknowledged_and_ignored(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    session_id = await checkout(live_bot, stripe_standin)
    body, signature = stripe_standin.sign({"id": "evt_u", "type": "customer.created", "data": {"object": {}}})
    assert await post(live_bot, body, signature) == (200, {"received": True, "result": "ignored"})
    body, signature = stripe_standin.completed_event(session_id, paid=False)
    assert (await post(live_bot, body, signature))[1]["result"] == "ignored"
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

"""Inside Telegram only Stars are sold unless STRIPE_IN_TELEGRAM=true; Stripe's webhook works either way."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.__main__ import running_bot
from standin import TelegramStandIn
from standin.stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn
from storage import LedgerRepository
from tests.conftest import ADA, Clock, LiveBot, make_settings

PROVIDER_TOKEN = "284685063:TEST:cloudmusic-provider"


@pytest.fixture
async def stripe_standin() -> AsyncIterator[StripeStandIn]:
    async with StripeStandIn() as running:
        yield running


def card_and_provider(stripe_standin: StripeStandIn, **extra: Any) -> dict[str, Any]:
    return {
        "stripe_secret_key": API_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": stripe_standin.base_url,
        "public_base_url": "https://bot.example.test",
        "payment_provider_token": PROVIDER_TOKEN,
        **extra,
    }


@pytest.fixture
def bot_settings(stripe_standin: StripeStandIn) -> dict[str, Any]:
    return card_and_provider(stripe_standin)


async def wait_for_answer(live_bot: LiveBot, query_id: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while (answer := live_bot.standin.callback_answer(query_id)) is None:
            await asyncio.sleep(0.02)
    return answer


async def test_by_default_only_stars_are_offered_even_with_stripe_and_a_provider_configured(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    menu = await live_bot.ask(ADA, "/buy", "Credit packs")
    assert [b.callback_data for b in menu.buttons] == ["pack:10", "pack:50", "pack:200"]


async def test_an_old_card_or_provider_button_answers_stars_only_and_creates_nothing(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    menu = await live_bot.ask(ADA, "/buy", "Credit packs")
    # Buttons sent while the setting was on still sit in old chats: the same message, with the old keyboard.
    old = InlineKeyboardMarkup(
        [[InlineKeyboardButton("card", callback_data="card:10"), InlineKeyboardButton("fiat", callback_data="fiat:10")]]
    )
    await live_bot.runtime.application.bot.edit_message_reply_markup(ADA, menu.message_id, reply_markup=old)
    for data in ("card:10", "fiat:10"):
        answer = await wait_for_answer(live_bot, await live_bot.standin.press_button(ADA, menu.message_id, data))
        assert "paid with Stars" in json.dumps(answer) and answer.get("show_alert") in (True, "true")
    assert stripe_standin.sessions == {}
    assert not any(c.method == "sendInvoice" for c in live_bot.standin.calls)


async def test_the_stripe_webhook_still_credits_with_stripe_hidden_in_telegram(
    live_bot: LiveBot, stripe_standin: StripeStandIn
) -> None:
    services = live_bot.runtime.services
    # A web checkout (a later web studio makes these): the session is created outside the chat.
    session = await services.payments.stripe_session("10", ADA, services.fingerprint(ADA), "web-1")
    body, signature = stripe_standin.completed_event(session.id, event_id="evt_web")
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
    async with (
        aiohttp.ClientSession() as http,
        http.post(live_bot.runtime.http.url + "/stripe/webhook", data=body, headers=headers) as response,
    ):
        assert response.status == 200 and (await response.json())["result"] == "credited"
    await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, since=0)
    assert await LedgerRepository(live_bot.runtime.core.db).balance(services.fingerprint(ADA), "paid") == 10


async def test_the_opt_in_shows_card_and_provider_buttons_and_warns_at_start_up(
    tmp_path: Path, standin: TelegramStandIn, stripe_standin: StripeStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path / "data", standin, **card_and_provider(stripe_standin, stripe_in_telegram=True))
    with caplog.at_level(logging.WARNING, logger="bot"):
        async with running_bot(settings, clock=Clock(), poll_timeout=1) as runtime:
            live = LiveBot(standin, runtime, Clock())
            menu = await live.ask(ADA, "/buy", "Credit packs")
            assert [b.callback_data for b in menu.buttons][:3] == ["pack:10", "fiat:10", "card:10"]
    warning = [r for r in caplog.records if "STRIPE_IN_TELEGRAM" in r.getMessage()]
    assert len(warning) == 1 and warning[0].levelno == logging.WARNING

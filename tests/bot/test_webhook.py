"""Webhook mode: setWebhook instead of polling; updates POSTed to the bot's own server, checked by secret token.

The stand-in records setWebhook but does not push, so the test POSTs the person's Update JSON itself, as
Telegram would.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_error
from bot.webhook_mode import SECRET_HEADER
from tests.conftest import ADA, TOKEN, LiveBot

SECRET = "test_webhook-Secret_123"
HOOK_URL = "https://bot.example.com/telegram/hook"


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"webhook_url": HOOK_URL, "webhook_secret": SECRET}


async def post_update(live_bot: LiveBot, body: bytes | dict[str, Any], secret: str | None) -> int:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    url = live_bot.runtime.http.url + "/telegram/hook"
    kwargs: dict[str, Any] = {"json": body} if isinstance(body, dict) else {"data": body}
    async with aiohttp.ClientSession() as session, session.post(url, headers=headers, **kwargs) as response:
        return response.status


async def pending_update(live_bot: LiveBot, text: str) -> dict[str, Any]:
    """The person writes ``text``; the Update Telegram would POST (taken from the stand-in's pending ones)."""
    await live_bot.say(ADA, text)
    update = live_bot.standin.pending_updates[-1]
    assert update["message"]["text"] == text
    return update


async def test_the_webhook_is_registered_instead_of_polling(live_bot: LiveBot) -> None:
    calls = [c.method for c in live_bot.standin.calls]
    assert "setWebhook" in calls and "getUpdates" not in calls
    webhook = live_bot.standin.messaging.webhook
    assert webhook["url"] == HOOK_URL and "message" in webhook["allowed_updates"]
    set_webhook = next(c for c in live_bot.standin.calls if c.method == "setWebhook")
    assert set_webhook.params["secret_token"] == SECRET


async def test_an_update_with_the_right_secret_is_answered(live_bot: LiveBot) -> None:
    update = await pending_update(live_bot, "/start")
    assert await post_update(live_bot, update, SECRET) == 200
    reply = await live_bot.reply(ADA, lambda m: "Welcome" in m.content or "CloudMusic" in m.content)
    assert reply.from_bot
    assert live_bot.runtime.webhook is not None and live_bot.runtime.webhook.received == 1


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_processed(live_bot: LiveBot) -> None:
    update = await pending_update(live_bot, "/start")
    assert await post_update(live_bot, update, "wrong-secret") == 403
    assert await post_update(live_bot, update, None) == 403
    assert await post_update(live_bot, update, SECRET[:-1]) == 403
    await live_bot.runtime.application.update_queue.join()  # nothing queued is still being handled
    assert not [m for m in live_bot.standin.transcript(ADA) if m.from_bot]
    assert live_bot.runtime.webhook is not None and live_bot.runtime.webhook.received == 0


async def test_a_malformed_body_is_refused_with_400(live_bot: LiveBot) -> None:
    assert await post_update(live_bot, b"{not json", SECRET) == 400
    assert await post_update(live_bot, {"no": "update_id"}, SECRET) == 400
    assert await post_update(live_bot, b"[1, 2]", SECRET) == 400


async def test_health_follows_telegrams_view_of_the_webhook(live_bot: LiveBot) -> None:
    webhook = live_bot.runtime.webhook
    assert webhook is not None and webhook.status().ok
    await webhook.refresh()
    assert webhook.status().ok, "getWebhookInfo shows our URL and no delivery error"
    await live_bot.runtime.application.bot.delete_webhook()  # someone else took the webhook away
    await webhook.refresh()
    check = webhook.status()
    assert not check.ok and "no longer set" in check.reason
    async with aiohttp.ClientSession() as session, session.get(live_bot.runtime.http.url + "/healthz") as response:
        assert response.status == 503 and "no longer set" in (await response.json())["updates"]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"webhook_url": HOOK_URL}, "WEBHOOK_URL: needs WEBHOOK_SECRET"),
        ({"webhook_secret": SECRET}, "WEBHOOK_URL: is required when WEBHOOK_SECRET is set"),
        ({"webhook_url": HOOK_URL, "webhook_secret": "has spaces"}, "WEBHOOK_SECRET: expected 1-256 characters"),
        ({"webhook_url": HOOK_URL, "webhook_secret": "x" * 257}, "WEBHOOK_SECRET: expected 1-256 characters"),
        ({"webhook_url": "https://bot.example.com/", "webhook_secret": SECRET}, "WEBHOOK_URL: expected an https URL"),
    ],
)
def test_webhook_settings_need_both_and_a_valid_secret(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, telegram_bot_token=TOKEN, **overrides)  # type: ignore[call-arg]
    line = describe_error(caught.value)
    assert named in line and "\n" not in line
    assert SECRET not in line


def test_the_secret_never_shows_in_repr() -> None:
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, webhook_url=HOOK_URL, webhook_secret=SECRET)  # type: ignore[call-arg]
    assert SECRET not in repr(settings) and settings.webhook_url == HOOK_URL

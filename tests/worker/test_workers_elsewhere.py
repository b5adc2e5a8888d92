"""The bot with WORKERS_IN_BOT=false on PostgreSQL: it takes the prompt, says it is queued, renders nothing and
stays healthy; a worker core (as ``python -m worker`` builds it) renders and sends the track to the chat."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.app import build_bot
from bot.core import build_core
from bot.delivery import TelegramDelivery
from bot.texts import Texts
from tests.conftest import ADA, TOKEN, LiveBot

pytestmark = pytest.mark.postgresql


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"workers_in_bot": False, "queue_heartbeat": 0.5, "queue_stalled_after": 2.0}


async def test_the_bot_queues_and_a_worker_elsewhere_delivers(live_bot: LiveBot) -> None:
    async with aiohttp.ClientSession() as http, http.get(live_bot.runtime.http.url + "/healthz") as response:
        body = await response.json()
    assert response.status == 200 and body["worker_states"] is None, body  # no workers here, and that is fine
    await live_bot.say(ADA, "rainy lofi 1s")
    queued = await live_bot.reply(ADA, lambda m: "queue" in m.content.lower())
    job = (await live_bot.runtime.core.queue.jobs.for_user(ADA))[0]
    assert job.status == "queued" and not live_bot.audio_messages(ADA)
    standin, settings = live_bot.standin, live_bot.runtime.core.settings
    bot = build_bot(TOKEN, base_url=standin.base_url, base_file_url=standin.file_base_url)
    await bot.initialize()
    worker = await build_core(settings, clock=live_bot.clock, worker=True)  # the bot's clock (fixed in tests)
    try:
        await worker.start_workers(TelegramDelivery(bot, Texts.load(), worker.users, can_extend=lambda *_: False))
        done = await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), 30)
        assert done.message_id == queued.message_id  # the worker edited the bot's status message
        assert len(live_bot.audio_messages(ADA)) == 1
    finally:
        await worker.close()
        await bot.shutdown()
    delivered = await live_bot.runtime.core.queue.jobs.get(job.id)
    assert delivered is not None and delivered.status == "delivered"


async def test_an_idle_worker_elsewhere_edits_the_bots_queued_message_rather_than_sending_its_own(
    live_bot: LiveBot,
) -> None:
    """The worker may claim the job before the bot has sent "queued": it waits for that message and edits it."""
    standin, settings = live_bot.standin, live_bot.runtime.core.settings
    bot = build_bot(TOKEN, base_url=standin.base_url, base_file_url=standin.file_base_url)
    await bot.initialize()
    worker = await build_core(settings, clock=live_bot.clock, worker=True)  # the bot's clock (fixed in tests)
    try:
        await worker.start_workers(TelegramDelivery(bot, Texts.load(), worker.users, can_extend=lambda *_: False))
        # The bot's "queued" message takes a second to send: the idle worker has claimed the job long before.
        standin.inject_fault("sendMessage", "slow", delay=1.0, chat_id=ADA)
        await live_bot.say(ADA, "rainy lofi 1s")
        await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), 30)
    finally:
        await worker.close()
        await bot.shutdown()
    said = [m for m in standin.transcript(ADA) if m.from_bot]
    assert [m.kind for m in said] == ["text", "audio"], [m.content for m in said]  # one status message, edited

"""Telegram's front end restarting while the bot holds a long poll: polling resumes, the next prompt is answered."""

from __future__ import annotations

import asyncio

from tests.conftest import ADA, LiveBot


async def _holding_a_poll(live_bot: LiveBot) -> None:
    """Wait until the bot's long poll is being held by the stand-in."""
    async with asyncio.timeout(10):
        while live_bot.standin.world.updates.held_polls == 0:
            await asyncio.sleep(0.01)


async def test_polling_resumes_after_the_api_restarts_during_a_long_poll(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/balance", contains="Free tracks left")
    await _holding_a_poll(live_bot)
    await live_bot.standin.restart(down_for=1.5)  # refused connections meanwhile
    await live_bot.say(ADA, "after the restart 2s")
    await live_bot.reply(ADA, lambda m: m.kind == "audio", timeout=30)
    assert live_bot.runtime.application.updater is not None and live_bot.runtime.application.updater.running


async def test_an_update_queued_while_the_api_was_down_is_delivered_once(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/balance", contains="Free tracks left")
    await live_bot.standin.server.stop()
    await live_bot.standin.send_text(ADA, "/balance")  # Telegram keeps it until the bot asks again
    await asyncio.sleep(1.0)  # the outage: the bot's polls are refused meanwhile
    live_bot.standin.world.updates.reopen()
    await live_bot.standin.start()
    await live_bot.reply(ADA, lambda m: "Free tracks left" in m.content, timeout=30)
    await live_bot.settled()  # the update is confirmed and handled: a second delivery could only come before this
    answers = [m for m in live_bot.standin.transcript(ADA) if m.from_bot and "Free tracks left" in m.content]
    assert len(answers) == 2, "one answer for each /balance, none twice"

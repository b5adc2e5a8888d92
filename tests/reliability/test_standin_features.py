"""The stand-in features the benchmarks and this suite rely on: flood control, restart, bulk users, raw updates."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

from standin import TelegramStandIn
from standin.flood import FloodLimit

TOKEN = "123456:TEST-standin-features"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_flood_limit_counts_messages_in_a_sliding_second() -> None:
    clock = FakeClock()
    flood = FloodLimit(3, clock=clock)
    assert [flood.admit("sendMessage") for _ in range(4)] == [True, True, True, False]
    assert flood.admit("sendChatAction") and flood.admit("getMe") and flood.admit("answerCallbackQuery")
    clock.now += 0.999
    assert not flood.admit("editMessageText")
    clock.now += 0.002
    assert flood.admit("sendAudio")
    assert flood.refused == 2


def test_a_flood_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FloodLimit(0)


async def test_over_the_limit_the_stand_in_answers_429_with_retry_after() -> None:
    async with TelegramStandIn(token=TOKEN) as standin, Bot(TOKEN, base_url=standin.base_url) as bot:
        standin.add_users([1, 2])
        standin.limit_rate(2, retry_after=3)
        await bot.send_message(1, "one")
        await bot.send_chat_action(1, "typing")  # not a message: never limited
        await bot.send_message(2, "two")
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(1, "three")
        assert refused.value.retry_after in (3, 3.0) or refused.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]
        assert [c.status for c in standin.calls if c.method == "sendMessage"] == [200, 200, 429]
        assert not standin.violations
        standin.limit_rate(None)
        await bot.send_message(1, "free again")


async def test_restart_serves_on_the_same_port_and_keeps_the_world() -> None:
    async with TelegramStandIn(token=TOKEN) as standin, Bot(TOKEN, base_url=standin.base_url) as bot:
        standin.add_users([7])
        url = standin.base_url
        await bot.send_message(7, "before")
        await standin.restart(down_for=0.1)
        assert standin.base_url == url
        await bot.send_message(7, "after")
        assert [m.content for m in standin.transcript(7)] == ["before", "after"]


async def test_while_down_calls_fail_as_network_errors() -> None:
    async with TelegramStandIn(token=TOKEN) as standin, Bot(TOKEN, base_url=standin.base_url) as bot:
        standin.add_users([7])
        await standin.server.stop()
        with pytest.raises(NetworkError):
            await bot.send_message(7, "nobody listens")
        standin.world.updates.reopen()
        await standin.start()
        await bot.send_message(7, "listening again")


async def test_add_users_and_push_update() -> None:
    async with TelegramStandIn(token=TOKEN) as standin, Bot(TOKEN, base_url=standin.base_url) as bot:
        users = standin.add_users(range(100, 103), language_code="de")
        assert [u["id"] for u in users] == [100, 101, 102] and users[0]["language_code"] == "de"
        pushed = standin.push_update("message", {"message_id": 1, "date": 0, "chat": {"id": 100, "type": "private"}})
        (update,) = await bot.get_updates(timeout=0)
        assert update.update_id == pushed["update_id"] and update.message is not None and update.message.text is None


async def test_drop_after_processes_the_call_but_loses_the_answer() -> None:
    async with TelegramStandIn(token=TOKEN) as standin, Bot(TOKEN, base_url=standin.base_url) as bot:
        standin.add_users([7])
        standin.inject_fault("sendMessage", "drop_after")
        with pytest.raises(NetworkError):
            await bot.send_message(7, "did it arrive?")
        assert [m.content for m in standin.transcript(7)] == ["did it arrive?"]

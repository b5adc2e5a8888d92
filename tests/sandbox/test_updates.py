"""getUpdates as Telegram does it: long polls wait for updates, offsets confirm them, newer polls win."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from standin import TelegramStandIn
from tests.sandbox.conftest import ADA


@pytest.fixture
async def http(standin: TelegramStandIn) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{standin.base_url}{standin.token}/", timeout=10) as client:
        yield client


async def _updates(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await http.post("getUpdates", data={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["result"]
    return result


async def _held(standin: TelegramStandIn, polls: int = 1) -> None:
    """Wait until the stand-in is holding ``polls`` long polls."""
    async with asyncio.timeout(5):
        while standin.world.updates.held_polls < polls:
            await asyncio.sleep(0.01)


async def test_a_long_poll_holds_until_an_update_arrives(http: httpx.AsyncClient, standin: TelegramStandIn) -> None:
    poll = asyncio.create_task(_updates(http, timeout=5))
    await _held(standin)
    assert not poll.done()

    started = asyncio.get_running_loop().time()
    await standin.send_text(ADA, "hello")
    updates = await asyncio.wait_for(poll, 4.0)

    assert [u["message"]["text"] for u in updates] == ["hello"]
    assert asyncio.get_running_loop().time() - started < 2.5, "woken by the update, not by its 5 s timeout"


async def test_timeout_zero_answers_at_once_and_a_short_timeout_expires(http: httpx.AsyncClient) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await _updates(http, timeout=0) == []
    assert loop.time() - started < 0.2
    assert await _updates(http, timeout=1) == []
    assert loop.time() - started >= 0.9


async def test_offset_confirms_updates_and_limit_caps_them(http: httpx.AsyncClient, standin: TelegramStandIn) -> None:
    for text in ("one", "two", "three"):
        await standin.send_text(ADA, text)

    first = await _updates(http, limit=2)
    again = await _updates(http, offset=first[0]["update_id"])
    rest = await _updates(http, offset=first[-1]["update_id"] + 1)
    last_only = await _updates(http, offset=-1)

    assert [u["message"]["text"] for u in first] == ["one", "two"]
    assert [u["message"]["text"] for u in again] == ["one", "two", "three"]
    assert [u["message"]["text"] for u in rest] == ["three"] == [u["message"]["text"] for u in last_only]
    assert await _updates(http, offset=rest[0]["update_id"] + 1) == []
    assert standin.pending_updates == []


async def test_allowed_updates_filters_kinds(http: httpx.AsyncClient, standin: TelegramStandIn, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    offer = await bot.send_message(ADA, "pick", reply_markup=keyboard)
    await standin.send_text(ADA, "ignored")
    await standin.press_button(ADA, offer.message_id, "a")

    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])

    assert [u.callback_query.data for u in updates if u.callback_query] == ["a"]
    assert len(updates) == 1 and standin.violations == []


async def test_a_second_poll_terminates_the_first_with_conflict(
    http: httpx.AsyncClient, standin: TelegramStandIn
) -> None:
    first = asyncio.create_task(http.post("getUpdates", data={"timeout": "5"}))
    await _held(standin)

    await _updates(http, timeout=0)
    answer = await asyncio.wait_for(first, 4.0)

    assert answer.status_code == 409 and "terminated by other getUpdates" in answer.json()["description"]

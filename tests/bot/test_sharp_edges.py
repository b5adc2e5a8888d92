"""Small sharp edges (issue 12 item 10) end to end: odd numbers and invisible prompts get a clear, free answer."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_error
from tests.conftest import ADA, LiveBot

ADMIN = 4242


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": frozenset({ADMIN})}


async def job_count(live_bot: LiveBot) -> int:
    return int(await live_bot.runtime.core.db.scalar("SELECT COUNT(*) FROM jobs"))


async def test_admin_numbers_that_int_refuses_get_the_usage_not_a_crash(live_bot: LiveBot) -> None:
    live_bot.standin.add_user(ADMIN, first_name="Root")
    await live_bot.ask(ADA, "/start", "Hi Ada")
    for command in ("/user ²", "/grant ² 5", "/grant 1001 ²", "/grant 1001 ¹⁰"):
        assert "Usage" in (await live_bot.ask(ADMIN, command, "Usage")).content, command
    granted = await live_bot.ask(ADMIN, "/grant 1001 5", "Granted")
    assert "paid balance is now 5" in granted.content


async def test_a_prompt_of_zero_width_characters_is_refused_kindly_and_costs_nothing(live_bot: LiveBot) -> None:
    answer = await live_bot.ask(ADA, "\u200b\u200b\u2060", "invisible characters")
    assert "describe the music" in answer.content
    await live_bot.ask(ADA, "calm piano seed=²", "valid seed")
    assert await job_count(live_bot) == 0
    await live_bot.ask(ADA, "/balance", "4")


def test_admin_ids_with_a_superscript_digit_is_a_one_line_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, admin_ids="42,²")  # type: ignore[call-arg]
    assert (
        describe_error(caught.value)
        == "Bad configuration: ADMIN_IDS: expected comma-separated Telegram user ids, got '²'"
    )

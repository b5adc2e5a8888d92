"""The people side and what tests observe: transcripts, wait_for, the event stream, clear failures."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from standin import TelegramStandIn
from tests.sandbox.conftest import ADA


async def test_a_command_message_carries_a_bot_command_entity(standin: TelegramStandIn) -> None:
    plain = await standin.send_text(ADA, "just words")
    command = await standin.send_text(ADA, "/start@CloudMusicBot teaser_5")

    assert "entities" not in plain
    assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 20}]
    assert command["from"]["id"] == ADA and command["chat"]["type"] == "private"
    assert command["message_id"] == plain["message_id"] + 1 and isinstance(command["date"], int)


async def test_wait_for_sees_only_the_bots_reaction_since_the_users_last_action(
    bot: Bot, standin: TelegramStandIn
) -> None:
    await bot.send_message(ADA, "old news")
    await standin.send_text(ADA, "anything new?")
    await bot.send_message(ADA, "fresh news")

    found = await standin.wait_for(ADA, lambda m: "news" in m.content, timeout=0.5)

    assert found.text == "fresh news"


async def test_wait_for_timeout_shows_the_transcript(bot: Bot, standin: TelegramStandIn) -> None:
    await standin.send_text(ADA, "/start")
    await bot.send_message(
        ADA, "Hi Ada", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    )

    with pytest.raises(AssertionError) as caught:
        await standin.wait_for(ADA, lambda m: m.kind == "audio", timeout=0.1)

    text = str(caught.value)
    assert "#1 user text: '/start'" in text and "#2 bot  text: 'Hi Ada' buttons: Go=go" in text


async def test_pressing_a_button_that_is_not_there_fails_clearly(bot: Bot, standin: TelegramStandIn) -> None:
    sent = await bot.send_message(ADA, "no buttons")

    with pytest.raises(AssertionError, match="no button with callback_data 'go'"):
        await standin.press_button(ADA, sent.message_id, "go")
    with pytest.raises(AssertionError, match="add_user"):
        await standin.send_text(4242, "who am I")


async def test_subscribers_see_messages_edits_deletions_and_payments(bot: Bot, standin: TelegramStandIn) -> None:
    async with standin.subscribe() as events:
        await standin.send_text(ADA, "hi")
        sent = await bot.send_message(ADA, "v1")
        await bot.edit_message_text("v2", chat_id=ADA, message_id=sent.message_id)
        await bot.delete_message(ADA, sent.message_id)
        seen = [await events.get(within=1.0) for _ in range(4)]

    assert [(e.kind, e.message.from_bot, e.message.content) for e in seen] == [
        ("message", False, "hi"),
        ("message", True, "v1"),
        ("edit", True, "v2"),
        ("delete", True, "v2"),
    ]

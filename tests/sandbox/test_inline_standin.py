"""The stand-in's inline mode and profile texts behave as the Bot API description says (telegram-bot-api.json)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from telegram import Bot, InlineQueryResultCachedAudio, InlineQueryResultsButton, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes, InlineQueryHandler

from standin import TelegramStandIn
from tests.sandbox.conftest import ADA, StartApp, build_app


async def _audio_file_id(bot: Bot) -> str:
    message = await bot.send_audio(ADA, audio=io.BytesIO(b"ID3fake"), filename="a.mp3", title="t")
    assert message.audio is not None
    return message.audio.file_id


async def test_an_inline_query_reaches_the_bot_and_its_answer_comes_back(
    standin: TelegramStandIn, polling: StartApp, bot: Bot
) -> None:
    file_id = await _audio_file_id(bot)
    seen: list[tuple[str, str, str | None]] = []

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        assert query is not None
        seen.append((query.query, query.offset, query.chat_type))
        await query.answer([InlineQueryResultCachedAudio("r1", file_id)], is_personal=True, next_offset="10")

    app = build_app(standin)
    app.add_handler(InlineQueryHandler(answer))
    await polling(app)
    standin.enable_inline()
    result = await standin.ask_inline(ADA, "lofi " + "x" * 300)
    assert result["results"][0]["audio_file_id"] == file_id and result["next_offset"] == "10"
    assert seen == [("lofi " + "x" * 251, "", "sender")], "clients send at most 256 characters"
    assert not standin.violations


async def test_inline_mode_must_be_switched_on_first(standin: TelegramStandIn) -> None:
    with pytest.raises(AssertionError, match="setinline"):
        await standin.ask_inline(ADA, "lofi")


async def _pending_query(standin: TelegramStandIn) -> tuple[str, asyncio.Task[dict[str, Any]]]:
    """An inline query the person has sent and the bot has not answered yet."""
    standin.enable_inline()
    asking = asyncio.ensure_future(standin.ask_inline(ADA, "x", timeout=5))
    while not standin.pending_updates:
        await asyncio.sleep(0.01)
    return str(standin.pending_updates[-1]["inline_query"]["id"]), asking


@pytest.mark.parametrize(
    ("results", "button", "problem"),
    [
        ([InlineQueryResultCachedAudio(str(i), "AUx") for i in range(51)], None, "RESULTS_TOO_MUCH"),
        ([InlineQueryResultCachedAudio("1", "nope")], None, "wrong file identifier"),
        ([InlineQueryResultCachedAudio("a", "AUx"), InlineQueryResultCachedAudio("a", "AUx")], None, "DUPLICATE"),
        ([], InlineQueryResultsButton("Open", start_parameter="has space"), "START_PARAM_INVALID"),
    ],
)
async def test_answers_telegram_would_refuse_are_refused(
    standin: TelegramStandIn, bot: Bot, results: list[Any], button: Any, problem: str
) -> None:
    file_id = await _audio_file_id(bot)
    results = [InlineQueryResultCachedAudio(r.id, file_id) if r.audio_file_id == "AUx" else r for r in results]
    query_id, asking = await _pending_query(standin)
    with pytest.raises(BadRequest, match=f"(?i){problem}"):  # PTB capitalises the description
        await bot.answer_inline_query(query_id, results, button=button)
    assert standin.violations and problem in standin.violations[-1].problem
    await bot.answer_inline_query(query_id, [])
    await asking
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query_id, [])
    standin.violations.clear()


async def test_next_offset_is_at_most_64_bytes(standin: TelegramStandIn, bot: Bot) -> None:
    query_id, asking = await _pending_query(standin)
    with pytest.raises(BadRequest, match=r"(?i)NEXT_OFFSET_INVALID"):
        await bot.answer_inline_query(query_id, [], next_offset="9" * 65)
    await bot.answer_inline_query(query_id, [], next_offset="9" * 64)
    assert (await asking)["next_offset"] == "9" * 64
    standin.violations.clear()


async def test_descriptions_are_stored_per_language_within_their_limits(standin: TelegramStandIn, bot: Bot) -> None:
    await bot.set_my_description("Default", language_code=None)
    await bot.set_my_description("Português", language_code="pt")
    await bot.set_my_short_description("Curta", language_code="pt")
    assert (await bot.get_my_description(language_code="pt")).description == "Português"
    assert (await bot.get_my_description(language_code="es")).description == "Default"
    assert (await bot.get_my_short_description(language_code="pt")).short_description == "Curta"
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.set_my_description("x" * 513)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.set_my_short_description("x" * 121, language_code="pt")
    with pytest.raises(BadRequest, match=r"(?i)two-letter"):
        await bot.set_my_description("Brasil", language_code="pt-br")
    await bot.set_my_description("", language_code="pt")  # an empty text removes the dedicated one
    assert (await bot.get_my_description(language_code="pt")).description == "Default"
    standin.violations.clear()


async def test_get_me_reports_inline_support_only_once_inline_mode_is_on(standin: TelegramStandIn, bot: Bot) -> None:
    """The Bot API's User.supports_inline_queries ("True, if the bot supports inline queries. Returned only in
    getMe") follows @BotFather's /setinline, as the stand-in's enable_inline() does."""
    assert (await bot.get_me()).supports_inline_queries is False
    standin.enable_inline()
    assert (await bot.get_me()).supports_inline_queries is True


async def test_a_standin_built_with_inline_mode_reports_it_from_the_first_get_me() -> None:
    async with TelegramStandIn(token="123456:TEST-TOKEN", inline_mode=True) as running:
        running.add_user(ADA, first_name="Ada")
        async with Bot(running.token, base_url=running.base_url) as bot:
            assert (await bot.get_me()).supports_inline_queries is True
        asking = asyncio.ensure_future(running.ask_inline(ADA, "x", timeout=5))
        while not running.pending_updates:  # inline queries are sent without enable_inline(): the mode is on
            await asyncio.sleep(0.01)
        asking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asking

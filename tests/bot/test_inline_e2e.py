"""Inline mode end to end: ``@CloudMusicBot <words>`` lists the person's own tracks by file id, paged, personal."""

from __future__ import annotations

from typing import Any

import pytest

from bot.handlers.inline import PAGE, START_PARAMETER
from standin import ChatMessage
from tests.conftest import ADA, BOB, LiveBot


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"free_daily_quota": 20}


async def _track(live_bot: LiveBot, user_id: int, prompt: str) -> ChatMessage:
    before = len(live_bot.audio_messages(user_id))
    await live_bot.say(user_id, prompt)
    await live_bot.reply(user_id, lambda m: m.content.startswith("✅"), 15)
    assert len(live_bot.audio_messages(user_id)) == before + 1
    return live_bot.audio_messages(user_id)[-1]


def _file_id(message: ChatMessage) -> str:
    return str(message.raw["audio"]["file_id"])


async def test_inline_lists_only_my_matching_tracks_newest_first_by_file_id(live_bot: LiveBot) -> None:
    live_bot.standin.enable_inline()
    rain = await _track(live_bot, ADA, "lofi rain 1s")
    await _track(live_bot, ADA, "dark techno 1s")
    night = await _track(live_bot, ADA, "LoFi night drive 1s")
    await _track(live_bot, BOB, "lofi for bob 1s")
    answer = await live_bot.standin.ask_inline(ADA, "lofi")
    assert [r["audio_file_id"] for r in answer["results"]] == [_file_id(night), _file_id(rain)]
    assert all(r["type"] == "audio" for r in answer["results"])
    assert answer["is_personal"] is True and 0 < answer["cache_time"] <= 60
    assert answer.get("next_offset", "") == ""
    recent = await live_bot.standin.ask_inline(ADA, "")
    assert len(recent["results"]) == 3
    bobs = await live_bot.standin.ask_inline(BOB, "")
    assert [r["audio_file_id"] for r in bobs["results"]] == [_file_id(live_bot.audio_messages(BOB)[-1])]


async def test_a_person_without_tracks_gets_a_button_that_opens_the_bot(live_bot: LiveBot) -> None:
    live_bot.standin.enable_inline()
    answer = await live_bot.standin.ask_inline(ADA, "anything")
    assert answer["results"] == []
    assert answer["button"]["start_parameter"] == START_PARAMETER
    assert answer["button"]["text"] == "🎵 Make your first track"
    german = await live_bot.standin.ask_inline(BOB, "")
    assert german["button"]["text"] == "🎵 Mach deinen ersten Track"


async def test_inline_results_are_paged_with_next_offset(live_bot: LiveBot) -> None:
    live_bot.standin.enable_inline()
    for n in range(PAGE + 2):
        await _track(live_bot, ADA, f"ambient take {n} 1s")
    first = await live_bot.standin.ask_inline(ADA, "ambient")
    assert len(first["results"]) == PAGE and first["next_offset"] == str(PAGE)
    second = await live_bot.standin.ask_inline(ADA, "ambient", offset=first["next_offset"])
    assert len(second["results"]) == 2 and second.get("next_offset", "") == ""
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(ids)) == PAGE + 2
    bad = await live_bot.standin.ask_inline(ADA, "ambient", offset="; DROP TABLE jobs")
    assert [r["id"] for r in bad["results"]] == [r["id"] for r in first["results"]]


async def test_each_track_has_a_send_to_chat_button_that_finds_exactly_it(live_bot: LiveBot) -> None:
    live_bot.standin.enable_inline()
    audio = await _track(live_bot, ADA, "sunny house 1s")
    await _track(live_bot, ADA, "sunny house again 1s")
    rows = (audio.reply_markup or {})["inline_keyboard"]
    [send] = [b for row in rows for b in row if "switch_inline_query_chosen_chat" in b]
    assert send["text"] == "📤 Send to a chat"
    typed = send["switch_inline_query_chosen_chat"]["query"]
    answer = await live_bot.standin.ask_inline(ADA, typed)
    assert [r["audio_file_id"] for r in answer["results"]] == [_file_id(audio)]
    stranger = await live_bot.standin.ask_inline(BOB, typed)
    assert stranger["results"] == [], "another person's track id shows nothing"


async def test_long_and_odd_queries_are_cut_and_taken_literally(live_bot: LiveBot) -> None:
    live_bot.standin.enable_inline()
    await _track(live_bot, ADA, "100% lofi 1s")
    await _track(live_bot, ADA, "lofi 1s")
    percent = await live_bot.standin.ask_inline(ADA, "100%")
    assert len(percent["results"]) == 1
    underscore = await live_bot.standin.ask_inline(ADA, "_")
    assert underscore["results"] == []
    huge = await live_bot.standin.ask_inline(ADA, "lofi " + "x" * 1000)
    assert huge["results"] == []  # answered; the query is cut to 64 characters before it is searched


async def test_the_open_the_bot_button_leads_to_a_plain_welcome(live_bot: LiveBot) -> None:
    reply = await live_bot.ask(ADA, f"/start {START_PARAMETER}", "Hi Ada")
    assert "shared link" not in reply.content

"""/song asked step by step and guided mode's engine and song choices, end to end: real PTB against the Telegram
stand-in, ENGINES=mock,replicate:ace-step,replicate:ace-step-1.5 with the Replicate stand-in, a real SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import running_bot
from standin import ChatMessage, TelegramStandIn
from standin.replicate_standin import ReplicateStandIn
from storage.songs import SongDraftRepository
from tests.bot.test_song_e2e import LYRICS, balance, button, grant
from tests.conftest import ADA, Clock, LiveBot, make_settings

ACE_STEP_15 = "fd851baef553cb1656f4a05e8f2f8641672f10bc808718f5718b4b4bb2b07794"
ACE_STEP_1 = "280fc4f9ee507577f880a167f639c02622421d8fecf492454320311217b688f1"
WRITER = "ibm-granite/granite-3.3-8b-instruct"
WRITTEN = "[verse]\nTrams climb the hill at dawn\n\n[chorus]\nSaudade, stay a while"


@pytest.fixture
def bot_settings(replicate_standin: ReplicateStandIn) -> dict[str, Any]:
    return {
        "engines": "mock,replicate:ace-step,replicate:ace-step-1.5",
        "model_costs": "ace-step-1.5=2",
        "replicate_api_token": replicate_standin.token,
        "replicate_base_url": replicate_standin.base_url,
    }


def no_button(message: ChatMessage, prefix: str) -> bool:
    return not [b for b in message.buttons if (b.callback_data or "").startswith(prefix)]


async def lyrics_step(live_bot: LiveBot, style: str) -> ChatMessage:
    """``/song`` alone, then the style: the bot's step 2 (lyrics)."""
    await live_bot.ask(ADA, "/song", "1/3")
    return await live_bot.ask(ADA, style, "2/3")


# --- /song step by step ------------------------------------------------------------------------------------------


async def test_song_alone_asks_the_style_then_the_lyrics_and_ends_in_a_confirm_button_with_the_price(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    await grant(live_bot, 2)
    await live_bot.ask(ADA, "/engine ace-step-1.5", "From now on")

    first = await live_bot.ask(ADA, "/song", "1/3")
    assert "/song <style>" in first.content and "[verse]" in first.content, "the one-message form is explained"
    step = await live_bot.ask(ADA, "bittersweet fado pop 6s", "2/3")
    assert "[verse]" in step.content and "3000" in step.content, "section tags kept, limits told"
    assert button(step, "sg:ai:") and button(step, "sg:in:") and button(step, "sg:no:")
    waiting = await SongDraftRepository(live_bot.runtime.core.db).waiting(ADA)
    assert waiting is not None and waiting.stage == "lyrics" and waiting.style == "bittersweet fado pop 6s"

    draft = await live_bot.ask(ADA, LYRICS, "Compose it?")
    assert "Sung by ace-step-1.5" in draft.content and "Price: 2 credit(s)" in draft.content
    assert button(draft, "sg:ok:") and "2 credit(s)" in draft.buttons[0].text
    await live_bot.standin.press_button(ADA, draft.message_id, button(draft, "sg:ok:"))
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)

    (create,) = replicate_standin.creates
    assert create.json["version"] == ACE_STEP_15 and create.json["input"]["lyrics"] == LYRICS
    assert "bittersweet fado pop" in create.json["input"]["caption"] and create.json["input"]["duration"] == 6
    assert await balance(live_bot) == (4, 0)
    assert await SongDraftRepository(live_bot.runtime.core.db).waiting(ADA) is None


async def test_the_step_a_user_is_at_survives_a_restart_of_the_bot(
    tmp_path: Path, standin: TelegramStandIn, clock: Clock, bot_settings: dict[str, Any]
) -> None:
    settings = make_settings(tmp_path / "data", standin, **bot_settings)
    async with running_bot(settings, clock=clock, poll_timeout=1) as runtime:
        first = LiveBot(standin, runtime, clock)
        await first.ask(ADA, "/song", "1/3")
        await first.ask(ADA, "bittersweet fado pop 6s", "2/3")

    async with running_bot(settings, clock=clock, poll_timeout=1) as runtime:  # a new process: nothing in memory
        draft = await LiveBot(standin, runtime, clock).ask(ADA, LYRICS, "Compose it?")

    assert "bittersweet fado pop" in draft.content and "Sung by ace-step" in draft.content


async def test_a_step_left_for_over_an_hour_is_forgotten_and_the_next_message_is_a_prompt(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/song", "1/3")
    live_bot.clock.advance(hours=1, minutes=1)

    await live_bot.say(ADA, "calm ambient 1s engine=mock")
    await live_bot.standin.wait_for(ADA, lambda m: m.kind == "audio" and "calm ambient" in m.content, timeout=20)

    assert await SongDraftRepository(live_bot.runtime.core.db).waiting(ADA) is None


async def test_a_plain_message_after_the_steps_is_a_prompt_again(live_bot: LiveBot) -> None:
    step = await lyrics_step(live_bot, "calm lo-fi 6s")
    await live_bot.standin.press_button(ADA, step.message_id, button(step, "sg:no:"))
    await live_bot.reply(ADA, lambda m: "dropped" in m.content)

    await live_bot.say(ADA, "calm ambient 1s engine=mock")
    await live_bot.standin.wait_for(ADA, lambda m: m.kind == "audio" and "calm ambient" in m.content, timeout=20)


async def test_lyrics_over_the_limit_at_the_lyrics_step_are_explained_and_the_step_still_waits(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    await lyrics_step(live_bot, "pop 6s")

    refused = await live_bot.ask(ADA, "la la la la\n" * 200, "at most 120")
    assert "nothing was used up" in refused.content and not refused.buttons
    draft = await live_bot.ask(ADA, LYRICS, "Compose it?")

    assert "Sung by ace-step" in draft.content and "Price: 1 credit(s)" in draft.content, "the first vocal model"
    assert replicate_standin.creates == [] and await balance(live_bot) == (4, 0)


async def test_the_instrumental_choice_is_explicit_and_priced_by_the_users_default_engine(live_bot: LiveBot) -> None:
    step = await lyrics_step(live_bot, "dreamy pop 6s")

    await live_bot.standin.press_button(ADA, step.message_id, button(step, "sg:in:"))
    draft = await live_bot.reply(ADA, lambda m: "Compose it?" in m.content)

    assert "instrumental (no vocals) by mock" in draft.content and "Price: 1 credit(s)" in draft.content
    await live_bot.standin.press_button(ADA, draft.message_id, button(draft, "sg:ok:"))
    await live_bot.reply(ADA, lambda m: m.kind == "audio" and "Take 2/2" in m.content, timeout=20)


async def test_the_ai_writer_at_the_lyrics_step_writes_from_a_theme_and_the_song_keeps_its_style(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("succeeded", model=WRITER, text=WRITTEN)
    step = await lyrics_step(live_bot, "bittersweet fado pop 6s")

    await live_bot.standin.press_button(ADA, step.message_id, button(step, "sg:ai:"))
    await live_bot.reply(ADA, lambda m: "What is the song about" in m.content)
    shown = await live_bot.ask(ADA, "leaving Lisbon at dawn", "Trams climb")
    await live_bot.standin.press_button(ADA, shown.message_id, button(shown, "lw:re:"))
    again = await live_bot.reply(ADA, lambda m: m.content == WRITTEN and m.message_id != shown.message_id)
    await live_bot.standin.press_button(ADA, again.message_id, button(again, "lw:use:"))
    draft = await live_bot.reply(ADA, lambda m: "Compose it?" in m.content)
    assert "bittersweet fado pop" in draft.content and "Sung by ace-step" in draft.content
    await live_bot.standin.press_button(ADA, draft.message_id, button(draft, "sg:ok:"))
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)

    writes = [c for c in replicate_standin.creates if c.json["version"].startswith("8afd11cc")]
    (song,) = [c for c in replicate_standin.creates if c.json["version"] == ACE_STEP_1]
    assert len(writes) == 2 and all("leaving Lisbon at dawn" in w.json["input"]["prompt"] for w in writes)
    assert song.json["input"]["lyrics"] == WRITTEN and "bittersweet fado pop" in song.json["input"]["tags"]


async def test_edit_lets_the_user_paste_their_version_of_the_written_lyrics(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("succeeded", model=WRITER, text=WRITTEN)
    shown = await live_bot.ask(ADA, "/lyrics rain in Porto", "Trams climb")
    await live_bot.standin.press_button(ADA, shown.message_id, button(shown, "lw:ed:"))
    await live_bot.reply(ADA, lambda m: "/song rain in Porto" in m.content)

    mine = WRITTEN.replace("Trams", "Boats")
    draft = await live_bot.ask(ADA, mine, "Compose it?")
    await live_bot.standin.press_button(ADA, draft.message_id, button(draft, "sg:ok:"))
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)

    (song,) = [c for c in replicate_standin.creates if c.json["version"] == ACE_STEP_1]
    assert song.json["input"]["lyrics"] == mine


async def test_lyrics_pasted_when_the_writer_asks_for_a_theme_are_taken_as_the_users_own(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    step = await lyrics_step(live_bot, "bittersweet fado pop 6s")
    await live_bot.standin.press_button(ADA, step.message_id, button(step, "sg:ai:"))
    await live_bot.reply(ADA, lambda m: "What is the song about" in m.content)

    draft = await live_bot.ask(ADA, LYRICS, "Compose it?")

    assert "Sung by ace-step" in draft.content and "6 lines" in draft.content
    assert replicate_standin.creates == [], "the writer was not asked"


# --- /song respects /engine --------------------------------------------------------------------------------------


async def test_song_uses_the_users_default_model_when_it_sings_else_the_first_vocal_model(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/engine ace-step-1.5", "From now on")
    sung = await live_bot.ask(ADA, "/song pop 6s\n" + LYRICS, "Compose it?")
    assert "Sung by ace-step-1.5" in sung.content and "Price: 2 credit(s)" in sung.content

    await live_bot.ask(ADA, "/engine mock", "From now on")
    fallback = await live_bot.ask(ADA, "/song pop 6s\n" + LYRICS, "Compose it?")
    assert "Sung by ace-step " in fallback.content and "Price: 1 credit(s)" in fallback.content
    instrumental = await live_bot.ask(ADA, "/song pop 2s", "Compose it?")
    assert "instrumental (no vocals) by mock" in instrumental.content


# --- guided mode -------------------------------------------------------------------------------------------------


async def test_guided_mode_has_an_engine_step_with_prices_and_the_chosen_model_makes_the_track(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    await grant(live_bot, 2)
    await live_bot.ask(ADA, "/engine ace-step-1.5", "From now on")
    menu = await live_bot.ask(ADA, "/generate", "Pick a genre")
    await live_bot.standin.press_button(ADA, menu.message_id, "gm:m:1")  # house
    mood = await live_bot.reply(ADA, lambda m: "pick a mood" in m.content)
    await live_bot.standin.press_button(ADA, mood.message_id, button(mood, "gm:e:1:2"))  # calm

    engines = await live_bot.reply(ADA, lambda m: "Which engine" in m.content)
    assert "mock — 1 credit(s)" in engines.content and "ace-step-1.5 — 2 credit(s)" in engines.content
    assert "MIT" in engines.content and "sings lyrics" in engines.content and "extends tracks" in engines.content
    assert engines.buttons[0].text.startswith("✅") and engines.buttons[0].callback_data == "gm:l:1:2:ace-step-1.5"
    await live_bot.standin.press_button(ADA, engines.message_id, "gm:l:1:2:ace-step-1.5")
    length = await live_bot.reply(ADA, lambda m: "How long" in m.content)
    await live_bot.standin.press_button(ADA, length.message_id, "gm:c:1:2:15:ace-step-1.5")

    summary = await live_bot.reply(ADA, lambda m: "ace-step-1.5" in m.content and "15 s" in m.content)
    assert "2 credit(s)" in summary.content
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)
    (create,) = replicate_standin.creates
    assert create.json["version"] == ACE_STEP_15 and create.json["input"]["duration"] == 15
    assert "calm house" in create.json["input"]["caption"]
    assert await balance(live_bot) == (4, 0)


async def test_guided_mode_offers_a_song_that_asks_step_by_step(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(ADA, "/generate", "Pick a genre")
    await live_bot.standin.press_button(ADA, menu.message_id, button(menu, "gm:s"))

    await live_bot.reply(ADA, lambda m: "1/3" in m.content)
    step = await live_bot.ask(ADA, "warm soul ballad 6s", "2/3")

    assert button(step, "sg:in:") and no_button(step, "gm:")

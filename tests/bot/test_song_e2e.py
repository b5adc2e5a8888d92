"""Songs with vocals, end to end: real PTB against the Telegram stand-in, ENGINES=mock,replicate:ace-step-1.5
with the Replicate stand-in, a real SQLite file and real ffmpeg."""

from __future__ import annotations

from typing import Any

import pytest

from engines.ffmpeg import run_ffmpeg
from standin import ChatMessage
from standin.replicate_standin import ReplicateStandIn
from tests.conftest import ADA, LiveBot

LYRICS = "[verse]\nWalking down the Tagus at night,  \nlights on the water\n\n[chorus]\nAdeus, Lisboa — adeus!"
SONG = "/song bittersweet fado pop 6s\n" + LYRICS


@pytest.fixture
def bot_settings(replicate_standin: ReplicateStandIn) -> dict[str, Any]:
    return {
        "engines": "mock,replicate:ace-step-1.5",
        "model_costs": "ace-step-1.5=2",
        "replicate_api_token": replicate_standin.token,
        "replicate_base_url": replicate_standin.base_url,
    }


def button(message: ChatMessage, prefix: str) -> str:
    for candidate in message.buttons:
        if candidate.callback_data and candidate.callback_data.startswith(prefix):
            return candidate.callback_data
    raise AssertionError(f"no {prefix!r} button on {message.describe()}")


async def balance(live_bot: LiveBot) -> tuple[int, int]:
    services = live_bot.runtime.services
    now = await services.studio.credits.balance(services.fingerprint(ADA))
    return now.free_left, now.paid


async def grant(live_bot: LiveBot, credits: int) -> None:
    services = live_bot.runtime.services
    await services.studio.credits.add_paid(services.fingerprint(ADA), credits, kind="grant", reference="test-grant")


async def confirm(live_bot: LiveBot, text: str) -> ChatMessage:
    """Send ``text`` and press the compose button of the draft the bot answers with."""
    draft = await live_bot.ask(ADA, text, "Compose it?")
    await live_bot.standin.press_button(ADA, draft.message_id, button(draft, "sg:ok:"))
    return draft


async def test_a_song_with_pasted_lyrics_reaches_the_ace_step_15_prediction_unchanged_for_its_price(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    await grant(live_bot, 3)

    draft = await confirm(live_bot, SONG)
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)

    assert "Price: 2 credit(s)" in draft.content and "ace-step-1.5" in draft.content and "6 lines" in draft.content
    (create,) = replicate_standin.creates
    assert create.json["input"]["lyrics"] == LYRICS
    assert "bittersweet fado pop" in create.json["input"]["caption"] and create.json["input"]["duration"] == 6
    assert await balance(live_bot) == (4, 1), "two paid credits, no free track"
    (audio,) = live_bot.audio_messages(ADA)
    assert audio.file is not None and b"USLT" in audio.file.data[:4000]


async def test_the_lyrics_are_in_the_mp3_and_in_history_behind_a_lyrics_button(
    live_bot: LiveBot, tmp_path: Any
) -> None:
    await grant(live_bot, 2)
    await confirm(live_bot, SONG)
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)
    (audio,) = live_bot.audio_messages(ADA)
    assert audio.file is not None
    path = tmp_path / "song.mp3"
    path.write_bytes(audio.file.data)
    assert "Adeus, Lisboa — adeus!" in run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "pipe:1"]).decode()

    listing = await live_bot.ask(ADA, "/history", "Your tracks")
    await live_bot.standin.press_button(ADA, listing.message_id, button(listing, "ly:"))
    shown = await live_bot.reply(ADA, lambda m: m.content.startswith("[verse]"))

    assert shown.content == LYRICS


async def test_a_dearer_model_takes_paid_credits_only_and_says_so(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    await grant(live_bot, 1)

    await confirm(live_bot, SONG)
    refused = await live_bot.reply(ADA, lambda m: "bought credits only" in m.content)

    assert "costs 2 credits" in refused.content and button(refused, "buy") == "buy"
    assert replicate_standin.creates == []
    assert await balance(live_bot) == (4, 1), "nothing was taken"


async def test_two_takes_of_one_prompt_arrive_for_one_free_credit_and_both_are_in_history(live_bot: LiveBot) -> None:
    await live_bot.say(ADA, "calm ambient 2s engine=mock seed=40")
    await live_bot.standin.wait_for(ADA, lambda m: m.kind == "audio" and "Take 1/2" in m.content, timeout=20, since=0)
    await live_bot.standin.wait_for(ADA, lambda m: m.kind == "audio" and "Take 2/2" in m.content, timeout=20, since=0)

    audios = live_bot.audio_messages(ADA)
    assert len(audios) == 2
    first, second = sorted(audios, key=lambda m: "Take 2/2" in m.content)  # the two workers may finish in any order
    assert "seed 40" in first.content and "seed 41" in second.content, "different seeds"
    assert first.file is not None and second.file is not None and first.file.data != second.file.data
    assert await balance(live_bot) == (3, 0), "a one-credit model uses the free quota, once for both takes"
    done: set[int] = set()
    while len(done) < 2:  # each take settles on its own: wait for both status messages to say done
        finished = await live_bot.standin.wait_for(
            ADA, lambda m: m.content.startswith("✅ Done") and m.message_id not in done, timeout=20, since=0
        )
        done.add(finished.message_id)
    listing = await live_bot.ask(ADA, "/history", "Your tracks")
    assert "1. " in listing.content and "2. " in listing.content


async def test_an_extra_take_that_fails_says_nothing_was_charged_not_credit_returned(live_bot: LiveBot) -> None:
    await live_bot.say(ADA, "[reject] calm ambient 1s engine=mock seed=7")

    first = await live_bot.standin.wait_for(ADA, lambda m: "credit was returned" in m.content, timeout=20, since=0)
    extra = await live_bot.standin.wait_for(ADA, lambda m: "Take 2/2" in m.content, timeout=20, since=0)

    assert "could not make this prompt" in first.content
    assert "nothing was charged" in extra.content and "credit" not in extra.content.lower()
    assert await balance(live_bot) == (4, 0), "the failed first take gave its free credit back; the extra cost nothing"


async def test_a_vocal_model_failing_returns_every_credit_it_took(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("failed", model="visoar/ace-step-1.5")
    await grant(live_bot, 2)

    await confirm(live_bot, SONG)
    await live_bot.reply(ADA, lambda m: "could not be made" in m.content, timeout=20)

    assert await balance(live_bot) == (4, 2)


async def test_lyrics_over_the_limit_are_explained_and_nothing_is_kept_or_spent(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    await grant(live_bot, 2)

    answer = await live_bot.ask(ADA, "/song pop\n" + "la la la la\n" * 700, "at most 3000")

    assert "nothing was used up" in answer.content and not answer.buttons
    assert await balance(live_bot) == (4, 2) and replicate_standin.creates == []


async def test_song_alone_explains_the_one_message_form_and_engine_lists_prices(live_bot: LiveBot) -> None:
    usage = await live_bot.ask(ADA, "/song", "Songs with vocals")
    assert "[verse]" in usage.content and "ace-step-1.5" in usage.content
    assert "<b>" not in usage.content and "/song <style>" in usage.content, "the usage is sent as HTML, not raw tags"

    offer = await live_bot.ask(ADA, "/engine", "Engines on offer")
    assert "ace-step-1.5 — 2 credit(s)" in offer.content and "sings lyrics" in offer.content
    assert "mock — 1 credit(s) a prompt, 2 take(s)" in offer.content


async def test_a_track_of_a_model_that_cannot_extend_has_no_extend_button_while_one_that_can_has(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    await grant(live_bot, 2)
    await confirm(live_bot, SONG)
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)
    (song,) = live_bot.audio_messages(ADA)

    await live_bot.say(ADA, "calm ambient 1s engine=mock")
    mock = await live_bot.standin.wait_for(ADA, lambda m: m.kind == "audio" and "calm ambient" in m.content, timeout=20)

    # The Replicate engine's default model (MusicGen) can continue audio; ACE-Step 1.5 cannot (engines/catalogue.py).
    assert button(song, "rg:") and not [b for b in song.buttons if (b.callback_data or "").startswith("ex:")]
    assert button(mock, "ex:")
    assert len(replicate_standin.creates) == 1 and await balance(live_bot) == (3, 0)


async def test_engine_name_makes_a_per_user_default_that_prompts_then_use(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    await grant(live_bot, 2)
    chosen = await live_bot.ask(ADA, "/engine ace-step-1.5", "From now on")
    assert "ace-step-1.5" in chosen.content and "2 credit(s)" in chosen.content

    await live_bot.say(ADA, "bright pop anthem 5s")
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)

    (create,) = replicate_standin.creates
    assert create.json["version"] == "fd851baef553cb1656f4a05e8f2f8641672f10bc808718f5718b4b4bb2b07794"
    assert create.json["input"]["lyrics"] == "[instrumental]", "a typed prompt is an instrumental"
    assert await balance(live_bot) == (4, 0), "its price, from paid credits"
    unknown = await live_bot.ask(ADA, "/engine suno", "don't offer")
    assert "mock, ace-step-1.5" in unknown.content


# --- the AI lyric writer ----------------------------------------------------------------------------------------

WRITTEN = "[verse]\nCity lights are fading\n\n[chorus]\nAdeus, adeus <b>not bold</b>"


async def test_the_ai_writers_lyrics_are_shown_as_plain_text_rewritten_and_used_for_a_song(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("succeeded", model="ibm-granite/granite-3.3-8b-instruct", text=WRITTEN)
    await grant(live_bot, 2)

    shown = await live_bot.ask(ADA, "/lyrics leaving Lisbon, bittersweet", "City lights")
    assert shown.content == WRITTEN, "plain text: the model's markup is shown, not interpreted"
    (sent,) = [c for c in live_bot.standin.calls if c.method == "sendMessage" and c.params.get("text") == WRITTEN]
    assert not sent.params.get("parse_mode")
    await live_bot.standin.press_button(ADA, shown.message_id, button(shown, "lw:re:"))
    again = await live_bot.reply(ADA, lambda m: m.content == WRITTEN and m.message_id != shown.message_id)
    await live_bot.standin.press_button(ADA, again.message_id, button(again, "lw:use:"))
    draft = await live_bot.reply(ADA, lambda m: "Compose it?" in m.content)
    await live_bot.standin.press_button(ADA, draft.message_id, button(draft, "sg:ok:"))
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)

    writes = [c for c in replicate_standin.creates if c.json["version"].startswith("8afd11cc")]
    songs = [c for c in replicate_standin.creates if c.json["version"].startswith("fd851bae")]
    assert len(writes) == 2 and "leaving Lisbon, bittersweet" in writes[1].json["input"]["prompt"]
    assert len(songs) == 1 and songs[0].json["input"]["lyrics"] == WRITTEN
    assert await balance(live_bot) == (4, 0), "writing was free; the song cost its 2 credits"


async def test_edit_explains_how_to_send_your_version_and_the_daily_limit_is_enforced(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("succeeded", model="ibm-granite/granite-3.3-8b-instruct", text=WRITTEN)
    shown = await live_bot.ask(ADA, "/lyrics rain in Porto", "City lights")
    await live_bot.standin.press_button(ADA, shown.message_id, button(shown, "lw:ed:"))
    await live_bot.reply(ADA, lambda m: "/song rain in Porto" in m.content)

    for theme in ("two", "three"):
        await live_bot.ask(ADA, f"/lyrics {theme}", "City lights")
    refused = await live_bot.ask(ADA, "/lyrics four", "today's 3 free lyric writes")

    assert not refused.buttons
    assert len(replicate_standin.creates) == 3

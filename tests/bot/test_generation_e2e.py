"""Generation in chat, end to end: real PTB, the stand-in, ENGINE=mock, a real SQLite file and real ffmpeg."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from compose.studio import Gone, NotYours, Requester
from engines.audio import decode_audio
from standin import ChatMessage
from tests.bot.test_errors_map_e2e import press_forged
from tests.conftest import ADA, BOB, LiveBot


def button(message: ChatMessage, prefix: str) -> str:
    """The callback data of the message's button starting with ``prefix``."""
    for candidate in message.buttons:
        if candidate.callback_data and candidate.callback_data.startswith(prefix):
            return candidate.callback_data
    raise AssertionError(f"no {prefix!r} button on {message.describe()}")


async def track(live_bot: LiveBot, user_id: int, prompt: str, timeout: float = 15.0) -> ChatMessage:
    """Send a prompt and wait until its audio is delivered and settled (the status message says done)."""
    before = len(live_bot.audio_messages(user_id))
    await live_bot.say(user_id, prompt)
    await live_bot.reply(user_id, lambda m: m.content.startswith("✅ Done"), timeout)
    assert len(live_bot.audio_messages(user_id)) == before + 1
    return live_bot.audio_messages(user_id)[-1]


async def free_left(live_bot: LiveBot, user_id: int) -> int:
    return (
        await live_bot.runtime.services.studio.credits.balance(live_bot.runtime.services.fingerprint(user_id))
    ).free_left


async def test_a_prompt_comes_back_as_a_tagged_mp3_with_cover_caption_and_buttons(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "dark techno bpm=128 key=Am 4s seed=7")
    assert audio.file is not None and audio.file.data[:3] == b"ID3" and b"Dark techno" in audio.file.data[:400]
    samples, rate = decode_audio(audio.file.data)
    assert rate == 44_100 and abs(samples.shape[0] / rate - 4.0) < 0.15
    assert audio.title == "Dark techno" and audio.performer == "CloudMusic · mock" and audio.duration == 4
    assert audio.thumbnail is not None and audio.thumbnail.data[:2] == b"\xff\xd8" and audio.thumbnail.size <= 200_000
    assert "dark techno" in audio.content and "seed 7" in audio.content and "128 BPM · A minor" in audio.content
    assert "non-commercial" not in audio.content, "the mock engine's output may be sold"
    for prefix in ("rg:", "ex:", "wav:", "st:", "sh:"):
        button(audio, prefix)
    status = await live_bot.standin.wait_for(ADA, lambda m: m.content.startswith("✅ Done"), since=0)
    assert status.kind == "text" and status.edited
    assert await free_left(live_bot, ADA) == 3


@pytest.mark.parametrize("bot_settings", [{"chat_action_interval": 0.4}])
async def test_longer_work_shows_the_recording_indicator_repeatedly(live_bot: LiveBot) -> None:
    await track(live_bot, ADA, "[slow:2] slow ambient 2s")
    actions = [c for c in live_bot.standin.calls if c.method == "sendChatAction"]
    assert len(actions) >= 3 and {c.params["action"] for c in actions} == {"record_voice"}


async def test_a_quick_track_needs_three_bot_api_calls(live_bot: LiveBot) -> None:
    await track(live_bot, ADA, "quick techno 1s")
    methods = [
        c.method
        for c in live_bot.standin.calls
        if c.method
        not in ("getUpdates", "getMe", "setMyCommands", "setMyDescription", "setMyShortDescription", "deleteWebhook")
    ]
    assert methods == ["sendMessage", "sendAudio", "editMessageText"], "composing… → audio → done"


async def test_the_fifth_prompt_of_the_day_is_blocked_until_midnight(live_bot: LiveBot) -> None:
    for index in range(4):
        await track(live_bot, ADA, f"calm ambient {index} 2s")
    blocked = await live_bot.ask(ADA, "one more 2s", "used today's 4 free tracks")
    assert "12 h 0 min" in blocked.content and button(blocked, "buy") == "buy"
    await live_bot.standin.press_button(ADA, blocked.message_id, "buy")
    assert len(live_bot.audio_messages(ADA)) == 4
    live_bot.clock.advance(hours=12, seconds=1)
    await track(live_bot, ADA, "first of the new day 2s")
    assert await free_left(live_bot, ADA) == 3


async def test_an_engine_failure_returns_the_credit_and_says_so(live_bot: LiveBot) -> None:
    await live_bot.say(ADA, "[fail] broken synth 2s")
    failed = await live_bot.reply(ADA, lambda m: "credit was returned" in m.content)
    assert "busy or unavailable" in failed.content
    assert await free_left(live_bot, ADA) == 4 and not live_bot.audio_messages(ADA)


@pytest.mark.parametrize("bot_settings", [{"generation_timeout": 0.5}])
async def test_a_timeout_returns_the_credit_and_says_so(live_bot: LiveBot) -> None:
    await live_bot.say(ADA, "[slow:5] very slow 2s")
    failed = await live_bot.reply(ADA, lambda m: "took too long" in m.content)
    assert "credit was returned" in failed.content
    assert await free_left(live_bot, ADA) == 4


async def test_a_second_prompt_while_one_is_in_the_works_is_told_so(live_bot: LiveBot) -> None:
    assert live_bot.runtime.services.studio.credits.max_active_jobs == 1, "one active job per user by default"
    await live_bot.say(ADA, "[slow:3] first 2s")
    await live_bot.reply(ADA, lambda m: "Composing" in m.content)
    busy = await live_bot.ask(ADA, "second 2s", "already have a track")
    assert "/cancel" in busy.content
    assert await free_left(live_bot, ADA) == 3


async def test_cancel_stops_the_running_job_and_returns_the_credit(live_bot: LiveBot) -> None:
    await live_bot.say(ADA, "[slow:30] endless drone 2s")
    await live_bot.reply(ADA, lambda m: "Composing" in m.content)
    await live_bot.say(ADA, "/cancel")
    canceled = await live_bot.reply(ADA, lambda m: m.content.startswith("🚫 Canceled"))
    assert "credit was returned" in canceled.content
    assert await free_left(live_bot, ADA) == 4
    nothing = await live_bot.ask(ADA, "/cancel", "no track in the works")
    assert nothing.kind == "text"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bpm=120", "Add a few words"),
        ("x" * 501, "keep it under 500"),
        ("techno \x07 beat", "control characters"),
        ("techno tempo=120", "don't know the parameter “tempo”"),
        ("techno bpm=fast", "isn't a tempo"),
        ("techno key=H", "isn't a key"),
        ("techno 700s", "longer than this engine can make"),
        ("techno seed=-1", "isn't a valid seed"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_costs_nothing(live_bot: LiveBot, text: str, expected: str) -> None:
    reply = await live_bot.ask(ADA, text, expected)
    assert reply.kind == "text"
    assert await free_left(live_bot, ADA) == 4
    assert await live_bot.runtime.services.studio.jobs.count_for_user(ADA) == 0


async def test_guided_mode_walks_genre_mood_length_to_a_track(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(ADA, "/generate", "Pick a genre")
    await live_bot.standin.press_button(ADA, menu.message_id, button(menu, "gm:m:1"))  # house
    mood = await live_bot.reply(ADA, lambda m: "pick a mood" in m.content, 5)
    await live_bot.standin.press_button(ADA, mood.message_id, button(mood, "gm:l:1:2"))  # calm
    length = await live_bot.reply(ADA, lambda m: "How long" in m.content, 5)
    await live_bot.standin.press_button(ADA, length.message_id, "gm:c:1:2:15")
    await live_bot.reply(ADA, lambda m: m.kind == "audio", 15)
    audio = live_bot.audio_messages(ADA)[-1]
    assert audio.duration == 15 and "calm house" in audio.content
    assert "Style: house" in audio.content  # the caption names the style the engine played


async def test_guided_mode_can_start_over_and_close(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(ADA, "/generate", "Pick a genre")
    await live_bot.standin.press_button(ADA, menu.message_id, "gm:m:0")
    await live_bot.reply(ADA, lambda m: "techno" in m.content and "mood" in m.content, 5)
    await live_bot.standin.press_button(ADA, menu.message_id, "gm:g")
    await live_bot.reply(ADA, lambda m: "Pick a genre" in m.content, 5)
    await live_bot.standin.press_button(ADA, menu.message_id, "gm:x")
    await live_bot.reply(ADA, lambda m: "Guided mode closed" in m.content, 5)
    assert await free_left(live_bot, ADA) == 4


@pytest.mark.parametrize("data", ["gm:m:99", "gm:l:1:2:no-such-model", "gm:c:1:2:15:no-such-model"])
async def test_a_stale_guided_button_is_answered_as_expired_and_costs_nothing(live_bot: LiveBot, data: str) -> None:
    """An old keyboard (an index past the lists, an engine no longer offered) says so and composes nothing."""
    menu = await live_bot.ask(ADA, "/generate", "Pick a genre")
    await press_forged(live_bot, ADA, menu, data, "stale-1")
    assert (await live_bot.callback_answer("stale-1")).get("text") == "This button has expired."
    assert await free_left(live_bot, ADA) == 4
    assert await live_bot.runtime.services.studio.jobs.count_for_user(ADA) == 0


async def test_a_preset_composes_with_one_tap(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(ADA, "/presets", "Pick a template")
    assert {b.callback_data for b in menu.buttons} == {"pr:intro", "pr:speech", "pr:transition", "pr:lofi", "pr:techno"}
    await live_bot.standin.press_button(ADA, menu.message_id, "pr:intro")
    await live_bot.reply(ADA, lambda m: m.kind == "audio", 15)
    audio = live_bot.audio_messages(ADA)[-1]
    assert audio.duration == 15 and "cinematic video intro" in audio.content


@pytest.mark.parametrize("bot_settings", [{"free_daily_quota": 10}])
async def test_track_buttons_regenerate_wav_stems_and_share(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "lofi beat 2s seed=3")
    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "wav:"))
    wav = await live_bot.reply(ADA, lambda m: m.kind == "document")
    assert wav.file is not None and wav.file.data[:4] == b"RIFF"
    uploads = [c for c in live_bot.standin.calls if c.method == "sendDocument"]
    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "wav:"))
    await live_bot.reply(ADA, lambda m: m.kind == "document")
    again = [c for c in live_bot.standin.calls if c.method == "sendDocument"][len(uploads) :]
    assert again and isinstance(again[0].params["document"], str), "the second WAV re-uses Telegram's file_id"

    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "st:"))
    stems = await live_bot.reply(
        ADA, lambda m: m.kind == "document" and (m.file is not None and m.file.data[:2] == b"PK")
    )
    assert stems.file is not None

    query = await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "sh:"))
    assert "featured" in (await live_bot.callback_answer(query)).get("text", "")
    jobs = await live_bot.runtime.services.studio.jobs.for_user(ADA)
    assert jobs[0].shared_at is not None

    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "rg:"))
    await live_bot.reply(ADA, lambda m: m.kind == "audio" and len(live_bot.audio_messages(ADA)) == 2, 15)
    first, second = (await live_bot.runtime.services.studio.jobs.for_user(ADA))[::-1][:2]
    assert first.prompt == second.prompt and first.seed != second.seed


async def test_someone_elses_track_cannot_be_shared_regenerated_or_fetched(live_bot: LiveBot) -> None:
    await track(live_bot, ADA, "private song 2s")
    job = (await live_bot.runtime.services.studio.jobs.for_user(ADA))[0]
    studio = live_bot.runtime.services.studio
    bob = Requester(BOB, BOB, live_bot.runtime.services.fingerprint(BOB), banned=False)
    for attempt in (studio.share(bob, job.id), studio.regenerate(bob, job.id), studio.owned(bob, job.id)):
        with pytest.raises(NotYours):
            await attempt
    with pytest.raises(Gone):
        await studio.owned(bob, 9999)
    assert (await studio.jobs.get(job.id)).shared_at is None  # type: ignore[union-attr]
    assert await studio.jobs.count_for_user(BOB) == 0


@pytest.mark.parametrize("bot_settings", [{"free_daily_quota": 10}])
async def test_history_pages_and_resends_with_the_stored_file_id(live_bot: LiveBot) -> None:
    for index in range(6):
        await track(live_bot, ADA, f"song {index} 1s")
    page = await live_bot.ask(ADA, "/history", "page 1 of 2")
    assert "Song 5" in page.content and "Song 0" not in page.content
    await live_bot.standin.press_button(ADA, page.message_id, button(page, "hist:2"))
    second = await live_bot.reply(ADA, lambda m: "page 2 of 2" in m.content)
    assert "Song 0" in second.content
    sends = len([c for c in live_bot.standin.calls if c.method == "sendAudio"])
    await live_bot.standin.press_button(ADA, second.message_id, button(second, "re:"))
    await live_bot.reply(ADA, lambda m: m.kind == "audio" and len(live_bot.audio_messages(ADA)) == 7)
    resend = [c for c in live_bot.standin.calls if c.method == "sendAudio"][sends]
    assert isinstance(resend.params["audio"], str), "re-sent by file_id, not uploaded again"
    assert await free_left(live_bot, ADA) == 4, "re-sending is free"


async def test_balance_shows_free_left_paid_and_reset_time(live_bot: LiveBot) -> None:
    await track(live_bot, ADA, "one 1s")
    reply = await live_bot.ask(ADA, "/balance", "Free tracks left")
    assert "<b>3</b> of 4" not in reply.content and "3 of 4" in reply.content.replace("<b>", "").replace("</b>", "")
    assert "Paid credits: 0" in reply.content.replace("<b>", "").replace("</b>", "")
    assert "00:00 UTC" in reply.content


async def test_stems_are_rendered_on_first_request_and_add_up_to_the_delivered_track(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "layered house 2s seed=11")
    (job,) = await live_bot.runtime.services.studio.jobs.for_user(ADA)
    assert job.audio_path is not None and job.has_stems
    stems_zip = Path(job.audio_path).with_name(f"job-{job.id}-stems.zip")
    assert not stems_zip.exists(), "no stems work for a job until someone asks"
    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "st:"))
    document = await live_bot.reply(ADA, lambda m: m.kind == "document")
    assert document.file is not None
    with zipfile.ZipFile(io.BytesIO(document.file.data)) as archive:
        stems = [decode_audio(archive.read(name))[0] for name in sorted(archive.namelist())]
    mix, _ = decode_audio(Path(job.audio_path).with_suffix(".wav").read_bytes())
    assert len(stems) >= 2 and all(s.shape == mix.shape for s in stems)
    assert float(np.max(np.abs(np.sum(stems, axis=0) - mix))) < 1e-3, "the re-rendered stems are this track's"

"""Clips sent in chat, end to end: real PTB, the Telegram stand-in (getFile + download), real ffmpeg, SQLite.

A synth-rendered clip goes in; the analysis comes back as a picture with the buttons; "Compose to match" delivers a
track whose job was made at the analysed tempo and key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engines import audio
from engines.base import GenerationRequest
from engines.ffmpeg import run_ffmpeg
from engines.registry import get_engine
from standin import ChatMessage
from storage import Job
from tests.bot.test_generation_e2e import button
from tests.conftest import ADA, BOB, LiveBot


async def synth_mp3(bpm: float, key: str, seconds: float = 8.0) -> bytes:
    """A clip rendered by the synth engine at a known tempo and key, encoded as MP3."""
    engine = get_engine("synth")
    try:
        track = await engine.generate(GenerationRequest(prompt="house", duration=seconds, bpm=bpm, key=key, seed=11))
    finally:
        await engine.aclose()
    return await audio.encode_mp3_async(track)


def heard(message: ChatMessage) -> bool:
    """The analysis message, in whatever language the person's Telegram speaks: a picture with the ls: buttons."""
    return message.kind == "photo" and any((b.callback_data or "").startswith("ls:") for b in message.buttons)


async def analysed(live_bot: LiveBot, user_id: int, kind: Any, data: bytes, **details: Any) -> ChatMessage:
    """Send a clip and wait for the analysis message."""
    await live_bot.standin.send_file(user_id, kind, data, **details)
    return await live_bot.reply(user_id, heard, timeout=20.0)


async def composed_job(live_bot: LiveBot, user_id: int, message: ChatMessage, prefix: str) -> Job:
    """Press the analysis button starting with ``prefix``, wait for the delivered track, return its job."""
    before = len(live_bot.audio_messages(user_id))
    await live_bot.standin.press_button(user_id, message.message_id, button(message, prefix))
    await live_bot.reply(user_id, lambda m: m.content.startswith("✅ Done"), timeout=20.0)
    assert len(live_bot.audio_messages(user_id)) == before + 1
    jobs = await live_bot.runtime.services.studio.jobs.for_user(user_id, limit=1, offset=0, delivered_only=True)
    return jobs[0]


async def analyses_left(live_bot: LiveBot, user_id: int) -> int:
    listening = live_bot.runtime.services.listening
    assert listening is not None
    from compose.studio import Requester

    return await listening.left_today(Requester(user_id, user_id, "", False))


async def test_a_clip_gets_its_analysis_and_compose_to_match_delivers_at_its_tempo_and_key(
    live_bot: LiveBot,
) -> None:
    message = await analysed(
        live_bot, ADA, "audio", await synth_mp3(124.0, "A minor"), file_name="idea.mp3", duration=8
    )
    assert "≈124 BPM" in message.content and "A minor" in message.content and "LUFS" in message.content
    assert message.file is not None and message.file.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert [b.text for b in message.buttons] == ["🎵 Compose to match", "🎚 Same tempo & key"]
    assert any(c.method == "getFile" for c in live_bot.standin.calls)
    job = await composed_job(live_bot, ADA, message, "ls:m:")
    assert abs(job.params["bpm"] - 124.0) <= 2.0 and job.params["key"] == "A minor"
    assert "house" in job.prompt and job.params["duration"] == 30.0, "an 8 s clip is short: a standard length"
    assert await analyses_left(live_bot, ADA) == 9


async def test_a_voice_note_in_ogg_opus_and_same_tempo_and_key_sets_only_those(
    live_bot: LiveBot, tmp_path: Path
) -> None:
    mp3 = tmp_path / "take.mp3"
    mp3.write_bytes(await synth_mp3(96.0, "E major"))
    voice = tmp_path / "voice.ogg"  # what Telegram's voice notes are: OGG with Opus, mono
    run_ffmpeg(["-i", str(mp3), "-c:a", "libopus", "-b:a", "48k", "-ac", "1", str(voice)])
    message = await analysed(live_bot, ADA, "voice", voice.read_bytes(), duration=8)
    job = await composed_job(live_bot, ADA, message, "ls:s:")
    assert abs(job.params["bpm"] - 96.0) <= 2.0 and job.params["key"] == "E major"
    assert job.params["duration"] == 30.0 and "mood" not in job.params


async def test_a_video_gets_a_track_of_exactly_its_length_that_fades_out(live_bot: LiveBot, tmp_path: Path) -> None:
    sound = tmp_path / "sound.mp3"
    sound.write_bytes(await synth_mp3(110.0, "D minor", seconds=12.0))
    video = tmp_path / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=navy:s=160x90:r=10:d=11.4", "-i", str(sound), "-c:v", "mpeg4",
                "-c:a", "aac", "-t", "11.4", str(video)])  # fmt: skip
    message = await analysed(live_bot, ADA, "video", video.read_bytes(), duration=11, file_name="clip.mp4")
    assert "video" in message.content
    job = await composed_job(live_bot, ADA, message, "ls:m:")
    assert abs(job.params["duration"] - 11.4) < 0.1, job.params
    assert "fade out" in job.prompt


async def test_a_file_over_20_mb_is_refused_before_any_download_and_costs_nothing(live_bot: LiveBot) -> None:
    big = np.random.default_rng(3).bytes(20 * 2**20 + 1)
    await live_bot.standin.send_file(ADA, "document", big, file_name="huge.mp3", mime_type="audio/mpeg")
    refused = await live_bot.reply(ADA, lambda m: "over 20 MB" in m.content)
    assert refused.kind == "text"
    assert not any(c.method == "getFile" for c in live_bot.standin.calls)
    assert await analyses_left(live_bot, ADA) == 10


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        (np.random.default_rng(5).bytes(40_000), "couldn't read that file"),
        (audio.wav_bytes(np.zeros((44_100 * 2, 2), dtype=np.float32), 44_100), "silent"),
    ],
    ids=["undecodable", "silent"],
)
async def test_a_bad_clip_gets_a_clear_answer_and_costs_nothing(live_bot: LiveBot, data: bytes, answer: str) -> None:
    await live_bot.standin.send_file(ADA, "audio", data, file_name="clip.mp3", duration=2)
    said = await live_bot.reply(ADA, lambda m: answer in m.content)
    assert "nothing was used up" in said.content
    assert await analyses_left(live_bot, ADA) == 10 and not live_bot.audio_messages(ADA)


@pytest.mark.parametrize("bot_settings", [{"analyses_daily_limit": 1}])
async def test_analyses_beyond_the_daily_limit_are_refused_until_midnight(live_bot: LiveBot) -> None:
    clip = await synth_mp3(120.0, "C major", seconds=4.0)
    await analysed(live_bot, BOB, "audio", clip, duration=4)
    await live_bot.standin.send_file(BOB, "audio", clip, duration=4)
    language = live_bot.standin.world.users[BOB].get("language_code")  # Bob's Telegram speaks German
    limit = live_bot.runtime.services.texts.get(language, "listen.limit", limit=1)
    refused = await live_bot.reply(BOB, lambda m: m.content == limit)
    assert refused.kind == "text"
    live_bot.clock.advance(hours=12, seconds=1)
    await analysed(live_bot, BOB, "audio", clip, duration=4)


async def test_someone_elses_analysis_button_composes_nothing(live_bot: LiveBot) -> None:
    message = await analysed(live_bot, ADA, "audio", await synth_mp3(100.0, "G major", seconds=4.0), duration=4)
    run_id = button(message, "ls:m:").split(":")[-1]
    listening = live_bot.runtime.services.listening
    assert listening is not None
    from compose.listening import RunGone
    from compose.studio import Requester

    with pytest.raises(RunGone):
        await listening.compose(Requester(BOB, BOB, "x", False), int(run_id), "match")


async def test_a_file_whose_size_telegram_left_out_is_refused_when_get_file_says_too_big(live_bot: LiveBot) -> None:
    big = bytes(20 * 2**20 + 1)
    await live_bot.standin.send_file(ADA, "video", big, duration=60, declare_size=False)
    refused = await live_bot.reply(ADA, lambda m: "over 20 MB" in m.content)
    assert refused.kind == "text" and await analyses_left(live_bot, ADA) == 10


async def test_a_clip_sent_as_a_generic_document_is_recognised_by_its_extension(live_bot: LiveBot) -> None:
    clip = await synth_mp3(124.0, "A minor", seconds=4.0)
    details = {"file_name": "beat.MP3", "mime_type": "application/octet-stream"}
    message = await analysed(live_bot, ADA, "document", clip, **details)
    assert "A minor" in message.content


async def test_a_german_speaker_reads_the_reasons_and_labels_in_german(live_bot: LiveBot) -> None:
    assert live_bot.standin.world.users[BOB].get("language_code") == "de"
    message = await analysed(
        live_bot, BOB, "audio", await synth_mp3(124.0, "A minor"), file_name="idee.mp3", duration=8
    )
    assert "A-Moll" in message.content and "liegen im Bereich von" in message.content, message.content
    assert "die üblichen 30 s" in message.content and "LUFS und" in message.content, message.content
    for english in ("sits in", "range (", "the clip's own tempo", "a standard", "strong onsets", " minor"):
        assert english not in message.content, (english, message.content)

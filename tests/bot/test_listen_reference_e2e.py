""" "🎧 Use as reference", end to end: real PTB against the Telegram stand-in, ENGINES=mock,replicate:musicgen with
the Replicate stand-in (which checks MusicGen's melody input as cog-musicgen's predict.py does), real ffmpeg and a
real SQLite file. The clip waits on disk only for its one job, which deletes it once the engine is done with it.
"""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from compose.listening import clip_name
from standin import ChatMessage
from standin.replicate_standin import ReplicateStandIn
from tests.bot.test_listen_e2e import analysed, synth_mp3
from tests.bot.test_song_e2e import balance, button
from tests.conftest import ADA, LiveBot

BUTTONS = ["🎵 Compose to match", "🎚 Same tempo & key", "🎧 Use as reference"]


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {}


@pytest.fixture
def bot_settings(replicate_standin: ReplicateStandIn, extra_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "engines": "mock,replicate:musicgen",
        "replicate_api_token": replicate_standin.token,
        "replicate_base_url": replicate_standin.base_url,
        **extra_settings,
    }


def clips_dir(live_bot: LiveBot) -> Path:
    listening = live_bot.runtime.services.listening
    assert listening is not None
    return listening.clips_dir


def kept_clips(live_bot: LiveBot) -> list[str]:
    folder = clips_dir(live_bot)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def run_id(message: ChatMessage) -> int:
    return int(button(message, "ls:r:").split(":")[-1])


def text(live_bot: LiveBot, key: str) -> str:
    return live_bot.runtime.services.texts.get("en", key)


async def press(live_bot: LiveBot, message: ChatMessage, prefix: str) -> None:
    await live_bot.standin.press_button(ADA, message.message_id, button(message, prefix))


async def test_use_as_reference_composes_on_musicgen_following_the_clip_which_is_gone_after_the_job(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    message = await analysed(live_bot, ADA, "audio", await synth_mp3(124.0, "A minor", 12.0), duration=12)
    assert [b.text for b in message.buttons] == BUTTONS
    assert kept_clips(live_bot) == [clip_name(run_id(message))], "the clip waits for the button"
    before = await balance(live_bot)

    await press(live_bot, message, "ls:r:")
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=30)

    (sent,) = replicate_standin.created_inputs
    (upload_id,) = replicate_standin.uploaded
    assert sent["input_audio"] == f"{replicate_standin.base_url}/v1/files/{upload_id}"
    assert sent["continuation"] is False and sent["model_version"] == "stereo-melody-large"
    assert sent["duration"] == 12 and "house" in sent["prompt"] and "124 BPM" in sent["prompt"]
    with wave.open(io.BytesIO(replicate_standin.uploaded[upload_id]), "rb") as reference:
        frames = np.frombuffer(reference.readframes(reference.getnframes()), dtype="<i2")
        assert abs(reference.getnframes() / reference.getframerate() - 12.0) < 0.05
    assert np.abs(frames).max() > 1000, "the clip itself, not silence, is the reference"
    assert replicate_standin.deleted_uploads == [upload_id]
    (job,) = await live_bot.runtime.services.studio.jobs.for_user(ADA, limit=5, offset=0, delivered_only=True)
    assert (job.engine, job.model, job.status) == ("replicate", "meta/musicgen", "delivered")
    assert job.params["bpm"] == 124.0 and job.params["key"] == "A minor" and job.params["reference_clip"]
    assert kept_clips(live_bot) == [], "the clip is deleted once its job has used it"
    free, paid = await balance(live_bot)
    assert (free, paid) == (before[0] - 1, before[1]), "it costs a track as usual"

    await press(live_bot, message, "ls:r:")
    await live_bot.reply(ADA, lambda m: m.content == text(live_bot, "listen.clip_gone"))
    assert len(replicate_standin.creates) == 1 and await balance(live_bot) == (free, paid)

    (track,) = live_bot.audio_messages(ADA)  # "Regenerate" would need the clip again: refused, nothing spent
    query = await live_bot.standin.press_button(ADA, track.message_id, f"rg:{job.id}")
    assert (await live_bot.callback_answer(query)).get("text") == text(live_bot, "listen.clip_gone")
    assert len(replicate_standin.creates) == 1 and await balance(live_bot) == (free, paid)


@pytest.mark.parametrize("extra_settings", [{"takes_per_prompt": "musicgen=2"}])
async def test_a_reference_makes_one_take_however_many_takes_the_model_gives_a_prompt(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    message = await analysed(live_bot, ADA, "audio", await synth_mp3(110.0, "D minor", 10.0), duration=10)
    before = await balance(live_bot)

    await press(live_bot, message, "ls:r:")
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=30)

    jobs = await live_bot.runtime.services.studio.jobs.for_user(ADA, limit=5, offset=0)
    assert len(jobs) == 1 and len(replicate_standin.creates) == 1, "one clip, one job"
    assert await balance(live_bot) == (before[0] - 1, before[1]) and kept_clips(live_bot) == []


async def test_a_failed_reference_job_returns_the_credit_and_deletes_the_clip(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("failed", model="meta/musicgen")
    message = await analysed(live_bot, ADA, "audio", await synth_mp3(96.0, "E major", 10.0), duration=10)
    before = await balance(live_bot)

    await press(live_bot, message, "ls:r:")
    await live_bot.reply(ADA, lambda m: m.content == text(live_bot, "failure.engine_unavailable"), timeout=30)

    assert kept_clips(live_bot) == [] and await balance(live_bot) == before


@pytest.mark.parametrize("bot_settings", [{"engines": "mock,replicate:musicgen"}])
async def test_without_a_replicate_token_there_is_no_reference_button_and_no_clip_is_kept(live_bot: LiveBot) -> None:
    message = await analysed(live_bot, ADA, "audio", await synth_mp3(124.0, "A minor", 4.0), duration=4)
    assert [b.text for b in message.buttons] == BUTTONS[:2]
    assert kept_clips(live_bot) == []


async def test_a_bad_clip_keeps_nothing_even_when_a_reference_model_is_offered(live_bot: LiveBot) -> None:
    await live_bot.standin.send_file(ADA, "audio", np.random.default_rng(5).bytes(40_000), file_name="x.mp3")
    await live_bot.reply(ADA, lambda m: "couldn't read that file" in m.content)
    assert kept_clips(live_bot) == []


async def test_a_clip_nobody_used_is_deleted_after_a_day(
    live_bot: LiveBot, replicate_standin: ReplicateStandIn
) -> None:
    old = await analysed(live_bot, ADA, "audio", await synth_mp3(120.0, "C major", 4.0), duration=4)
    (name,) = kept_clips(live_bot)
    day_ago = live_bot.clock().timestamp() - 24 * 3600 - 1  # the clip was written a day and a second ago
    os.utime(clips_dir(live_bot) / name, (day_ago, day_ago))

    fresh = await analysed(live_bot, ADA, "audio", await synth_mp3(120.0, "C major", 4.0), duration=4)
    assert kept_clips(live_bot) == [clip_name(run_id(fresh))], "the next analysis swept the old clip"

    await press(live_bot, old, "ls:r:")
    await live_bot.reply(ADA, lambda m: m.content == text(live_bot, "listen.clip_gone"))
    assert not replicate_standin.creates

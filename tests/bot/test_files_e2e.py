"""Files in chat, end to end: Telegram's upload limit, re-sends after Telegram forgets a file, tags and names.

Real PTB against the stand-in (which answers 413 over 50 MB like Telegram), ENGINE=mock, real SQLite and ffmpeg.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engines.audio import decode_audio, encode_flac, wav_bytes
from engines.base import GenerationRequest
from engines.mock import MockEngine
from scheduler.tracks import UPLOAD_LIMIT, write_stems_zip
from standin import ChatMessage
from standin.limits import MAX_UPLOAD
from storage import Job
from tests.bot.test_generation_e2e import button, free_left, track
from tests.conftest import ADA, LiveBot


@pytest.mark.parametrize("text", ["ambient 0.5s", "ambient -5s", "ambient duration=-2"])
async def test_a_length_under_the_minimum_or_negative_is_refused_and_costs_nothing(
    live_bot: LiveBot, text: str
) -> None:
    reply = await live_bot.ask(ADA, text, "s")
    assert "shorter than" in reply.content or "isn't a length" in reply.content, reply.describe()
    assert await free_left(live_bot, ADA) == 4
    assert await live_bot.runtime.services.studio.jobs.count_for_user(ADA) == 0


async def test_the_track_title_and_file_names_have_no_invisible_characters(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "dark\u202e techno\u200b!!! 2s")
    assert audio.title == "Dark techno" and audio.file is not None
    assert audio.file.file_name == "dark-techno.mp3"


def _documents(live_bot: LiveBot, user_id: int) -> list[ChatMessage]:
    return [m for m in live_bot.standin.transcript(user_id) if m.from_bot and m.kind == "document"]


async def _documents_after(live_bot: LiveBot, user_id: int, before: int, count: int = 1) -> list[ChatMessage]:
    await live_bot.reply(user_id, lambda m: len(_documents(live_bot, user_id)) >= before + count, 60)
    return _documents(live_bot, user_id)[before:]


async def _job_when(live_bot: LiveBot, job_id: int, done: Callable[[Job], bool], timeout: float = 10.0) -> Job:
    """The job once ``done`` holds for it (the bot stores a file_id just after Telegram answers the upload)."""
    async with asyncio.timeout(timeout):
        while True:
            job = await live_bot.runtime.services.studio.jobs.get(job_id)
            if job is not None and done(job):
                return job
            await asyncio.sleep(0.02)


def _expect_forgotten_file_ids(live_bot: LiveBot, count: int) -> None:
    """Telegram answers a forgotten file_id with 400, which the stand-in records as a violation: these are expected
    (the bot cannot know beforehand); any other invalid call still fails the test (the fixture's check)."""
    violations = live_bot.standin.violations
    forgotten = [v for v in violations if v.problem == "wrong file identifier/HTTP URL specified"]
    assert len(forgotten) == count, violations
    violations[:] = [v for v in violations if v not in forgotten]


def _five_minutes_of(samples: np.ndarray, rate: int) -> bytes:
    """A 300 s WAV (52.9 MB, over Telegram's 50 MB) made by repeating a short track: cheaper than rendering one."""
    return wav_bytes(np.tile(samples, (-(-300 * rate // samples.shape[0]), 1))[: 300 * rate], rate)


async def test_a_wav_over_the_upload_limit_comes_as_flac_with_a_note(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "long drone 2s seed=4")
    (job,) = await live_bot.runtime.services.studio.jobs.for_user(ADA)
    assert job.audio_path is not None
    wav_path = Path(job.audio_path).with_suffix(".wav")
    long_wav = _five_minutes_of(*decode_audio(wav_path.read_bytes()))
    wav_path.write_bytes(long_wav)  # the files of a five-minute track, as the worker writes them
    assert len(long_wav) > MAX_UPLOAD["document"], "the WAV itself would be refused by Telegram with 413"

    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "wav:"))
    (flac,) = await _documents_after(live_bot, ADA, 0)
    assert flac.file is not None and flac.file.data[:4] == b"fLaC" and flac.file.file_name == "Long drone.flac"
    assert "as FLAC" in flac.content and len(flac.file.data) <= UPLOAD_LIMIT
    lossless, _ = decode_audio(flac.file.data)
    assert np.array_equal(lossless, decode_audio(long_wav)[0]), "the FLAC is the WAV's audio, sample for sample"
    assert all(c.status < 400 for c in live_bot.standin.calls), "no upload was refused"


async def test_a_wav_too_big_even_as_flac_is_refused_with_a_clear_answer_and_never_uploaded(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "white noise 2s")
    (job,) = await live_bot.runtime.services.studio.jobs.for_user(ADA)
    assert job.audio_path is not None
    noise = np.random.default_rng(1).uniform(-1, 1, (300 * 44_100, 2)).astype(np.float32)  # FLAC cannot shrink it
    Path(job.audio_path).with_suffix(".wav").write_bytes(wav_bytes(noise, 44_100))

    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "wav:"))
    refused = await live_bot.reply(ADA, lambda m: "50 MB limit" in m.content, 60)
    assert refused.kind == "text" and "can't send it" in refused.content
    assert not [c for c in live_bot.standin.calls if c.method == "sendDocument"], "nothing was uploaded to fail"
    assert await free_left(live_bot, ADA) == 3, "only the track itself was paid for"


async def test_stems_too_big_for_one_document_go_as_several_parts_each_re_sent_by_file_id(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "layered house 2s seed=11")
    (job,) = await live_bot.runtime.services.studio.jobs.for_user(ADA)
    assert job.audio_path is not None and job.seed is not None
    # The same stems the bot would render, cut as they would be for a track whose FLACs pass 50 MB together: the
    # packing takes the limit as a parameter, so a small one stands in for a ten-minute track here.
    stems = await MockEngine().generate(GenerationRequest(prompt=job.prompt, duration=2.0, seed=job.seed, stems=True))
    assert stems.stems is not None
    largest = max(len(encode_flac(samples, stems.sample_rate)) for samples in stems.stems.values())
    store = live_bot.runtime.services.studio.audio
    written = await write_stems_zip(stems, store, f"job-{job.id}", limit=largest + 200)  # one stem per ZIP
    assert written == [f"job-{job.id}-stems.zip", f"job-{job.id}-stems-2.zip", f"job-{job.id}-stems-3.zip"]

    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "st:"))
    parts = await _documents_after(live_bot, ADA, 0, 3)
    assert [p.content for p in parts] == [f"🎚 Stems, part {n} of 3" for n in (1, 2, 3)]
    assert [p.file.file_name for p in parts if p.file] == [f"Layered house stems {n} of 3.zip" for n in (1, 2, 3)]
    ids = " ".join(p.raw["document"]["file_id"] for p in parts)
    await _job_when(live_bot, job.id, lambda j: j.stems_file_id == ids)

    uploads = len([c for c in live_bot.standin.calls if c.method == "sendDocument"])
    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "st:"))
    await _documents_after(live_bot, ADA, 3, 3)
    again = [c for c in live_bot.standin.calls if c.method == "sendDocument"][uploads:]
    assert [c.params["document"].startswith("<upload") for c in again] == [False] * 3, "re-sent by file_id"


async def test_a_file_telegram_forgot_is_uploaded_again_and_its_new_file_id_kept(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "warm keys 2s")
    studio = live_bot.runtime.services.studio
    (job,) = await studio.jobs.for_user(ADA)
    assert job.file_id is not None and live_bot.standin.forget_file(job.file_id)

    page = await live_bot.ask(ADA, "/history", "page 1 of 1")
    await live_bot.standin.press_button(ADA, page.message_id, button(page, "re:"))
    await live_bot.reply(ADA, lambda m: len(live_bot.audio_messages(ADA)) == 2)
    refused, uploaded = [c for c in live_bot.standin.calls if c.method == "sendAudio"][-2:]
    assert refused.status == 400 and "wrong file identifier" in (refused.description or "")
    assert not refused.params["audio"].startswith("<upload") and uploaded.params["audio"].startswith("<upload")
    resent = live_bot.audio_messages(ADA)[-1]
    assert resent.thumbnail is not None, "the cover travels with the upload again"
    assert resent.raw["audio"]["file_id"] != job.file_id
    await _job_when(live_bot, job.id, lambda j: j.file_id == resent.raw["audio"]["file_id"])

    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "wav:"))
    (wav,) = await _documents_after(live_bot, ADA, 0)
    assert wav.file is not None
    await _job_when(live_bot, job.id, lambda j: j.wav_file_id == wav.raw["document"]["file_id"])
    assert live_bot.standin.forget_file(wav.file.file_id)
    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "wav:"))
    (again,) = await _documents_after(live_bot, ADA, 1)
    assert again.file is not None and again.file.data == wav.file.data and again.file.file_id != wav.file.file_id
    await _job_when(live_bot, job.id, lambda j: j.wav_file_id == again.raw["document"]["file_id"])
    _expect_forgotten_file_ids(live_bot, 2)


async def test_a_file_gone_from_telegram_and_from_disk_is_explained(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "short sketch 2s")
    studio = live_bot.runtime.services.studio
    (job,) = await studio.jobs.for_user(ADA)
    assert job.file_id is not None and job.audio_path is not None
    await asyncio.to_thread(Path(job.audio_path).unlink)  # as the daily maintenance does once Telegram holds the file
    live_bot.standin.forget_file(job.file_id)

    page = await live_bot.ask(ADA, "/history", "page 1 of 1")
    await live_bot.standin.press_button(ADA, page.message_id, button(page, "re:"))
    lost = await live_bot.reply(ADA, lambda m: "no longer has this file" in m.content)
    assert lost.kind == "text" and len(live_bot.audio_messages(ADA)) == 1
    assert audio.message_id < lost.message_id
    _expect_forgotten_file_ids(live_bot, 1)

"""Track audio in S3, end to end: AUDIO_STORE=s3://bucket/prefix against moto's S3 server on loopback.

The whole bot (real PTB against the Telegram stand-in, ENGINE=mock, real SQLite, ffmpeg): a prompt's files land in
the bucket and nowhere on disk; 💾 WAV, 🎚 Stems and a re-send after Telegram forgot a file_id are read back from
the bucket; the daily retention deletes from the bucket; an object gone from the bucket is explained, not crashed
on. The bucket is inspected with a second, independent S3 client (boto3), not through the store under test.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from scheduler.maintenance import run_maintenance
from tests.bot.test_files_e2e import _documents_after, _expect_forgotten_file_ids, _job_when
from tests.bot.test_generation_e2e import button, track
from tests.conftest import ADA, LiveBot
from tests.s3_server import CREDENTIALS, S3Server
from tests.studio.helpers import Api, signed_init_data

PREFIX = "cloudmusic/audio"


@pytest.fixture
def bot_settings(s3_server: S3Server, s3_bucket: str) -> dict[str, Any]:
    """The bot keeps its audio in a fresh bucket under :data:`PREFIX`."""
    return {"audio_store": f"s3://{s3_bucket}/{PREFIX}", "s3_endpoint_url": s3_server.endpoint_url}


def _object(s3_server: S3Server, bucket: str, key: str) -> bytes:
    body: bytes = s3_server.client().get_object(Bucket=bucket, Key=f"{PREFIX}/{key}")["Body"].read()
    return body


def _local_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def test_a_track_lands_in_the_bucket_and_every_file_button_reads_it_from_there(
    live_bot: LiveBot, s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    audio = await track(live_bot, ADA, "warm keys 2s seed=3")
    studio = live_bot.runtime.services.studio
    (job,) = await studio.jobs.for_user(ADA)
    stem = f"job-{job.id}"
    assert job.audio_path == f"s3://{s3_bucket}/{PREFIX}/{stem}.mp3"
    keys = await asyncio.to_thread(s3_server.keys, s3_bucket)
    assert keys == sorted(f"{PREFIX}/{stem}.{suffix}" for suffix in ("jpg", "mp3", "wav"))
    on_disk = await asyncio.to_thread(_local_files, tmp_path)  # DATA_DIR and all: where a local store would write
    assert "cloudmusic.db" in on_disk and not [n for n in on_disk if n.startswith(stem)], on_disk
    mp3 = await asyncio.to_thread(_object, s3_server, s3_bucket, f"{stem}.mp3")
    assert audio.file is not None and audio.file.data == mp3

    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "wav:"))
    (wav,) = await _documents_after(live_bot, ADA, 0)
    assert wav.file is not None and wav.file.data == await asyncio.to_thread(
        _object, s3_server, s3_bucket, f"{stem}.wav"
    )

    await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "st:"))  # rendered now, put in S3
    (stems,) = await _documents_after(live_bot, ADA, 1)
    assert f"{PREFIX}/{stem}-stems.zip" in await asyncio.to_thread(s3_server.keys, s3_bucket)
    zipped = await asyncio.to_thread(_object, s3_server, s3_bucket, f"{stem}-stems.zip")
    assert stems.file is not None and stems.file.data == zipped and zipped[:2] == b"PK"

    # Telegram forgets the MP3 (and its file_id was all the bot had sent by): re-sent from the bucket, with cover.
    assert job.file_id is not None and live_bot.standin.forget_file(job.file_id)
    page = await live_bot.ask(ADA, "/history", "page 1 of 1")
    await live_bot.standin.press_button(ADA, page.message_id, button(page, "re:"))
    await live_bot.reply(ADA, lambda m: len(live_bot.audio_messages(ADA)) == 2)
    resent = live_bot.audio_messages(ADA)[-1]
    assert resent.file is not None and resent.file.data == mp3
    assert resent.thumbnail is not None
    assert resent.thumbnail.data == await asyncio.to_thread(_object, s3_server, s3_bucket, f"{stem}.jpg")
    await _job_when(live_bot, job.id, lambda j: j.file_id == resent.raw["audio"]["file_id"])
    _expect_forgotten_file_ids(live_bot, 1)


async def test_retention_deletes_from_the_bucket_what_telegram_holds_and_a_lost_object_is_explained(
    live_bot: LiveBot, s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    await track(live_bot, ADA, "night drive 2s")
    services = live_bot.runtime.services
    (job,) = await services.studio.jobs.for_user(ADA)
    stem = f"job-{job.id}"
    assert job.file_id is not None and job.wav_file_id is None

    # 31 days on (the objects carry the real time they were written): the MP3 and cover go, Telegram holds them;
    # the WAV was never sent, so it is the only lossless copy and stays.
    report = await run_maintenance(
        db=live_bot.runtime.core.db,
        audio_dir=live_bot.runtime.settings.audio_dir,
        retention=timedelta(days=30),
        clock=lambda: datetime.now(UTC) + timedelta(days=31),
        audio_store=services.studio.audio,
    )
    assert sorted(report.removed) == [f"s3://{s3_bucket}/{PREFIX}/{stem}.{suffix}" for suffix in ("jpg", "mp3")]
    assert report.kept_old == 1
    assert await asyncio.to_thread(s3_server.keys, s3_bucket) == [f"{PREFIX}/{stem}.wav"]

    # Telegram forgets the MP3 too: gone everywhere, which the person is told in words.
    live_bot.standin.forget_file(job.file_id)
    page = await live_bot.ask(ADA, "/history", "page 1 of 1")
    await live_bot.standin.press_button(ADA, page.message_id, button(page, "re:"))
    lost = await live_bot.reply(ADA, lambda m: "no longer has this file" in m.content)
    assert lost.kind == "text" and len(live_bot.audio_messages(ADA)) == 1
    _expect_forgotten_file_ids(live_bot, 1)


async def test_the_studio_api_serves_downloads_from_the_bucket(
    live_bot: LiveBot, s3_server: S3Server, s3_bucket: str
) -> None:
    async with aiohttp.ClientSession() as session:
        api = Api(session, live_bot.runtime.http.url, f"tma {signed_init_data(ADA, live_bot.clock())}")
        status, queued, _ = await api.call("POST", "/tracks", body={"prompt": "lofi rain", "duration": 2})
        assert status == 202, queued
        await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)
        stem, base = f"job-{queued['id']}", f"/tracks/{queued['id']}"
        for path, key, kind in (
            (f"{base}/audio", f"{stem}.mp3", "audio/mpeg"),
            (f"{base}/audio?format=wav", f"{stem}.wav", "audio/wav"),
            (f"{base}/cover", f"{stem}.jpg", "image/jpeg"),
            (f"{base}/stems", f"{stem}-stems.zip", "application/zip"),  # rendered on this request, into the bucket
        ):
            status, body, answer = await api.call("GET", path)
            assert (status, answer.content_type) == (200, kind), path
            assert body == await asyncio.to_thread(_object, s3_server, s3_bucket, key), path
        await asyncio.to_thread(s3_server.client().delete_object, Bucket=s3_bucket, Key=f"{PREFIX}/{stem}.wav")
        assert (await api.call("GET", f"{base}/audio?format=wav"))[0] == 404, "gone from the bucket: 404, not 500"


def test_a_bucket_that_does_not_exist_stops_start_up_with_one_line(s3_server: S3Server, tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])  # this checkout's bot, whatever is installed
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": root,
        "DATA_DIR": str(tmp_path),
        "HTTP_PORT": "0",
        "AUDIO_STORE": "s3://no-such-bucket-here/audio",
        "S3_ENDPOINT_URL": s3_server.endpoint_url,
        **CREDENTIALS,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if "cannot start" in line]
    assert len(errors) == 1 and "AUDIO_STORE: the bucket 'no-such-bucket-here' does not exist" in errors[0], errors

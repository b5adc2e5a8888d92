"""Maintenance: only old audio files Telegram holds a copy of are deleted; the WAL is checkpointed."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.maintenance import run_maintenance
from storage import Database, JobRepository
from tests.conftest import Clock
from tests.scheduler.test_teaser_desk import delivered_job

NOW = datetime(2026, 11, 21, 4, 30, tzinfo=UTC)
OLD = (NOW - timedelta(days=31)).timestamp()
RECENT = (NOW - timedelta(days=29)).timestamp()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database file."""
    async with await Database.open(tmp_path / "maintenance.db") as database:
        yield database


def touch(path: Path, mtime: float) -> Path:
    """Create ``path`` (some bytes) last modified at ``mtime``."""
    path.write_bytes(b"x" * 1000)
    os.utime(path, (mtime, mtime))
    return path


async def test_only_old_files_with_a_telegram_copy_are_deleted_and_the_wal_is_checkpointed(
    db: Database, tmp_path: Path
) -> None:
    audio = tmp_path / "audio"
    jobs = JobRepository(db)
    sent = await delivered_job(db, audio, 1, "sent long ago", shared=False)  # has file_id, no wav/stems ids
    await jobs.update(sent.id, stems_file_id="tg-stems")
    never_sent = await delivered_job(db, audio, 2, "no file id", shared=False)
    await jobs.update(never_sent.id, file_id=None)
    fresh = await delivered_job(db, audio, 3, "recent", shared=False)
    files = {
        "sent.mp3": touch(audio / f"job-{sent.id}.mp3", OLD),
        "sent.jpg": touch(audio / f"job-{sent.id}.jpg", OLD),
        "sent.wav": touch(audio / f"job-{sent.id}.wav", OLD),
        "sent.zip": touch(audio / f"job-{sent.id}-stems.zip", OLD),
        "sent.zip2": touch(audio / f"job-{sent.id}-stems-2.zip", OLD),
        "never_sent.mp3": touch(audio / f"job-{never_sent.id}.mp3", OLD),
        "never_sent.wav": touch(audio / f"job-{never_sent.id}.wav", OLD),
        "fresh.mp3": touch(audio / f"job-{fresh.id}.mp3", RECENT),
        "unknown.mp3": touch(audio / "job-999.mp3", OLD),
        "other.txt": touch(audio / "notes.txt", OLD),
    }
    wal = db.path.with_name(db.path.name + "-wal")
    assert wal.stat().st_size > 0

    report = await run_maintenance(db=db, audio_dir=audio, retention=timedelta(days=30), clock=Clock(NOW))

    deleted = {name for name, path in files.items() if not path.exists()}
    assert deleted == {"sent.mp3", "sent.jpg", "sent.zip", "sent.zip2"}, "the WAV was never sent: the only copy"
    assert sorted(report.removed) == sorted(str(files[n]) for n in deleted) and report.freed_bytes == 4000
    assert report.kept_old == 4  # sent.wav, never_sent.mp3/.wav, unknown.mp3
    assert report.wal_bytes_before > 0 and report.wal_bytes_after == 0 == wal.stat().st_size
    job = await jobs.get(sent.id)
    assert job is not None and job.file_id == f"tg-{sent.id}", "re-sends still work by file_id"


async def test_a_missing_audio_folder_is_not_an_error(db: Database, tmp_path: Path) -> None:
    report = await run_maintenance(db=db, audio_dir=tmp_path / "nowhere", retention=timedelta(days=30), clock=Clock())
    assert report.removed == () and report.kept_old == 0

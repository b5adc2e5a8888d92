"""Daily housekeeping: drop old audio files Telegram already holds, then checkpoint the SQLite WAL.

A file in the audio store (``DATA_DIR/audio``, or the S3 bucket of ``AUDIO_STORE``) is deleted only when it is older
than the retention period, its job is delivered, and Telegram holds the same file under a ``file_id`` the bot
re-sends instead (nothing is lost)::

    job-<id>.mp3, job-<id>.jpg    jobs.file_id         (the cover travels with the MP3 as its thumbnail)
    job-<id>.wav                  jobs.wav_file_id     (never sent → kept: it is the only lossless copy)
    job-<id>.flac                 jobs.wav_file_id     (the same audio, sent when the WAV is over Telegram's 50 MB)
    job-<id>-stems.zip            jobs.stems_file_id
    job-<id>-stems-<n>.zip        jobs.stems_file_id   (further parts when the stems pass 50 MB together)

Files of jobs without that id, of unknown jobs, and anything else in the folder are left alone. Clips kept for
"Use as reference" (``clips/``) that nobody used within ``scheduler.clips.KEEP_UNUSED_CLIP`` are deleted too.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from scheduler.clips import CLIPS_DIR, KEEP_UNUSED_CLIP, sweep
from storage import Database, Job, JobRepository
from storage.audio import AudioStore, LocalAudioStore

log = logging.getLogger(__name__)

_NAME = re.compile(r"^job-(\d+)(\.mp3|\.jpg|\.wav|\.flac|-stems(?:-\d+)?\.zip)$")
_COLUMN = {".mp3": "file_id", ".jpg": "file_id", ".wav": "wav_file_id", ".flac": "wav_file_id"}


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """What a maintenance run did."""

    removed: tuple[str, ...]  # where each deleted file was (AudioStore.locator: a path or s3:// URL), clips last
    freed_bytes: int
    kept_old: int  # old files kept because Telegram has no copy of them
    wal_bytes_before: int
    wal_bytes_after: int


async def run_maintenance(
    *,
    db: Database,
    audio_dir: Path,
    retention: timedelta,
    clock: Callable[[], datetime],
    audio_store: AudioStore | None = None,
) -> MaintenanceReport:
    """Delete eligible old track files from the audio store (``audio_store``; None: the files under ``audio_dir``)
    and unused clips from ``audio_dir/clips``, checkpoint the WAL, log and return what was done."""
    store = audio_store or LocalAudioStore(audio_dir)
    jobs = JobRepository(db)
    known: dict[int, Job | None] = {}
    removed: list[str] = []
    freed = kept = 0
    for item in await store.older_than(clock() - retention):
        match = _NAME.match(item.key)
        if match is None:  # anything else in the store (a clip, the demo) is not the retention's
            continue
        job_id, suffix = int(match[1]), match[2]
        if job_id not in known:
            known[job_id] = await jobs.get(job_id)
        job = known[job_id]
        if job is None or job.status != "delivered" or getattr(job, _COLUMN.get(suffix, "stems_file_id")) is None:
            kept += 1
            continue
        await store.delete(item.key)
        removed.append(store.locator(item.key))
        freed += item.size
    clips_cutoff = (clock() - KEEP_UNUSED_CLIP).timestamp()
    removed += [str(path) for path in await asyncio.to_thread(sweep, audio_dir / CLIPS_DIR, clips_cutoff)]
    before, after = await db.checkpoint()
    report = MaintenanceReport(tuple(removed), freed, kept, before, after)
    log.info(
        "maintenance: removed %s audio file(s) older than %s days (%.1f MB): %s; kept %s old file(s) Telegram has no "
        "copy of; WAL %s → %s bytes",
        len(removed),
        retention.days,
        freed / 1e6,
        ", ".join(PurePosixPath(p).name for p in removed) or "none",
        kept,
        before,
        after,
    )
    return report

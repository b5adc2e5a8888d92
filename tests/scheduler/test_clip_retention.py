"""Clips kept for "Use as reference" that nobody used go with the daily maintenance after a day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from scheduler.clips import CLIPS_DIR
from scheduler.maintenance import run_maintenance
from storage import Database
from tests.conftest import Clock
from tests.scheduler.test_teaser_maintenance import NOW, db, touch

__all__ = ["db"]


async def test_the_daily_maintenance_deletes_clips_kept_longer_than_a_day(db: Database, tmp_path: Path) -> None:
    clips = tmp_path / "audio" / CLIPS_DIR
    clips.mkdir(parents=True)
    stale = touch(clips / "clip-1.wav", (NOW - timedelta(days=1, seconds=1)).timestamp())
    claimed = touch(clips / "clip-2-0a1b2c3d.wav", (NOW - timedelta(days=2)).timestamp())
    fresh = touch(clips / "clip-3.wav", (NOW - timedelta(hours=23)).timestamp())
    other = touch(clips / "notes.txt", (NOW - timedelta(days=9)).timestamp())

    report = await run_maintenance(db=db, audio_dir=tmp_path / "audio", retention=timedelta(days=30), clock=Clock(NOW))

    assert not stale.exists() and not claimed.exists() and fresh.exists() and other.exists()
    assert set(report.removed) == {str(stale), str(claimed)}

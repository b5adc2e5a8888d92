"""The APScheduler lifecycle: which jobs are registered, when, in which zone; catch-up; a graceful stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.teaser import TeaserDesk
from scheduler.timed import CATCH_UP_JOB, MAINTENANCE_JOB, MISFIRE_GRACE_S, TEASER_JOB, TimedJobs
from storage import Database, TeaserRepository
from tests.conftest import Clock
from tests.scheduler.outboxes import MemoryOutbox
from tests.scheduler.test_teaser_desk import AFTER, BEFORE, BERLIN, make_desk


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database file."""
    async with await Database.open(tmp_path / "timed.db") as database:
        yield database


def timed(db: Database, outbox: MemoryOutbox, clock: Clock, tmp_path: Path, **overrides: object) -> TimedJobs:
    """Timed jobs around a desk posting to ``outbox``."""
    return around(make_desk(db, outbox, clock, [], **overrides), db, clock, tmp_path)


def around(desk: TeaserDesk, db: Database, clock: Clock, tmp_path: Path) -> TimedJobs:
    """Timed jobs around ``desk``."""
    return TimedJobs(desk=desk, db=db, audio_dir=tmp_path / "audio", retention=timedelta(days=30), clock=clock)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``condition()`` is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_the_daily_teaser_is_a_cron_job_at_the_posting_time_in_its_zone(db: Database, tmp_path: Path) -> None:
    clock = Clock(BEFORE)
    desk = make_desk(db, MemoryOutbox(), clock, [])
    jobs = around(desk, db, clock, tmp_path)
    await jobs.start()
    try:
        teaser = jobs.scheduler.get_job(TEASER_JOB)
        fields = {f.name: str(f) for f in teaser.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("18", "0") and teaser.trigger.timezone == BERLIN
        assert teaser.misfire_grace_time == MISFIRE_GRACE_S and teaser.coalesce and teaser.max_instances == 1
        nxt = teaser.next_run_time.astimezone(BERLIN)
        assert (nxt.hour, nxt.minute) == (18, 0)
        assert teaser.kwargs == {"desk": desk}, "explicit arguments, no globals"
        maintenance = jobs.scheduler.get_job(MAINTENANCE_JOB)
        assert maintenance.misfire_grace_time == MISFIRE_GRACE_S
        assert set(maintenance.kwargs) == {"db", "audio_dir", "retention", "clock", "audio_store", "zone"}
        assert jobs.scheduler.get_job(CATCH_UP_JOB) is None, "not due yet (the clock says 17:59 in Berlin)"
    finally:
        await jobs.stop()
    assert jobs.scheduler is None


async def test_without_a_channel_only_maintenance_is_scheduled(db: Database, tmp_path: Path) -> None:
    jobs = timed(db, MemoryOutbox(), Clock(AFTER), tmp_path, channel=None)
    await jobs.start()
    try:
        assert [job.id for job in jobs.scheduler.get_jobs()] == [MAINTENANCE_JOB]
    finally:
        await jobs.stop()


async def test_a_start_after_the_posting_time_catches_up_once(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.timed")
    outbox, clock = MemoryOutbox(), Clock(AFTER + timedelta(hours=2))
    for start in range(1, 4):  # three start-ups the same evening
        jobs = timed(db, outbox, clock, tmp_path)
        await jobs.start()
        # The catch-up run has finished when it logs its outcome (posted the first time, taken after).
        await until(lambda n=start: caplog.text.count("daily teaser run: ") == n)
        await jobs.stop()
        assert len(outbox.posts) == 1


async def test_stop_lets_a_teaser_being_posted_finish(db: Database, tmp_path: Path) -> None:
    outbox, clock = MemoryOutbox(delay=0.5), Clock(AFTER)
    jobs = timed(db, outbox, clock, tmp_path)
    await jobs.start()
    await until(lambda: outbox.calls == 1)  # the catch-up is posting right now
    await jobs.stop(grace_s=5.0)
    teaser = await TeaserRepository(db).get(1)
    assert teaser is not None and teaser.status == "posted" and len(outbox.posts) == 1

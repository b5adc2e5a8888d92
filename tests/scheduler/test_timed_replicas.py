"""Two bot replicas on one database each run the timed jobs: the daily teaser is posted once and maintenance runs
once a day between them (each replica has its own scheduler and its own database connections)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.maintenance import MaintenanceReport
from scheduler.timed import MAINTENANCE_JOB, TimedJobs
from storage import Database
from storage.backends import connect
from tests.conftest import Clock
from tests.scheduler.outboxes import MemoryOutbox
from tests.scheduler.test_teaser_desk import AFTER
from tests.scheduler.test_teaser_timed import timed, until


@pytest.fixture
async def two_handles(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    """Two separately opened handles on one database, as two replicas have."""
    first = await connect(database_url, tmp_path)
    second = await connect(database_url, tmp_path)
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()


async def test_two_replicas_post_one_teaser_and_run_maintenance_once_a_day(
    two_handles: tuple[Database, Database], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.timed")
    outbox, clock = MemoryOutbox(delay=0.2), Clock(AFTER + timedelta(hours=1))
    replicas = [timed(db, outbox, clock, tmp_path / f"replica-{i}") for i, db in enumerate(two_handles)]
    await asyncio.gather(*(jobs.start() for jobs in replicas))  # both start after the posting time: both catch up
    try:
        await until(lambda: caplog.text.count("daily teaser run: ") == 2, timeout=20)
        assert len(outbox.posts) == 1, "one teaser between the two replicas"

        async def maintenance(jobs: TimedJobs) -> MaintenanceReport | None:
            job = jobs.scheduler.get_job(MAINTENANCE_JOB)
            result: MaintenanceReport | None = await job.func(**job.kwargs)
            return result

        reports = await asyncio.gather(*(maintenance(jobs) for jobs in replicas))
        assert sum(r is not None for r in reports) == 1, "maintenance ran on one replica"
        assert [await maintenance(jobs) for jobs in replicas] == [None, None], "and only once that day"
        clock.advance(days=1)
        assert await maintenance(replicas[1]) is not None, "the next day it runs again"
    finally:
        await asyncio.gather(*(jobs.stop(grace_s=5.0) for jobs in replicas))

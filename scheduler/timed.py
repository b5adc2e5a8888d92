"""What runs when: the timed jobs on an APScheduler ``AsyncIOScheduler`` in the bot's event loop.

Jobs are plain async functions with explicit arguments, each registered under a fixed id with
``replace_existing``, ``coalesce`` and a generous ``misfire_grace_time`` (APScheduler's default of one second
would skip a run the event loop was a little late for). Each job is safe to run twice: the teaser is idempotent
by its ``(channel, day)`` claim, maintenance by what is on disk. Jobs are not persisted; instead, a start-up after
today's posting time schedules a catch-up run of the daily teaser (a no-op when it is already out).

With several bot replicas on one database each runs this scheduler: the teaser's claim already lets one of them
post, and maintenance first claims ``(maintenance, day)`` in ``daily_runs`` so that only one replica runs it a day.

    daily-teaser     TEASER_TIME in TEASER_TIMEZONE (only when TEASER_CHANNEL is set; in the worker processes when
                     the bot's workers run elsewhere, since it may render a house track)
    teaser-catch-up  once at start-up, when today's posting time has already passed
    maintenance      MAINTENANCE_TIME in TEASER_TIMEZONE: old audio files, WAL checkpoint
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from scheduler.maintenance import MaintenanceReport, run_maintenance
from scheduler.teaser import TeaserDesk, TeaserResult
from storage import DailyRunRepository, Database
from storage.audio import AudioStore

log = logging.getLogger(__name__)

TEASER_JOB = "daily-teaser"
CATCH_UP_JOB = "teaser-catch-up"
MAINTENANCE_JOB = "maintenance"
MAINTENANCE_TIME = time(4, 30)
MISFIRE_GRACE_S = 3600  # a run up to an hour late still happens; the teaser itself refuses the wrong day


async def daily_teaser(desk: TeaserDesk) -> TeaserResult:
    """The daily teaser job: post today's teaser once (a no-op before the posting time or when it is out)."""
    result = await desk.post_daily()
    log.info("daily teaser run: %s%s", result.outcome, f" (#{result.teaser.id})" if result.teaser else "")
    return result


async def daily_maintenance(
    *, db: Database, clock: Callable[[], datetime], zone: tzinfo, **maintenance: Any
) -> MaintenanceReport | None:
    """The maintenance job: run once a day across every replica on ``db``; None where another replica claimed it."""
    now = clock()
    if not await DailyRunRepository(db).claim(MAINTENANCE_JOB, now.astimezone(zone).date(), now):
        log.info("maintenance: another replica ran it today")
        return None
    return await run_maintenance(db=db, clock=clock, **maintenance)


class TimedJobs:
    """Owns the scheduler: :meth:`start` with the application, :meth:`stop` before it."""

    def __init__(
        self,
        *,
        desk: TeaserDesk,
        db: Database,
        audio_dir: Path,
        retention: timedelta,
        clock: Callable[[], datetime],
        maintenance_at: time = MAINTENANCE_TIME,
        audio_store: AudioStore | None = None,
        teasers: bool = True,
        maintenance: bool = True,
    ) -> None:
        #: Which jobs run here: a bot whose workers run elsewhere leaves the teaser (it may render a house track) to
        #: them, and a worker leaves maintenance to the bot.
        self._teasers, self._maintenance = teasers, maintenance
        self._desk, self._db, self._audio_dir, self._retention = desk, db, audio_dir, retention
        self._audio_store = audio_store  # None: the track files are under audio_dir (the local store)
        self._clock, self._maintenance_at = clock, maintenance_at
        self._scheduler: Any = None  # AsyncIOScheduler (APScheduler 3 ships no type hints)

    @property
    def scheduler(self) -> Any:
        """The running ``AsyncIOScheduler`` (None before start and after stop)."""
        return self._scheduler

    async def start(self) -> None:
        """Register the jobs and start the scheduler in the running event loop."""
        config = self._desk.config
        scheduler = AsyncIOScheduler(
            timezone=config.zone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_S},
        )
        if config.channel is not None and self._teasers:
            scheduler.add_job(
                daily_teaser,
                CronTrigger(hour=config.at.hour, minute=config.at.minute, timezone=config.zone),
                kwargs={"desk": self._desk},
                id=TEASER_JOB,
                name="daily teaser",
                replace_existing=True,
            )
            if self._desk.due(self._clock()):  # down at posting time today: catch up now (once, by the claim)
                scheduler.add_job(
                    daily_teaser, "date", kwargs={"desk": self._desk}, id=CATCH_UP_JOB, replace_existing=True
                )
        if self._maintenance:
            self._add_maintenance(scheduler)
        scheduler.start()
        self._scheduler = scheduler
        teaser = scheduler.get_job(TEASER_JOB)
        if teaser is None:
            log.info("no daily teaser here: %s", "no TEASER_CHANNEL" if self._teasers else "the workers post it")
        else:
            log.info(
                "daily teaser to %s at %s %s; next %s", config.channel, config.at, config.zone, teaser.next_run_time
            )

    def _add_maintenance(self, scheduler: Any) -> None:
        config = self._desk.config
        scheduler.add_job(
            daily_maintenance,
            CronTrigger(hour=self._maintenance_at.hour, minute=self._maintenance_at.minute, timezone=config.zone),
            kwargs={
                "db": self._db,
                "audio_dir": self._audio_dir,
                "retention": self._retention,
                "clock": self._clock,
                "audio_store": self._audio_store,
                "zone": config.zone,
            },
            id=MAINTENANCE_JOB,
            name="maintenance",
            replace_existing=True,
        )

    async def stop(self, grace_s: float = 0.0) -> None:
        """Stop scheduling; give a teaser being posted ``grace_s`` to finish, then cancel what still runs."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        scheduler.pause()
        try:
            async with asyncio.timeout(grace_s):
                await self._desk.wait_idle()
        except TimeoutError:
            log.warning("a teaser was still being posted at shutdown; interrupted")
        scheduler.shutdown(wait=False)

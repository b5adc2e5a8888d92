"""Daily runs: which timed job has run on which day, so that several bot replicas run it once a day between them."""

from __future__ import annotations

from datetime import date, datetime

from storage.database import Database


class DailyRunRepository:
    """Claims ``(job, day)`` in ``daily_runs``: the first claimant runs the job, everyone else skips it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, job: str, day: date, now: datetime) -> bool:
        """True for the one caller that claims ``job`` on ``day`` first; False for every later one."""
        rows = await self._db.write_returning(
            "INSERT INTO daily_runs (job, day, claimed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING job",
            (job, day.isoformat(), now.isoformat()),
        )
        return bool(rows)

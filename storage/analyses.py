"""Clip analyses: one row per analysis a person asked for, which is both the daily count and the state behind the
analysis message's buttons (the features and the recommendation, as JSON).

A row is ``running`` from the moment it is reserved, then ``done`` with its results, or ``failed`` when the file
could not be analysed — a failed one does not count against the day's free analyses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from storage.database import Database


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    """One analysis: whose, which day, and (once done) what was heard and recommended."""

    id: int
    telegram_id: int
    day: date
    status: str
    features: dict[str, Any] | None
    recommendation: dict[str, Any] | None
    created_at: datetime


class AnalysisRepository:
    """Reads and writes ``analysis_runs``; each write is a single statement."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def reserve(self, telegram_id: int, day: date, limit: int, now: datetime) -> int | None:
        """Start an analysis if ``telegram_id`` has had fewer than ``limit`` today; its id, else None.

        The count and the insert are one statement, so two clips sent at once can never both take the last one.
        """
        rows = await self._db.write_returning(
            """
            INSERT INTO analysis_runs (telegram_id, day, status, created_at)
            SELECT ?, ?, 'running', ?
            WHERE (SELECT COUNT(*) FROM analysis_runs WHERE telegram_id = ? AND day = ? AND status <> 'failed') < ?
            RETURNING id
            """,
            (telegram_id, day.isoformat(), now.astimezone(UTC).isoformat(), telegram_id, day.isoformat(), limit),
        )
        return int(rows[0]["id"]) if rows else None

    async def finish(self, run_id: int, features: dict[str, Any], recommendation: dict[str, Any]) -> None:
        """Record what the analysis heard and recommends."""
        await self._db.execute(
            "UPDATE analysis_runs SET status = 'done', features = ?, recommendation = ? WHERE id = ?",
            (json.dumps(features), json.dumps(recommendation), run_id),
        )

    async def fail(self, run_id: int) -> None:
        """Mark the analysis failed: it no longer counts against the day."""
        await self._db.execute("UPDATE analysis_runs SET status = 'failed' WHERE id = ?", (run_id,))

    async def count(self, telegram_id: int, day: date) -> int:
        """Analyses that count against ``day`` (running or done)."""
        value = await self._db.scalar(
            "SELECT COUNT(*) FROM analysis_runs WHERE telegram_id = ? AND day = ? AND status <> 'failed'",
            (telegram_id, day.isoformat()),
        )
        return int(value or 0)

    async def get(self, run_id: int) -> AnalysisRun | None:
        """The analysis ``run_id``, if it exists."""
        row = await self._db.fetchone("SELECT * FROM analysis_runs WHERE id = ?", (run_id,))
        if row is None:
            return None
        return AnalysisRun(
            id=row["id"],
            telegram_id=row["telegram_id"],
            day=date.fromisoformat(row["day"]),
            status=row["status"],
            features=None if row["features"] is None else json.loads(row["features"]),
            recommendation=None if row["recommendation"] is None else json.loads(row["recommendation"]),
            created_at=datetime.fromisoformat(row["created_at"]),
        )

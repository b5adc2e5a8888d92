"""Generation jobs: what was asked, by whom, how it was paid for, and where it stands."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from storage.database import Database

JobStatus = Literal["queued", "running", "delivered", "failed", "canceled"]
Funding = Literal["free", "paid", "house"]
ACTIVE: tuple[JobStatus, ...] = ("queued", "running")


@dataclass(frozen=True, slots=True)
class Job:
    """One generation job."""

    id: int
    telegram_id: int
    fingerprint: str
    chat_id: int
    prompt: str
    engine: str
    funding: Funding
    status: JobStatus
    created_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    priority: int = 0
    attempts: int = 0
    seed: int | None = None
    error: str | None = None
    audio_path: str | None = None
    file_id: str | None = None
    status_message_id: int | None = None
    cost_usd: float = 0.0
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Job:
        """Build a Job from a ``jobs`` row."""

        def when(value: str | None) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value)

        created = when(row["created_at"])
        assert created is not None
        return cls(
            id=row["id"],
            telegram_id=row["telegram_id"],
            fingerprint=row["fingerprint"],
            chat_id=row["chat_id"],
            prompt=row["prompt"],
            engine=row["engine"],
            funding=row["funding"],
            status=row["status"],
            created_at=created,
            params=json.loads(row["params"]),
            model=row["model"],
            priority=row["priority"],
            attempts=row["attempts"],
            seed=row["seed"],
            error=row["error"],
            audio_path=row["audio_path"],
            file_id=row["file_id"],
            status_message_id=row["status_message_id"],
            cost_usd=row["cost_usd"],
            started_at=when(row["started_at"]),
            finished_at=when(row["finished_at"]),
        )


class JobRepository:
    """Reads and writes ``jobs``. Writes that must be atomic with a ledger row take the caller's connection."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(
        self,
        conn: aiosqlite.Connection,
        *,
        telegram_id: int,
        fingerprint: str,
        chat_id: int,
        prompt: str,
        engine: str,
        funding: Funding,
        now: datetime,
        params: dict[str, Any] | None = None,
        priority: int = 0,
    ) -> int:
        """Insert a queued job inside the caller's transaction; returns its id."""
        cursor = await conn.execute(
            """
            INSERT INTO jobs (telegram_id, fingerprint, chat_id, prompt, params, engine, funding, priority,
                              created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                telegram_id,
                fingerprint,
                chat_id,
                prompt,
                json.dumps(params or {}, sort_keys=True),
                engine,
                funding,
                priority,
                now.isoformat(),
            ),
        )
        return int(cursor.lastrowid or 0)

    async def get(self, job_id: int) -> Job | None:
        """The job with this id, or None."""
        row = await self._db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else Job.from_row(row)

    async def for_user(self, telegram_id: int, *, limit: int = 10, offset: int = 0) -> list[Job]:
        """A user's jobs, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM jobs WHERE telegram_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (telegram_id, limit, offset),
        )
        return [Job.from_row(r) for r in rows]

    async def count_by_status(self) -> dict[str, int]:
        """How many jobs are in each status."""
        rows = await self._db.fetchall("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        return {row[0]: row[1] for row in rows}

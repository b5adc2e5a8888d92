"""Generation jobs: what was asked, by whom, how it was paid for, where it stands, and what came out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from storage.database import Connection, Database, Row

JobStatus = Literal["queued", "running", "delivered", "failed", "canceled"]
Funding = Literal["free", "paid", "house"]
ACTIVE: tuple[JobStatus, ...] = ("queued", "running")
_TIMES = ("created_at", "started_at", "finished_at", "shared_at", "sending_at")


@dataclass(frozen=True, slots=True)
class Job:
    """One generation job (a row of ``jobs``)."""

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
    wav_file_id: str | None = None
    stems_file_id: str | None = None
    status_message_id: int | None = None
    title: str | None = None
    duration: float | None = None
    bpm: float | None = None
    music_key: str | None = None
    license_id: str | None = None
    commercial: bool | None = None
    has_stems: bool = False
    shared_at: datetime | None = None
    cost_usd: float = 0.0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    style: str | None = None  # the style the engine chose (e.g. the synth read "sad piano" as "piano")
    sending_at: datetime | None = None  # the track's upload began (a running job can no longer be canceled)
    lyrics: str | None = None  # the words to sing, as the user wrote them; None for an instrumental

    @classmethod
    def from_row(cls, row: Row) -> Job:
        """Build a Job from a ``jobs`` row."""
        values: dict[str, Any] = {f.name: row[f.name] for f in fields(cls)}
        for name in _TIMES:
            values[name] = None if values[name] is None else datetime.fromisoformat(values[name])
        values["params"] = json.loads(values["params"])
        values["has_stems"] = bool(values["has_stems"])
        values["commercial"] = None if values["commercial"] is None else bool(values["commercial"])
        return cls(**values)

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.status in ACTIVE

    @property
    def sending(self) -> bool:
        """Running, and its track is being sent (or was, when a crash interrupted the upload)."""
        return self.status == "running" and self.sending_at is not None

    @property
    def has_audio(self) -> bool:
        """Its files exist: delivered, or being handed over right now (a button pressed that instant works)."""
        return self.audio_path is not None and self.status in ("running", "delivered")


class JobRepository:
    """Reads and writes ``jobs``. Writes that must be atomic with a ledger row take the caller's connection."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(
        self,
        conn: Connection,
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
        lyrics: str | None = None,
    ) -> int:
        """Insert a queued job inside the caller's transaction; returns its id."""
        cursor = await conn.execute(
            """
            INSERT INTO jobs (telegram_id, fingerprint, chat_id, prompt, params, engine, funding, priority,
                              created_at, lyrics)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING id
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
                lyrics,
            ),
        )
        row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def get(self, job_id: int) -> Job | None:
        """The job with this id, or None."""
        row = await self._db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else Job.from_row(row)

    async def for_user(
        self, telegram_id: int, *, limit: int = 10, offset: int = 0, delivered_only: bool = False
    ) -> list[Job]:
        """A user's jobs, newest first."""
        where = "telegram_id = ?" + (" AND status = 'delivered'" if delivered_only else "")
        rows = await self._db.fetchall(
            f"SELECT * FROM jobs WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?", (telegram_id, limit, offset)
        )
        return [Job.from_row(r) for r in rows]

    async def search_for_user(
        self, telegram_id: int, text: str, *, limit: int = 20, offset: int = 0
    ) -> tuple[list[Job], int]:
        """A user's delivered jobs whose prompt or title contains ``text`` (case-insensitive), newest first, and
        how many match in all."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = (
            "telegram_id = ? AND status = 'delivered'"
            " AND (prompt LIKE ? ESCAPE '\\' OR COALESCE(title, '') LIKE ? ESCAPE '\\')"
        )
        rows = await self._db.fetchall(
            f"SELECT * FROM jobs WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (telegram_id, pattern, pattern, limit, offset),
        )
        total = await self._db.scalar(f"SELECT COUNT(*) FROM jobs WHERE {where}", (telegram_id, pattern, pattern))
        return [Job.from_row(r) for r in rows], int(total)

    async def count_for_user(self, telegram_id: int, *, delivered_only: bool = False) -> int:
        """How many jobs a user has (delivered ones only when asked)."""
        where = "telegram_id = ?" + (" AND status = 'delivered'" if delivered_only else "")
        return int(await self._db.scalar(f"SELECT COUNT(*) FROM jobs WHERE {where}", (telegram_id,)))

    async def active_for_user(self, telegram_id: int) -> list[Job]:
        """A user's queued and running jobs, oldest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM jobs WHERE telegram_id = ? AND status IN ('queued', 'running') ORDER BY id", (telegram_id,)
        )
        return [Job.from_row(r) for r in rows]

    async def count_by_status(self) -> dict[str, int]:
        """How many jobs are in each status."""
        rows = await self._db.fetchall("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        return {row[0]: row[1] for row in rows}

    async def claim(self, job_id: int, now: datetime) -> Job | None:
        """Move job ``job_id`` to running and count the attempt; None when it is no longer active (settled).

        A job already running is claimed again: the queue backend hands it out once more only when the worker
        running it is gone (its heartbeat lapsed)."""
        rows = await self._db.write_returning(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ? "
            "WHERE id = ? AND status IN ('queued', 'running') RETURNING *",
            (now.isoformat(), job_id),
        )
        return Job.from_row(rows[0]) if rows else None

    async def claim_next(self, engine: str, now: datetime) -> Job | None:
        """Atomically move the next queued job for ``engine`` (paid first, then oldest) to running."""
        # PostgreSQL runs concurrent claims side by side: without SKIP LOCKED two workers pick the same row and the
        # loser waits, then finds it taken; SQLite's single writer makes them queue, and knows no FOR UPDATE.
        postgres = self._db.backend == "postgresql"
        skip_locked = " FOR UPDATE SKIP LOCKED" if postgres else ""
        sql = f"""
            UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?
            WHERE status = 'queued' AND id = (SELECT id FROM jobs WHERE status = 'queued' AND engine = ?
                                              ORDER BY priority DESC, id LIMIT 1{skip_locked})
            RETURNING *
            """
        for _attempt in range(20):
            rows = await self._db.write_returning(sql, (now.isoformat(), engine))
            if rows:
                return Job.from_row(rows[0])
            # Under READ COMMITTED a LIMIT 1 … FOR UPDATE can come back empty when the row it found was claimed
            # (and committed) by another worker after this statement's snapshot (PostgreSQL docs, SELECT, "The
            # Locking Clause"): look again while queued work is left, so no worker goes idle beside waiting jobs.
            if not postgres or not await self._db.scalar(
                "SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND engine = ?", (engine,)
            ):
                return None
        return None

    async def queue_position(self, job: Job) -> int:
        """1 for the next job to run on its engine, 2 for the one after, …; 0 when it is not queued."""
        if job.status != "queued":
            return 0
        ahead = await self._db.scalar(
            """
            SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND engine = ?
              AND (priority > ? OR (priority = ? AND id < ?))
            """,
            (job.engine, job.priority, job.priority, job.id),
        )
        return int(ahead) + 1

    async def queue_depth(self) -> dict[str, int]:
        """Queued jobs per engine."""
        rows = await self._db.fetchall("SELECT engine, COUNT(*) FROM jobs WHERE status = 'queued' GROUP BY engine")
        return {row[0]: row[1] for row in rows}

    async def running(self) -> list[Job]:
        """Every job marked running (after a crash: the ones that were interrupted)."""
        rows = await self._db.fetchall("SELECT * FROM jobs WHERE status = 'running' ORDER BY id")
        return [Job.from_row(r) for r in rows]

    async def mark_sending(self, job_id: int, now: datetime) -> bool:
        """Flag a running job as being sent; False when it is no longer running."""
        rows = await self._db.write_returning(
            "UPDATE jobs SET sending_at = ? WHERE id = ? AND status = 'running' RETURNING id", (now.isoformat(), job_id)
        )
        return bool(rows)

    async def requeue(self, job_id: int) -> bool:
        """Put a running job back in the queue (its reservation is kept; a ``sending_at`` flag too)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE jobs SET status = 'queued', started_at = NULL WHERE id = ? AND status = 'running'", (job_id,)
            )
            return cursor.rowcount == 1

    async def update(self, job_id: int, **values: Any) -> Job | None:
        """Set result columns (file ids, paths, seed, metadata) of a job; returns the job as now stored."""
        allowed = {f.name for f in fields(Job)} - {"id", "status", "telegram_id", "fingerprint", "funding"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        encoded = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
        assignments = ", ".join(f"{name} = ?" for name in encoded)
        rows = await self._db.write_returning(
            f"UPDATE jobs SET {assignments} WHERE id = ? RETURNING *", (*encoded.values(), job_id)
        )
        return Job.from_row(rows[0]) if rows else None

"""Reservations: a job and the credit it holds, created, settled and released atomically.

The rules (who may generate, from which bucket, at what priority) are billing's; this module only makes them
atomic. ``reserve`` locks the user (``Connection.lock_user`` / ``lock_key``: SQLite's single writer, PostgreSQL's
``SELECT … FOR UPDATE``), reads a ``Snapshot`` of what the user holds, asks billing's ``decide`` for a ``Claim``,
and writes the job and its ledger row in the same transaction, so 200 concurrent requests of one user admit
exactly what they can pay for. ``settle`` commits or releases a job's credit once.

Ledger rows (``storage.ledger``)::

    reserve   -N   free or paid bucket    a job is accepted           reference "job:<id>"
    commit     0   same bucket            its audio was delivered     reference "job:<id>"
    release   +N   same bucket and day    it failed or was canceled   reference "job:<id>"
    refund    -1   paid                   a refund claimed the held credit (``refund-hold``) and the job released it
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from storage.database import Connection, Database, NotFound, Row
from storage.jobs import Funding, JobRepository
from storage.ledger import Bucket, LedgerEntry, LedgerRepository

Outcome = Literal["delivered", "failed", "canceled"]


@dataclass(frozen=True, slots=True)
class Queued:
    """A job just inserted, as the queue backend needs it to hand the work on (in the same transaction)."""

    job_id: int
    engine: str
    priority: int
    telegram_id: int


#: Called inside the transaction that inserts a job (and reserves its credit), e.g. to defer the job's work.
OnQueued = Callable[[Connection, Queued], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Holdings:
    """What one fingerprint holds: free tracks used on a quota day, and its paid balance."""

    free_used: int
    paid: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the decision sees, read under the user's lock: the buyer's holdings, the holdings of the fingerprint
    whose free quota applies, and the user's queued or running jobs."""

    own: Holdings
    quota: Holdings
    active_job_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to queue."""

    telegram_id: int
    fingerprint: str
    chat_id: int
    prompt: str
    engine: str
    params: dict[str, Any]
    lyrics: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """Billing's answer: take ``amount`` credits from ``bucket`` and queue the job at ``priority``."""

    bucket: Bucket
    amount: int
    priority: int = 0


class ReservationStore:
    """Reserves, settles and releases the credits jobs hold."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._jobs = JobRepository(db)

    async def holdings(self, fingerprint: str, day: str) -> Holdings:
        """Committed holdings of ``fingerprint`` (free tracks used on quota day ``day``)."""
        return _holdings(await self._db.fetchall(_HOLDINGS_SQL, (day, fingerprint)))

    async def reserve(
        self,
        job: NewJob,
        *,
        quota_fingerprint: str,
        day: str,
        now: datetime,
        decide: Callable[[Snapshot], Claim | None],
        on_queued: OnQueued | None = None,
    ) -> tuple[Snapshot, int | None]:
        """Under the user's lock: read the snapshot, ask ``decide``, and when it claims, queue the job and append
        its ``reserve`` row (free credits count on ``day`` under ``quota_fingerprint``). Returns the snapshot and
        the new job's id (None when ``decide`` declined)."""
        async with self._db.transaction() as conn:
            await conn.lock_user(job.telegram_id)
            for key in sorted({job.fingerprint, quota_fingerprint}):
                await conn.lock_key(key)
            own = _holdings(await conn.execute_fetchall(_HOLDINGS_SQL, (day, job.fingerprint)))
            quota = own
            if quota_fingerprint != job.fingerprint:
                quota = _holdings(await conn.execute_fetchall(_HOLDINGS_SQL, (day, quota_fingerprint)))
            active = await conn.execute_fetchall(
                "SELECT id FROM jobs WHERE telegram_id = ? AND status IN ('queued', 'running') ORDER BY id",
                (job.telegram_id,),
            )
            snapshot = Snapshot(own, quota, tuple(int(r[0]) for r in active))
            claim = decide(snapshot)
            if claim is None:
                return snapshot, None
            job_id = await self._insert(conn, job, claim.bucket, claim.priority, now)
            await LedgerRepository.append(
                conn,
                LedgerEntry(
                    quota_fingerprint if claim.bucket == "free" else job.fingerprint,
                    claim.bucket,
                    "reserve",
                    -claim.amount,
                    now,
                    job_id=job_id,
                    reference=f"job:{job_id}",
                    day=day if claim.bucket == "free" else None,
                ),
            )
            if on_queued is not None:
                await on_queued(conn, Queued(job_id, job.engine, claim.priority, job.telegram_id))
            return snapshot, job_id

    async def queue_house(self, job: NewJob, now: datetime, on_queued: OnQueued | None = None) -> int:
        """Queue a job nobody's credit pays for; returns its id."""
        async with self._db.transaction() as conn:
            job_id = await self._insert(conn, job, "house", 0, now)
            if on_queued is not None:
                await on_queued(conn, Queued(job_id, job.engine, 0, job.telegram_id))
            return job_id

    async def settle(
        self,
        job_id: int,
        outcome: Outcome,
        now: datetime,
        *,
        error: str | None = None,
        expect_status: str | None = None,
    ) -> bool:
        """Commit (delivered) or release (failed/canceled) the job's credit and set its final status, once.

        False when the job was settled before, or is not in ``expect_status`` when that is given. Raises
        ``NotFound`` when the job does not exist or holds no reservation and is not a house job.
        """
        kind = "commit" if outcome == "delivered" else "release"
        async with self._db.transaction() as conn:
            if expect_status is not None:
                status = await conn.execute_fetchall("SELECT status FROM jobs WHERE id = ?", (job_id,))
                if not status or status[0][0] != expect_status:
                    return False
            rows = await conn.execute_fetchall(
                "SELECT bucket, day, fingerprint, kind, amount FROM credit_ledger WHERE reference = ? ORDER BY id",
                (f"job:{job_id}",),
            )
            if not rows:
                return await _settle_house(conn, job_id, outcome, error, now)
            if any(r["kind"] in ("commit", "release") for r in rows):
                return False
            reserve = rows[0]
            amount = 0 if kind == "commit" else -int(reserve["amount"])  # every credit the reserve took
            await LedgerRepository.append(
                conn,
                LedgerEntry(
                    reserve["fingerprint"],
                    reserve["bucket"],
                    kind,
                    amount,
                    now,
                    job_id=job_id,
                    reference=f"job:{job_id}",
                    day=reserve["day"],
                    note=error,
                ),
            )
            if kind == "release" and any(r["kind"] == "refund-hold" for r in rows):
                # The payment this credit came from was refunded while the job held it: it goes back to nobody.
                await LedgerRepository.append(
                    conn,
                    LedgerEntry(
                        reserve["fingerprint"],
                        "paid",
                        "refund",
                        -1,
                        now,
                        job_id=job_id,
                        reference=f"job:{job_id}",
                        note="held credit of a refunded payment",
                    ),
                )
            await conn.execute(
                "UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                (outcome, error, now.isoformat(), job_id),
            )
        return True

    async def _insert(self, conn: Connection, job: NewJob, funding: Funding, priority: int, now: datetime) -> int:
        return await self._jobs.insert(
            conn,
            telegram_id=job.telegram_id,
            fingerprint=job.fingerprint,
            chat_id=job.chat_id,
            prompt=job.prompt,
            engine=job.engine,
            funding=funding,
            now=now,
            params=job.params,
            priority=priority,
            lyrics=job.lyrics,
        )

    async def move_paid(self, entry: LedgerEntry) -> None:
        """Append one paid-bucket movement in its own transaction; ``Duplicate`` when its reference was used."""
        async with self._db.transaction() as conn:
            await conn.lock_key(entry.fingerprint)
            await LedgerRepository.append(conn, entry)


_HOLDINGS_SQL = """
    SELECT
        COALESCE(-SUM(CASE WHEN bucket = 'free' AND day = ? THEN amount END), 0) AS free_used,
        COALESCE(SUM(CASE WHEN bucket = 'paid' THEN amount END), 0) AS paid
    FROM credit_ledger WHERE fingerprint = ?
"""


def _holdings(rows: list[Row]) -> Holdings:
    return Holdings(0, 0) if not rows else Holdings(int(rows[0][0] or 0), int(rows[0][1] or 0))


async def _settle_house(conn: Connection, job_id: int, outcome: Outcome, error: str | None, now: datetime) -> bool:
    changed = await conn.execute(
        "UPDATE jobs SET status = ?, error = ?, finished_at = ? "
        "WHERE id = ? AND funding = 'house' AND status IN ('queued', 'running')",
        (outcome, error, now.isoformat(), job_id),
    )
    if changed.rowcount == 1:
        return True
    rows = await conn.execute_fetchall("SELECT funding FROM jobs WHERE id = ?", (job_id,))
    if not rows or rows[0][0] != "house":
        raise NotFound(f"job {job_id} has no reservation")
    return False  # a house job that was already settled

"""Credits: the free daily quota and paid credits, reserved atomically before a generation and settled after.

Every movement is one row of the append-only ledger (``storage.ledger``); balances are sums, never stored::

    reserve   -1   free or paid bucket    a job is accepted                     reference "job:<id>"
    commit     0   same bucket            its audio was delivered: spent       reference "job:<id>"
    release   +1   same bucket and day    it failed, timed out or was canceled reference "job:<id>"
    purchase / grant  +n  paid            bought or given                       reference: the payment id
    refund / debit    -n  paid            taken back
    refund-hold        0  paid            a refund claimed the credit a job holds reference "job:<id>"
    refund            -1  paid            …taken back when that job releases it   reference "job:<id>"

A job is settled once: ``(kind, reference)`` is unique, and settling checks inside the same transaction that the
other outcome was not recorded. Free credits count on the quota day (midnight to midnight in the quota time zone)
they were taken from, so a release after midnight gives back yesterday's credit, not today's.

Errors::

    BillingError            base, with a user-safe message
    └── AlreadySettled      the job was committed or released before
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

import aiosqlite

from storage import Database, JobRepository, LedgerEntry, LedgerRepository

log = logging.getLogger(__name__)

Outcome = Literal["delivered", "failed", "canceled"]


class BillingError(Exception):
    """Base of billing errors; ``user_message`` is safe to show."""

    user_message = "Your credits could not be updated. Please try again."


class AlreadySettled(BillingError):
    """The job's credit was already committed or released."""


class Decision(StrEnum):
    """The quota decision for one request, as written to the log."""

    ALLOW_FREE = "ALLOW free"
    ALLOW_PAID = "ALLOW paid"
    BLOCK_QUOTA = "BLOCK quota"
    BLOCK_BANNED = "BLOCK banned"
    BLOCK_BUSY = "BLOCK busy"


@dataclass(frozen=True, slots=True)
class Balance:
    """What a user has: free generations left today, paid credits, and when the free quota resets."""

    free_left: int
    free_quota: int
    paid: int
    resets_at: datetime


@dataclass(frozen=True, slots=True)
class Admission:
    """The answer to "may this user generate now?"; ``job_id`` is set when a job was queued."""

    decision: Decision
    balance: Balance
    job_id: int | None = None
    active_job_ids: tuple[int, ...] = ()

    @property
    def allowed(self) -> bool:
        """True when a job was created and a credit reserved for it."""
        return self.job_id is not None


@dataclass(frozen=True, slots=True)
class JobSpec:
    """The job to create when the request is allowed."""

    telegram_id: int
    fingerprint: str
    chat_id: int
    prompt: str
    engine: str
    params: dict[str, Any]
    #: Whose free quota to use when it is not ``fingerprint``'s: an anonymous web visitor's free tracks are keyed on
    #: their IP and User-Agent, while bought credits stay with their session (``fingerprint``).
    quota_fingerprint: str | None = None


class Credits:
    """The quota and credit rules over the ledger."""

    def __init__(
        self,
        db: Database,
        *,
        free_daily_quota: int,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
        max_active_jobs: int = 1,
        on_decision: Callable[[Decision], None] | None = None,
    ) -> None:
        self._db = db
        self._ledger = LedgerRepository(db)
        self._jobs = JobRepository(db)
        self.free_daily_quota = free_daily_quota
        self.zone = zone
        self._clock = clock
        self.max_active_jobs = max_active_jobs
        self._on_decision = on_decision  # e.g. a metrics counter; called once per decision, must not block

    # --- the quota day --------------------------------------------------------------------------------------

    def quota_day(self, moment: datetime) -> date:
        """The quota day ``moment`` falls on."""
        return moment.astimezone(self.zone).date()

    def resets_at(self, moment: datetime) -> datetime:
        """The next midnight in the quota time zone after ``moment``."""
        next_day = self.quota_day(moment) + timedelta(days=1)
        return datetime.combine(next_day, time(0), tzinfo=self.zone)

    # --- reading ----------------------------------------------------------------------------------------------

    async def balance(self, fingerprint: str, quota_fingerprint: str | None = None) -> Balance:
        """The user's balance now (free tracks counted under ``quota_fingerprint`` when given)."""
        now = self._clock()
        row = await self._db.fetchone(_BALANCE_SQL, (self.quota_day(now).isoformat(), fingerprint))
        balance = self._balance(row, now)
        if quota_fingerprint is not None and quota_fingerprint != fingerprint:
            quota_row = await self._db.fetchone(_BALANCE_SQL, (self.quota_day(now).isoformat(), quota_fingerprint))
            balance = replace(balance, free_left=self._balance(quota_row, now).free_left)
        return balance

    def _balance(self, row: aiosqlite.Row | None, now: datetime) -> Balance:
        free_used, paid = (0, 0) if row is None else (int(row[0] or 0), int(row[1] or 0))
        return Balance(
            free_left=max(0, self.free_daily_quota - free_used),
            free_quota=self.free_daily_quota,
            paid=paid,
            resets_at=self.resets_at(now),
        )

    # --- reserving --------------------------------------------------------------------------------------------

    async def admit(self, spec: JobSpec, *, banned: bool) -> Admission:
        """Atomically decide, and when allowed create the queued job and reserve its credit (free first)."""
        now = self._clock()
        day = self.quota_day(now).isoformat()
        async with self._db.transaction() as conn:
            # execute_fetchall: one trip to the connection's thread instead of three (execute, fetch, close); the
            # writer is the bottleneck of every decision, so each trip saved is throughput (bench/quota.py).
            rows = list(await conn.execute_fetchall(_BALANCE_SQL, (day, spec.fingerprint)))
            balance = self._balance(rows[0] if rows else None, now)
            quota_fingerprint = spec.quota_fingerprint or spec.fingerprint
            if quota_fingerprint != spec.fingerprint:
                rows = list(await conn.execute_fetchall(_BALANCE_SQL, (day, quota_fingerprint)))
                balance = replace(balance, free_left=self._balance(rows[0] if rows else None, now).free_left)
            active = await _active_jobs(conn, spec.telegram_id)
            if banned:
                decision = Decision.BLOCK_BANNED
            elif len(active) >= self.max_active_jobs:
                decision = Decision.BLOCK_BUSY
            elif balance.free_left > 0:
                decision = Decision.ALLOW_FREE
            elif balance.paid > 0:
                decision = Decision.ALLOW_PAID
            else:
                decision = Decision.BLOCK_QUOTA
            job_id = None
            if decision in (Decision.ALLOW_FREE, Decision.ALLOW_PAID):
                bucket: Literal["free", "paid"] = "free" if decision is Decision.ALLOW_FREE else "paid"
                job_id = await self._insert_job(conn, spec, bucket, now)
                await self._ledger.append(
                    conn,
                    LedgerEntry(
                        quota_fingerprint if bucket == "free" else spec.fingerprint,
                        bucket,
                        "reserve",
                        -1,
                        now,
                        job_id=job_id,
                        reference=f"job:{job_id}",
                        day=day if bucket == "free" else None,
                    ),
                )
                balance = _after_reserve(balance, bucket)
        log.info(
            "%s fingerprint=%s job=%s",
            decision.value,
            spec.fingerprint[:12],
            job_id,
            extra={"decision": decision.value, "fingerprint": spec.fingerprint, "job_id": job_id},
        )
        if self._on_decision is not None:
            self._on_decision(decision)
        return Admission(decision, balance, job_id, tuple(active))

    # --- settling ---------------------------------------------------------------------------------------------

    async def settle(
        self, job_id: int, outcome: Outcome, *, error: str | None = None, expect_status: str | None = None
    ) -> bool:
        """Commit (delivered) or release (failed/canceled) the job's credit and set its final status.

        Returns False when the job was already settled, or is not in ``expect_status`` when that is given (a worker
        claimed it meanwhile): nothing changes then. Safe to call again after a crash.
        """
        now = self._clock()
        kind = "commit" if outcome == "delivered" else "release"
        async with self._db.transaction() as conn:
            if expect_status is not None:
                cursor = await conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,))
                row = await cursor.fetchone()
                await cursor.close()
                if row is None or row[0] != expect_status:
                    return False
            cursor = await conn.execute(
                "SELECT bucket, day, fingerprint, kind FROM credit_ledger WHERE reference = ? ORDER BY id",
                (f"job:{job_id}",),
            )
            rows = list(await cursor.fetchall())
            await cursor.close()
            if not rows:
                return await self._settle_house(conn, job_id, outcome, error, now)
            if any(r["kind"] in ("commit", "release") for r in rows):
                return False
            reserve = rows[0]
            amount = 0 if kind == "commit" else 1
            await self._ledger.append(
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
                await self._ledger.append(
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

    async def _insert_job(
        self, conn: aiosqlite.Connection, spec: JobSpec, funding: Literal["free", "paid", "house"], now: datetime
    ) -> int:
        return await self._jobs.insert(
            conn,
            telegram_id=spec.telegram_id,
            fingerprint=spec.fingerprint,
            chat_id=spec.chat_id,
            prompt=spec.prompt,
            engine=spec.engine,
            funding=funding,
            now=now,
            params=spec.params,
            priority=1 if funding == "paid" else 0,  # paid work goes ahead of free work
        )

    async def admit_house(self, spec: JobSpec) -> int:
        """Queue a job the house pays for (admin batches, teasers): no quota, no credit; returns its id."""
        now = self._clock()
        async with self._db.transaction() as conn:
            job_id = await self._insert_job(conn, spec, "house", now)
        log.info(
            "ALLOW house fingerprint=%s job=%s",
            spec.fingerprint[:12],
            job_id,
            extra={"decision": "ALLOW house", "fingerprint": spec.fingerprint, "job_id": job_id},
        )
        return job_id

    @staticmethod
    async def _settle_house(
        conn: aiosqlite.Connection, job_id: int, outcome: Outcome, error: str | None, now: datetime
    ) -> bool:
        cursor = await conn.execute(
            "UPDATE jobs SET status = ?, error = ?, finished_at = ? "
            "WHERE id = ? AND funding = 'house' AND status IN ('queued', 'running')",
            (outcome, error, now.isoformat(), job_id),
        )
        if cursor.rowcount == 1:
            return True
        cursor = await conn.execute("SELECT funding FROM jobs WHERE id = ?", (job_id,))
        row = await cursor.fetchone()
        await cursor.close()
        if row is None or row[0] != "house":
            raise BillingError(f"job {job_id} has no reservation")
        return False  # a house job that was already settled

    # --- paid credits -----------------------------------------------------------------------------------------

    async def add_paid(
        self,
        fingerprint: str,
        amount: int,
        *,
        kind: str,
        reference: str | None = None,
        note: str | None = None,
    ) -> int:
        """Add (or with a negative amount take) paid credits; returns the new paid balance.

        With a ``reference`` the movement happens at most once: a repeat raises ``sqlite3.IntegrityError``.
        """
        now = self._clock()
        async with self._db.transaction() as conn:
            await self._ledger.append(
                conn, LedgerEntry(fingerprint, "paid", kind, amount, now, reference=reference, note=note)
            )
        return (await self.balance(fingerprint)).paid


_BALANCE_SQL = """
    SELECT
        COALESCE(-SUM(CASE WHEN bucket = 'free' AND day = ? THEN amount END), 0) AS free_used,
        COALESCE(SUM(CASE WHEN bucket = 'paid' THEN amount END), 0) AS paid
    FROM credit_ledger WHERE fingerprint = ?
"""


async def _active_jobs(conn: aiosqlite.Connection, telegram_id: int) -> list[int]:
    rows = await conn.execute_fetchall(
        "SELECT id FROM jobs WHERE telegram_id = ? AND status IN ('queued', 'running') ORDER BY id",
        (telegram_id,),
    )
    return [int(r[0]) for r in rows]


def _after_reserve(balance: Balance, bucket: str) -> Balance:
    if bucket == "free":
        return Balance(balance.free_left - 1, balance.free_quota, balance.paid, balance.resets_at)
    return Balance(balance.free_left, balance.free_quota, balance.paid - 1, balance.resets_at)

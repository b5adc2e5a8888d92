"""Credits: the free daily quota and paid credits, reserved atomically before a generation and settled after.

Every movement is one row of the append-only ledger (``storage.ledger``); balances are sums, never stored::

    reserve   -N   free or paid bucket    a job is accepted (N: its model's cost) reference "job:<id>"
    commit     0   same bucket            its audio was delivered: spent       reference "job:<id>"
    release   +N   same bucket and day    it failed, timed out or was canceled reference "job:<id>"

A model may cost more than one credit (``JobSpec.cost``, from ``MODEL_COSTS``). The free quota counts tracks and
pays only for models of cost 1; a dearer model is paid from paid credits alone, all N in the one reserve row, and a
release gives all N back.
    purchase / grant  +n  paid            bought or given                       reference: the payment id
    refund / debit    -n  paid            taken back
    refund-hold        0  paid            a refund claimed the credit a job holds reference "job:<id>"
    refund            -1  paid            …taken back when that job releases it   reference "job:<id>"

A job is settled once: ``(kind, reference)`` is unique, and settling checks inside the same transaction that the
other outcome was not recorded. Free credits count on the quota day (midnight to midnight in the quota time zone)
they were taken from, so a release after midnight gives back yesterday's credit, not today's.

Errors::

    BillingError            there is no such job to settle (a programming error, never the user's)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from storage import Database, LedgerEntry, NotFound
from storage.reservations import Claim, Holdings, NewJob, OnQueued, ReservationStore, Snapshot

log = logging.getLogger(__name__)

Outcome = Literal["delivered", "failed", "canceled"]


class BillingError(Exception):
    """There is no such job to settle; the application's error handler answers it (error.generic)."""


class Decision(StrEnum):
    """The quota decision for one request, as written to the log."""

    ALLOW_FREE = "ALLOW free"
    ALLOW_PAID = "ALLOW paid"
    BLOCK_QUOTA = "BLOCK quota"
    BLOCK_PAID_ONLY = "BLOCK paid-only"  # the model costs more than 1 and the user has fewer paid credits than that
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
    cost: int = 1  # credits the model asked for costs (BLOCK_PAID_ONLY says it)

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
    cost: int = 1  # credits the job's model costs (MODEL_COSTS); only a cost of 1 may use the free quota
    lyrics: str | None = None  # words to sing, stored with the job (None: an instrumental)


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
        self._store = ReservationStore(db)
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
        day = self.quota_day(now).isoformat()
        own = await self._store.holdings(fingerprint, day)
        quota = own
        if quota_fingerprint is not None and quota_fingerprint != fingerprint:
            quota = await self._store.holdings(quota_fingerprint, day)
        return self._balance(own, quota, now)

    def _balance(self, own: Holdings, quota: Holdings, now: datetime) -> Balance:
        return Balance(
            free_left=max(0, self.free_daily_quota - quota.free_used),
            free_quota=self.free_daily_quota,
            paid=own.paid,
            resets_at=self.resets_at(now),
        )

    # --- reserving --------------------------------------------------------------------------------------------

    async def admit(self, spec: JobSpec, *, banned: bool, on_queued: OnQueued | None = None) -> Admission:
        """Atomically decide, and when allowed create the queued job and reserve its credit (free first)."""
        now = self._clock()
        outcome: list[Decision] = []

        def decide(snapshot: Snapshot) -> Claim | None:
            decision = decide_admission(
                self._balance(snapshot.own, snapshot.quota, now),
                active_jobs=len(snapshot.active_job_ids),
                max_active_jobs=self.max_active_jobs,
                cost=spec.cost,
                banned=banned,
            )
            outcome.append(decision)
            return claim_for(decision, spec.cost)

        snapshot, job_id = await self._store.reserve(
            _new_job(spec),
            quota_fingerprint=spec.quota_fingerprint or spec.fingerprint,
            day=self.quota_day(now).isoformat(),
            now=now,
            decide=decide,
            on_queued=on_queued,
        )
        decision = outcome[0]
        balance = self._balance(snapshot.own, snapshot.quota, now)
        if job_id is not None:
            balance = _after_reserve(balance, "free" if decision is Decision.ALLOW_FREE else "paid", spec.cost)
        log.info(
            "%s fingerprint=%s job=%s",
            decision.value,
            spec.fingerprint[:12],
            job_id,
            extra={"decision": decision.value, "fingerprint": spec.fingerprint, "job_id": job_id},
        )
        if self._on_decision is not None:
            self._on_decision(decision)
        return Admission(decision, balance, job_id, snapshot.active_job_ids, spec.cost)

    # --- settling ---------------------------------------------------------------------------------------------

    async def settle(
        self, job_id: int, outcome: Outcome, *, error: str | None = None, expect_status: str | None = None
    ) -> bool:
        """Commit (delivered) or release (failed/canceled) the job's credit and set its final status.

        Returns False when the job was already settled, or is not in ``expect_status`` when that is given (a worker
        claimed it meanwhile): nothing changes then. Safe to call again after a crash.
        """
        try:
            return await self._store.settle(job_id, outcome, self._clock(), error=error, expect_status=expect_status)
        except NotFound as exc:
            raise BillingError(str(exc)) from exc

    async def admit_house(self, spec: JobSpec, *, on_queued: OnQueued | None = None) -> int:
        """Queue a job the house pays for (admin batches, teasers): no quota, no credit; returns its id."""
        job_id = await self._store.queue_house(_new_job(spec), self._clock(), on_queued)
        log.info(
            "ALLOW house fingerprint=%s job=%s",
            spec.fingerprint[:12],
            job_id,
            extra={"decision": "ALLOW house", "fingerprint": spec.fingerprint, "job_id": job_id},
        )
        return job_id

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

        With a ``reference`` the movement happens at most once: a repeat raises ``storage.Duplicate``.
        """
        now = self._clock()
        await self._store.move_paid(LedgerEntry(fingerprint, "paid", kind, amount, now, reference=reference, note=note))
        return (await self.balance(fingerprint)).paid


def decide_admission(balance: Balance, *, active_jobs: int, max_active_jobs: int, cost: int, banned: bool) -> Decision:
    """The quota rule: banned and busy users wait; a dearer model needs paid credits; else free first, then paid."""
    if banned:
        return Decision.BLOCK_BANNED
    if active_jobs >= max_active_jobs:
        return Decision.BLOCK_BUSY
    if cost > 1:
        return Decision.ALLOW_PAID if balance.paid >= cost else Decision.BLOCK_PAID_ONLY
    if balance.free_left > 0:
        return Decision.ALLOW_FREE
    if balance.paid > 0:
        return Decision.ALLOW_PAID
    return Decision.BLOCK_QUOTA


def claim_for(decision: Decision, cost: int) -> Claim | None:
    """What an allowing decision takes: one free track, or ``cost`` paid credits at the front of the queue."""
    if decision is Decision.ALLOW_FREE:
        return Claim("free", cost, priority=0)
    if decision is Decision.ALLOW_PAID:
        return Claim("paid", cost, priority=1)  # paid work goes ahead of free work
    return None


def _new_job(spec: JobSpec) -> NewJob:
    return NewJob(spec.telegram_id, spec.fingerprint, spec.chat_id, spec.prompt, spec.engine, spec.params, spec.lyrics)


def _after_reserve(balance: Balance, bucket: str, cost: int = 1) -> Balance:
    if bucket == "free":
        return Balance(balance.free_left - 1, balance.free_quota, balance.paid, balance.resets_at)
    return Balance(balance.free_left, balance.free_quota, balance.paid - cost, balance.resets_at)

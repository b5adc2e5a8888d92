"""The quota and credit rules: free first, then paid, reserved atomically, settled exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing.credits import BillingError, Credits, Decision, JobSpec
from storage import Database, Duplicate, JobRepository, LedgerRepository, UserRepository

FP = "fp-ada"


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "c.db") as database:
        await UserRepository(database).seen(
            telegram_id=1,
            fingerprint=FP,
            first_name="Ada",
            username=None,
            language="en",
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
        yield database


def spec(prompt: str = "techno") -> JobSpec:
    return JobSpec(telegram_id=1, fingerprint=FP, chat_id=1, prompt=prompt, engine="mock", params={})


def credits(db: Database, clock: Clock, *, quota: int = 4, zone: str = "UTC", active: int = 100) -> Credits:
    return Credits(db, free_daily_quota=quota, zone=ZoneInfo(zone), clock=clock, max_active_jobs=active)


async def test_four_free_then_blocked_until_midnight_then_free_again(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 21, 22, 0, tzinfo=UTC))
    c = credits(db, clock)
    decisions = [(await c.admit(spec(), banned=False)).decision for _ in range(5)]
    assert decisions == [Decision.ALLOW_FREE] * 4 + [Decision.BLOCK_QUOTA]
    blocked = await c.admit(spec(), banned=False)
    assert blocked.job_id is None and blocked.balance.resets_at == datetime(2026, 11, 22, tzinfo=ZoneInfo("UTC"))
    clock.now = datetime(2026, 11, 22, 0, 0, 1, tzinfo=UTC)
    assert (await c.admit(spec(), banned=False)).decision is Decision.ALLOW_FREE


async def test_the_day_ends_at_midnight_in_the_quota_time_zone(db: Database) -> None:
    # 23:30 UTC is already 00:30 the next day in Berlin (UTC+1 in November).
    clock = Clock(datetime(2026, 11, 21, 22, 30, tzinfo=UTC))
    c = credits(db, clock, quota=1, zone="Europe/Berlin")
    assert (await c.admit(spec(), banned=False)).allowed
    assert not (await c.admit(spec(), banned=False)).allowed
    clock.now = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    assert (await c.admit(spec(), banned=False)).decision is Decision.ALLOW_FREE
    assert (await c.balance(FP)).resets_at == datetime(2026, 11, 23, tzinfo=ZoneInfo("Europe/Berlin"))


async def test_paid_credits_are_used_after_free_ones_and_jump_the_queue(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 21, 12, tzinfo=UTC))
    c = credits(db, clock, quota=1)
    assert await c.add_paid(FP, 2, kind="grant", reference="grant:1") == 2
    admitted = [await c.admit(spec(), banned=False) for _ in range(4)]
    assert [a.decision for a in admitted] == [
        Decision.ALLOW_FREE,
        Decision.ALLOW_PAID,
        Decision.ALLOW_PAID,
        Decision.BLOCK_QUOTA,
    ]
    jobs = JobRepository(db)
    free_job, paid_job = await jobs.get(admitted[0].job_id or 0), await jobs.get(admitted[1].job_id or 0)
    assert free_job is not None and paid_job is not None
    assert paid_job.priority > free_job.priority and paid_job.funding == "paid"


async def test_banned_and_busy_users_are_blocked_without_spending(db: Database) -> None:
    c = credits(db, Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)), active=1)
    assert (await c.admit(spec(), banned=True)).decision is Decision.BLOCK_BANNED
    first = await c.admit(spec(), banned=False)
    busy = await c.admit(spec(), banned=False)
    assert busy.decision is Decision.BLOCK_BUSY and busy.active_job_ids == (first.job_id,)
    assert (await c.balance(FP)).free_left == 3


async def test_release_returns_the_credit_once_and_commit_keeps_it_spent(db: Database) -> None:
    c = credits(db, Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)))
    failed, delivered = await c.admit(spec(), banned=False), await c.admit(spec(), banned=False)
    assert (await c.balance(FP)).free_left == 2
    assert await c.settle(failed.job_id or 0, "failed", error="engine down")
    assert not await c.settle(failed.job_id or 0, "failed"), "a second release changes nothing"
    assert not await c.settle(failed.job_id or 0, "delivered"), "nor a commit after a release"
    assert await c.settle(delivered.job_id or 0, "delivered")
    assert not await c.settle(delivered.job_id or 0, "canceled")
    assert (await c.balance(FP)).free_left == 3
    job = await JobRepository(db).get(failed.job_id or 0)
    assert job is not None and (job.status, job.error) == ("failed", "engine down")
    with pytest.raises(BillingError):
        await c.settle(999, "failed")


async def test_a_release_after_midnight_gives_back_the_day_it_was_taken_from(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 21, 23, 59, tzinfo=UTC))
    c = credits(db, clock, quota=1)
    job = await c.admit(spec(), banned=False)
    clock.now += timedelta(minutes=2)
    assert (await c.admit(spec(), banned=False)).allowed, "a new day, a new free credit"
    await c.settle(job.job_id or 0, "failed")
    assert (await c.balance(FP)).free_left == 0, "yesterday's release does not add to today"


async def test_fifty_concurrent_requests_never_get_more_jobs_than_credits(db: Database) -> None:
    c = credits(db, Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)))
    await c.add_paid(FP, 3, kind="grant")
    results = await asyncio.gather(*(c.admit(spec(f"p{i}"), banned=False) for i in range(50)))
    assert sum(r.allowed for r in results) == 7
    assert (await c.balance(FP)).paid == 0
    ledger = LedgerRepository(db)
    assert await ledger.balance(FP, "paid") == 0 and await ledger.balance(FP, "free") == -4


async def test_a_payment_reference_is_credited_once(db: Database) -> None:
    c = credits(db, Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)))
    await c.add_paid(FP, 10, kind="purchase", reference="stars:charge-1")
    with pytest.raises(Duplicate):
        await c.add_paid(FP, 10, kind="purchase", reference="stars:charge-1")
    assert (await c.balance(FP)).paid == 10


# --- models that cost more than one credit (issue 17) -------------------------------------------------------


def priced(cost: int, prompt: str = "song", lyrics: str | None = None) -> JobSpec:
    return JobSpec(
        telegram_id=1, fingerprint=FP, chat_id=1, prompt=prompt, engine="replicate", params={}, cost=cost, lyrics=lyrics
    )


async def test_two_models_of_different_price_one_from_the_free_quota_the_dearer_from_paid_credits(
    db: Database,
) -> None:
    c = credits(db, Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)), quota=2)
    await c.add_paid(FP, 3, kind="grant", reference="grant:1")

    cheap = await c.admit(priced(1), banned=False)
    dear = await c.admit(priced(2), banned=False)

    assert (cheap.decision, dear.decision) == (Decision.ALLOW_FREE, Decision.ALLOW_PAID)
    balance = await c.balance(FP)
    assert (balance.free_left, balance.paid) == (1, 1), "the quota counted one track; the dear one took 2 paid"
    assert dear.balance.paid == 1


async def test_a_dearer_model_never_uses_the_free_quota_and_is_refused_with_too_few_paid_credits(
    db: Database,
) -> None:
    c = credits(db, Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)), quota=4)
    await c.add_paid(FP, 1, kind="grant", reference="grant:1")

    refused = await c.admit(priced(2), banned=False)

    assert refused.decision is Decision.BLOCK_PAID_ONLY and refused.job_id is None
    balance = await c.balance(FP)
    assert (balance.free_left, balance.paid) == (4, 1), "nothing was taken"
    assert await JobRepository(db).count_for_user(1) == 0


async def test_a_failed_job_of_a_dearer_model_returns_every_credit_it_took_once(db: Database) -> None:
    c = credits(db, Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)))
    await c.add_paid(FP, 5, kind="grant", reference="grant:1")
    failed, delivered = await c.admit(priced(3), banned=False), await c.admit(priced(2), banned=False)
    assert (await c.balance(FP)).paid == 0

    assert await c.settle(failed.job_id or 0, "failed", error="vocal model crashed")
    assert not await c.settle(failed.job_id or 0, "failed")
    assert await c.settle(delivered.job_id or 0, "delivered")

    assert (await c.balance(FP)).paid == 3, (
        "all three credits of the failed job came back, the delivered two stay spent"
    )


async def test_lyrics_travel_with_the_job_exactly_as_written(db: Database) -> None:
    lyrics = "[verse]\nAdeus, Lisboa  \n\n[chorus]\nsaudade"
    c = credits(db, Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)))
    admitted = await c.admit(priced(1, lyrics=lyrics), banned=False)
    job = await JobRepository(db).get(admitted.job_id or 0)
    assert job is not None and job.lyrics == lyrics
    plain = await JobRepository(db).get((await c.admit(spec(), banned=False)).job_id or 0)
    assert plain is not None and plain.lyrics is None

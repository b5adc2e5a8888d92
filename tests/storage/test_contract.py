"""One contract, every backend: each storage operation behaves the same on SQLite and on PostgreSQL.

Modelled on aiogram's storage tests (one module, parametrised over every implementation): ``any_db`` is a fresh,
migrated database of each backend in turn (tests/conftest.py starts a throwaway PostgreSQL server).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing.credits import Credits, Decision, JobSpec
from storage import (
    Claim,
    Database,
    Duplicate,
    JobRepository,
    LedgerEntry,
    LedgerRepository,
    NewJob,
    NotFound,
    PaymentRepository,
    Refused,
    ReservationStore,
    Snapshot,
    StatsRepository,
    UserRepository,
)
from storage.backends import connect

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DAY = NOW.date().isoformat()
FP = "f" * 64


async def _user(db: Database, telegram_id: int = 1, fingerprint: str = FP) -> None:
    await UserRepository(db).seen(
        telegram_id=telegram_id, fingerprint=fingerprint, first_name="Ada", username=None, language="en", now=NOW
    )


def _job(prompt: str = "techno") -> NewJob:
    return NewJob(telegram_id=1, fingerprint=FP, chat_id=1, prompt=prompt, engine="mock", params={"bpm": 120})


def _paid_first(snapshot: Snapshot) -> Claim | None:
    return Claim("paid", 1, priority=1) if snapshot.own.paid >= 1 else None


async def test_users_are_recorded_once_and_counted_by_visit(any_db: Database) -> None:
    users = UserRepository(any_db)
    first, new = await users.seen(telegram_id=7, fingerprint=FP, first_name="A", username="a", language="en", now=NOW)
    again, repeat = await users.seen(
        telegram_id=7, fingerprint=FP, first_name="B", username=None, language="de", now=NOW + timedelta(hours=1)
    )
    assert (new, repeat) == (True, False)
    assert again.first_name == "B" and again.language == "de" and again.created_at == first.created_at
    assert await users.set_banned(7, True) and (await users.get(7)) is not None
    assert await users.reachable() == [] and await users.count() == 1


async def test_a_reservation_queues_the_job_and_holds_the_credit_until_settled(any_db: Database) -> None:
    await _user(any_db)
    store, ledger, jobs = ReservationStore(any_db), LedgerRepository(any_db), JobRepository(any_db)
    await store.move_paid(LedgerEntry(FP, "paid", "purchase", 2, NOW, reference="stars:c1"))
    snapshot, job_id = await store.reserve(_job(), quota_fingerprint=FP, day=DAY, now=NOW, decide=_paid_first)
    assert snapshot.own.paid == 2 and snapshot.active_job_ids == () and job_id is not None
    job = await jobs.get(job_id)
    assert job is not None and job.status == "queued" and job.funding == "paid" and job.params == {"bpm": 120}
    assert job.created_at == NOW and await ledger.balance(FP, "paid") == 1
    assert await store.settle(job_id, "failed", NOW, error="engine down") is True
    assert await store.settle(job_id, "failed", NOW) is False, "settled once"
    assert await ledger.balance(FP, "paid") == 2, "a failed job gives its credit back"
    assert [e.kind for e in await ledger.entries(FP)] == ["purchase", "reserve", "release"]
    with pytest.raises(NotFound):
        await store.settle(999, "delivered", NOW)


async def test_a_declined_reservation_writes_nothing(any_db: Database) -> None:
    await _user(any_db)
    store = ReservationStore(any_db)
    snapshot, job_id = await store.reserve(_job(), quota_fingerprint=FP, day=DAY, now=NOW, decide=_paid_first)
    assert job_id is None and snapshot.own.paid == 0
    assert await JobRepository(any_db).count_for_user(1) == 0 and await LedgerRepository(any_db).entries(FP) == []


async def test_the_ledger_refuses_update_and_delete_and_a_second_reference(any_db: Database) -> None:
    store, ledger = ReservationStore(any_db), LedgerRepository(any_db)
    await store.move_paid(LedgerEntry(FP, "paid", "purchase", 10, NOW, reference="stars:c1"))
    with pytest.raises(Duplicate):
        await store.move_paid(LedgerEntry(FP, "paid", "purchase", 10, NOW, reference="stars:c1"))
    for statement in ("UPDATE credit_ledger SET amount = 100", "DELETE FROM credit_ledger"):
        with pytest.raises(Refused, match="append-only"):
            await any_db.execute(statement)
    assert await ledger.balance(FP, "paid") == 10 and len(await ledger.entries(FP)) == 1


async def test_payments_and_stripe_events_are_recorded_once(any_db: Database) -> None:
    records = PaymentRepository(any_db)
    async with any_db.transaction() as conn:
        first = await records.insert(
            conn, provider="stars", external_id="ch-1", telegram_id=1, fingerprint=FP, pack_id="10", credits=10,
            amount=50, currency="XTR", now=NOW,
        )  # fmt: skip
        again = await records.insert(
            conn, provider="stars", external_id="ch-1", telegram_id=1, fingerprint=FP, pack_id="10", credits=10,
            amount=50, currency="XTR", now=NOW,
        )  # fmt: skip
        assert await records.record_event(conn, "evt_1", "checkout.session.completed", NOW) is True
        assert await records.record_event(conn, "evt_1", "checkout.session.completed", NOW) is False
    assert first is not None and again is None
    payment = await records.find("stars", "ch-1")
    assert payment is not None and payment.id == first and payment.created_at == NOW and payment.status == "paid"


async def test_the_queue_hands_out_paid_work_first_and_each_job_once(any_db: Database) -> None:
    await _user(any_db)
    store, jobs = ReservationStore(any_db), JobRepository(any_db)
    await store.move_paid(LedgerEntry(FP, "paid", "purchase", 5, NOW, reference="grant:1"))
    free = await store.queue_house(_job("free"), NOW)
    _, paid = await store.reserve(_job("paid"), quota_fingerprint=FP, day=DAY, now=NOW, decide=_paid_first)
    first, second = await jobs.claim_next("mock", NOW), await jobs.claim_next("mock", NOW)
    assert (first and first.id, second and second.id) == (paid, free), "paid work first"
    queued = {await store.queue_house(_job(f"j{n}"), NOW) for n in range(10)}
    claimed = await asyncio.gather(*(jobs.claim_next("mock", NOW) for _ in range(15)))
    ids = [job.id for job in claimed if job is not None]
    assert sorted(ids) == sorted(queued), "concurrent workers get each job exactly once"
    assert await jobs.count_by_status() == {"running": 12}


async def test_two_hundred_concurrent_requests_of_one_user_admit_exactly_the_credits_they_have(
    any_db: Database,
) -> None:
    await _user(any_db)
    credits = Credits(any_db, free_daily_quota=2, zone=ZoneInfo("UTC"), clock=lambda: NOW, max_active_jobs=1000)
    await credits.add_paid(FP, 5, kind="purchase", reference="stars:c1")
    spec = JobSpec(telegram_id=1, fingerprint=FP, chat_id=1, prompt="x", engine="mock", params={})
    results = await asyncio.gather(*(credits.admit(spec, banned=False) for _ in range(200)))
    decisions = [r.decision for r in results]
    assert decisions.count(Decision.ALLOW_FREE) == 2 and decisions.count(Decision.ALLOW_PAID) == 5
    assert decisions.count(Decision.BLOCK_QUOTA) == 193
    balance = await credits.balance(FP)
    assert (balance.free_left, balance.paid) == (0, 0)
    assert await JobRepository(any_db).count_for_user(1) == 7


async def test_one_event_from_two_replicas_at_once_is_credited_once(database_url: str, tmp_path: Path) -> None:
    """Two processes' connections (two ``Database`` objects) receive the same Stripe events at the same instant."""
    replicas = [await connect(database_url, tmp_path) for _ in range(2)]
    try:

        async def deliver(db: Database, event_id: str) -> bool:
            async with db.transaction() as conn:
                if not await PaymentRepository.record_event(conn, event_id, "checkout.session.completed", NOW):
                    return False
                await LedgerRepository.append(
                    conn, LedgerEntry(FP, "paid", "purchase", 10, NOW, reference=f"stripe:{event_id}")
                )
                return True

        outcomes = await asyncio.gather(*(deliver(db, f"evt_{n}") for n in range(20) for db in replicas))
        assert sum(outcomes) == 20, "each event credited by exactly one replica"
        assert await LedgerRepository(replicas[0]).balance(FP, "paid") == 200
    finally:
        for db in replicas:
            await db.close()


async def test_a_failed_transaction_leaves_nothing_behind(any_db: Database) -> None:
    await _user(any_db)
    store = ReservationStore(any_db)
    with pytest.raises(Duplicate):
        async with any_db.transaction() as conn:
            await LedgerRepository.append(conn, LedgerEntry(FP, "paid", "grant", 3, NOW, reference="g"))
            await LedgerRepository.append(conn, LedgerEntry(FP, "paid", "grant", 3, NOW, reference="g"))
    assert (await store.holdings(FP, DAY)).paid == 0


async def test_the_backend_names_itself_and_answers_a_ping(any_db: Database, database_url: str) -> None:
    assert any_db.backend == database_url.split(":", 1)[0]
    assert await any_db.ping() is True
    assert "@" not in any_db.location or ":***@" in any_db.location or "postgres@" in any_db.location


async def test_a_single_insert_returns_the_new_rows_id(any_db: Database) -> None:
    first = await any_db.execute(
        "INSERT INTO song_drafts (telegram_id, style, lyrics, offer, created_at) VALUES (?, ?, ?, ?, ?)",
        (1, "jazz", None, "mock", NOW.isoformat()),
    )
    second = await any_db.execute(
        "INSERT INTO song_drafts (telegram_id, style, lyrics, offer, created_at) VALUES (?, ?, ?, ?, ?)",
        (1, "folk", None, "mock", NOW.isoformat()),
    )
    assert first > 0 and second == first + 1
    assert await any_db.scalar("SELECT style FROM song_drafts WHERE id = ?", (second,)) == "folk"


async def test_stats_count_new_and_active_users_generations_and_genres(any_db: Database) -> None:
    users = UserRepository(any_db)
    await users.seen(telegram_id=1, fingerprint=FP, first_name="A", username=None, language="en", now=NOW)
    await users.seen(
        telegram_id=2, fingerprint="b" * 64, first_name="B", username=None, language="en", now=NOW - timedelta(days=3)
    )
    store = ReservationStore(any_db)
    await store.queue_house(_job("dark techno 128 bpm"), NOW)
    stats = await StatsRepository(any_db).snapshot(NOW + timedelta(hours=1))
    assert (stats.users_total, stats.users_new_24h, stats.active_24h, stats.active_7d) == (2, 1, 1, 2)
    assert stats.generations == {("mock", "queued"): 1} and stats.queue_depth == {"mock": 1}
    assert ("techno", 1) in stats.top_genres


async def test_percent_signs_and_question_marks_in_sql_literals_are_text(any_db: Database) -> None:
    await _user(any_db)
    assert await any_db.scalar("SELECT COUNT(*) FROM users WHERE first_name LIKE '%d%' AND ? = 1", (1,)) == 1
    assert await any_db.scalar("SELECT '50% off?' || ?", ("!",)) == "50% off?!"

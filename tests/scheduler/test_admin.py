"""The admin desk (scheduler.admin) and the support desk (scheduler.support) against a real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing import Credits
from scheduler.admin import MAX_GRANT, AdminDesk
from scheduler.support import SupportDesk
from storage import AuditRepository, Database, LedgerRepository, UserRepository

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
ADMIN, ADA, BOB, STRANGER = 1, 1001, 1002, 4242


def clock() -> datetime:
    return NOW


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "admin.db") as database:
        for uid, name in ((ADMIN, "Admin"), (ADA, "Ada"), (BOB, "Bob")):
            await UserRepository(database).seen(
                telegram_id=uid, fingerprint=f"fp-{uid}", first_name=name, username=None, language="en", now=NOW
            )
        yield database


@pytest.fixture
def desk(db: Database) -> AdminDesk:
    credits = Credits(db, free_daily_quota=4, zone=ZoneInfo("UTC"), clock=clock, max_active_jobs=1)
    return AdminDesk(db, users=UserRepository(db), credits=credits, admin_ids=frozenset({ADMIN}), clock=clock)


async def test_every_use_is_audited_with_who_what_and_when(desk: AdminDesk, db: Database) -> None:
    await desk.audit(ADMIN, "grant", "1001 5 contest")
    [entry] = await AuditRepository(db).recent()
    assert (entry.admin_id, entry.action, entry.arguments) == (ADMIN, "grant", "1001 5 contest")


async def test_a_grant_lands_in_the_ledger_once_with_who_gave_it(desk: AdminDesk, db: Database) -> None:
    granted = await desk.grant(ADA, 5, by=ADMIN, reason="contest winner")
    assert granted is not None and (granted.user.telegram_id, granted.balance) == (ADA, 5)
    [entry] = await LedgerRepository(db).entries("fp-1001")
    assert (entry.kind, entry.amount) == ("grant", 5) and entry.note == f"by {ADMIN}: contest winner"


async def test_a_grant_to_a_stranger_or_of_a_silly_amount_gives_nothing(desk: AdminDesk, db: Database) -> None:
    assert await desk.grant(STRANGER, 5, by=ADMIN, reason="") is None
    for amount in (0, -3, MAX_GRANT + 1):
        with pytest.raises(ValueError, match="grant"):
            await desk.grant(ADA, amount, by=ADMIN, reason="")
    assert await LedgerRepository(db).entries("fp-1001") == []


async def test_the_user_report_shows_balance_jobs_and_payments(desk: AdminDesk) -> None:
    await desk.grant(BOB, 3, by=ADMIN, reason="")
    report = await desk.user_report(BOB)
    assert report is not None
    assert (report.user.first_name, report.balance.paid, report.balance.free_left) == ("Bob", 3, 4)
    assert (report.jobs, report.payments) == ({}, [])
    assert await desk.user_report(STRANGER) is None


async def test_stats_count_the_users(desk: AdminDesk) -> None:
    stats = await desk.stats()
    assert (stats.users_total, stats.users_new_24h, stats.failure_rate) == (3, 3, 0.0)


async def test_a_ban_takes_the_user_out_of_broadcasts_until_lifted(desk: AdminDesk) -> None:
    assert await desk.set_banned(ADA, True)
    assert await desk.recipients() == [ADMIN, BOB]
    assert await desk.set_banned(ADA, False)
    assert await desk.recipients() == [ADMIN, ADA, BOB]
    assert not await desk.set_banned(STRANGER, True)


async def test_a_broadcast_is_decided_once_and_its_outcome_recorded(desk: AdminDesk) -> None:
    broadcast_id, reach = await desk.prepare_broadcast(ADMIN, "new engine is live")
    assert reach == 3
    record = await desk.decide_broadcast(broadcast_id, send=True)
    assert record is not None and record.text == "new engine is live"
    assert await desk.decide_broadcast(broadcast_id, send=False) is None, "a second press changes nothing"
    assert await desk.broadcast_counts(broadcast_id) == {None: 3}, "its recipients are written down at once"
    roll = desk.roll(broadcast_id)
    for outcome in ("sent", "sent", "blocked"):
        chat_id = await roll.take()
        assert chat_id is not None
        await roll.record(chat_id, outcome)  # type: ignore[arg-type]
    assert await roll.take() is None
    await desk.mark_blocked(BOB)
    done = await desk.finish_broadcast(broadcast_id)
    assert done is not None and (done.status, done.sent, done.blocked, done.failed) == ("done", 2, 1, 0)
    assert await desk.finish_broadcast(broadcast_id) is None, "finished once"
    assert await desk.recipients() == [ADMIN, ADA]
    assert desk.is_admin(ADMIN) and not desk.is_admin(ADA)


async def test_support_mode_is_taken_once_and_an_admin_copy_leads_back_to_its_writer(db: Database) -> None:
    support = SupportDesk(db, admin_ids=frozenset({ADMIN}), clock=clock)
    await support.open(ADA, "payment")
    assert await support.pending(ADA) == "payment"
    assert await support.take(ADA) == "payment"
    assert await support.take(ADA) is None, "of two racing messages, only one goes to support"
    await support.record_copy(ADMIN, 77, ADA)
    assert await support.author(ADMIN, 77) == ADA
    assert await support.author(ADMIN, 78) is None
    assert await support.recent_payments(ADA) == []
    assert support.is_admin(ADMIN) and not support.is_admin(ADA)

"""The admin desk (scheduler.admin) and the support desk (scheduler.support) against a real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing import Credits
from billing.referrals import Referrals
from scheduler.admin import MAX_GRANT, AdminDesk
from scheduler.api_keys import key_hash
from scheduler.outbox import PostReceipt, RecipientBlocked
from scheduler.support import SupportDesk
from storage import AuditRepository, Database, LedgerRepository, UserRepository
from storage.apikeys import ApiKeyRepository
from tests.scheduler.outboxes import MemoryOutbox

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


class RecordingOutbox(MemoryOutbox):
    """Records what a broadcast sends; one recipient has blocked the bot."""

    def __init__(self, blocked: int) -> None:
        super().__init__()
        self.blocked = blocked

    async def send_text(self, chat_id: int | str, text: str, *, html: bool = False) -> PostReceipt:
        if chat_id == self.blocked:
            raise RecipientBlocked(str(chat_id))
        return await super().send_text(chat_id, text, html=html)

    @property
    def sent(self) -> list[tuple[int | str, str]]:
        return [(chat, text) for chat, text, _ in self.texts]


async def test_a_confirmed_broadcast_goes_to_the_reachable_once_and_its_outcome_is_recorded(
    desk: AdminDesk, db: Database
) -> None:
    broadcast_id, _ = await desk.prepare_broadcast(ADMIN, "hello all")
    confirmed = await desk.confirm_broadcast(broadcast_id, send=True)
    assert confirmed is not None and confirmed.sending and confirmed.reach == 3
    assert await desk.confirm_broadcast(broadcast_id, send=True) is None, "a double tap sends once"
    outbox = RecordingOutbox(blocked=BOB)
    report, done = await desk.send_broadcast(outbox, confirmed.broadcast, per_second=1000)
    assert done is not None and (done.sent, done.blocked, done.failed) == (2, 1, 0)
    assert (report.sent, report.blocked, report.failed) == (2, 1, 0)
    assert sorted(outbox.sent) == [(ADMIN, "hello all"), (ADA, "hello all")]
    assert await desk.recipients() == [ADMIN, ADA], "who blocked the bot is skipped next time"
    row = await db.fetchone("SELECT status, sent, blocked FROM broadcasts WHERE id = ?", (broadcast_id,))
    assert row is not None and tuple(row) == ("done", 2, 1)


async def test_a_canceled_broadcast_reaches_nobody(desk: AdminDesk) -> None:
    broadcast_id, _ = await desk.prepare_broadcast(ADMIN, "never mind")
    confirmed = await desk.confirm_broadcast(broadcast_id, send=False)
    assert confirmed is not None and not confirmed.sending and confirmed.reach == 0


async def test_an_issued_api_key_is_stored_only_as_its_hash_and_can_be_revoked_once(
    desk: AdminDesk, db: Database
) -> None:
    key_id, key = await desk.issue_api_key(ADA, "mixer", by=ADMIN)
    stored = await ApiKeyRepository(db).active(key_hash(key))
    assert stored is not None and stored.id == key_id and stored.created_by == ADMIN
    assert not await db.scalar("SELECT COUNT(*) FROM api_keys WHERE key_hash = ?", (key,))
    assert [k.name for k in await desk.api_keys(ADA)] == ["mixer"]
    assert await desk.revoke_api_key(key_id)
    assert not await desk.revoke_api_key(key_id), "an already revoked key is not revoked again"
    assert (await desk.api_keys(ADA))[0].revoked_at == NOW


async def test_the_overview_counts_rewarded_invitations_only_when_the_desk_has_them(
    desk: AdminDesk, db: Database
) -> None:
    assert (await desk.overview()).referrals is None
    credits = Credits(db, free_daily_quota=4, zone=ZoneInfo("UTC"), clock=clock, max_active_jobs=1)
    referrals = Referrals(db, credits=2, clock=clock)
    counting = AdminDesk(
        db, users=UserRepository(db), credits=credits, admin_ids=frozenset({ADMIN}), clock=clock, referrals=referrals
    )
    overview = await counting.overview()
    assert overview.referrals == (0, 0) and overview.stats.users_total == 3
    assert await desk.engines() == [], "a desk without the queue has no engines to report"


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

"""A broadcast's progress lives in the database: a stopped sender is resumed without sending anyone twice, and two
senders (two bot replicas) share one broadcast. Both backends; the daily-run claim too."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from billing import Credits
from scheduler.admin import AdminDesk
from scheduler.broadcast import broadcast
from scheduler.outbox import PostReceipt, RecipientBlocked
from storage import DailyRunRepository, Database, UserRepository
from tests.scheduler.outboxes import MemoryOutbox

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
ADMIN = 1
PEOPLE = list(range(1000, 1040))
BLOCKER = 1007


def clock() -> datetime:
    return NOW


class StallingOutbox(MemoryOutbox):
    """Records every send; ``BLOCKER`` has blocked the bot; after ``stall_after`` sends, every send hangs."""

    def __init__(self, stall_after: int | None = None) -> None:
        super().__init__()
        self.sent: list[int] = []
        self.stall_after = stall_after
        self.stalled = asyncio.Event()

    async def send_text(self, chat_id: int | str, text: str, *, html: bool = False) -> PostReceipt:
        assert isinstance(chat_id, int)
        if self.stall_after is not None and len(self.sent) >= self.stall_after:
            self.stalled.set()
            await asyncio.Event().wait()  # the process "dies" here: the task is cancelled
        if chat_id == BLOCKER:
            raise RecipientBlocked("blocked")
        self.sent.append(chat_id)
        return PostReceipt(message_id=len(self.sent))


async def prepared(db: Database) -> tuple[AdminDesk, int]:
    users = UserRepository(db)
    for uid in [ADMIN, *PEOPLE]:
        await users.seen(
            telegram_id=uid, fingerprint=f"fp-{uid}", first_name="x", username=None, language="en", now=NOW
        )
    credits = Credits(db, free_daily_quota=4, zone=ZoneInfo("UTC"), clock=clock, max_active_jobs=1)
    desk = AdminDesk(db, users=users, credits=credits, admin_ids=frozenset({ADMIN}), clock=clock)
    broadcast_id, _ = await desk.prepare_broadcast(ADMIN, "news")
    assert await desk.decide_broadcast(broadcast_id, send=True) is not None
    return desk, broadcast_id


async def send(desk: AdminDesk, broadcast_id: int, outbox: StallingOutbox) -> None:
    await broadcast(outbox, desk.roll(broadcast_id), "news", per_second=1000, on_blocked=desk.mark_blocked)


async def test_a_stopped_broadcast_resumes_where_it_was_and_sends_nobody_twice(any_db: Database) -> None:
    desk, broadcast_id = await prepared(any_db)
    first = StallingOutbox(stall_after=12)
    task = asyncio.create_task(send(desk, broadcast_id, first))
    await first.stalled.wait()
    task.cancel()  # the process stops with a few sends in flight
    await asyncio.gather(task, return_exceptions=True)
    assert [b.id for b in await desk.unfinished_broadcasts()] == [broadcast_id]

    second = StallingOutbox()
    await send(desk, broadcast_id, second)
    done = await desk.finish_broadcast(broadcast_id)

    everyone = Counter(first.sent + second.sent)
    assert max(everyone.values()) == 1, "nobody got the message twice"
    assert set(first.sent).isdisjoint(second.sent) and len(second.sent) > 0
    assert done is not None and done.sent + done.blocked + done.failed == len(PEOPLE) + 1
    # Whoever was taken when the first sender stopped counts as failed (the message may or may not have gone out):
    # only the sends in flight, never repeated.
    assert 1 <= done.failed <= 8 and done.sent <= len(everyone) <= done.sent + done.failed
    assert await desk.unfinished_broadcasts() == []


async def test_two_senders_share_one_broadcast_and_only_one_reports(any_db: Database, database_url: str) -> None:
    desk, broadcast_id = await prepared(any_db)
    one, two = StallingOutbox(), StallingOutbox()
    await asyncio.gather(send(desk, broadcast_id, one), send(desk, broadcast_id, two))
    assert sorted(one.sent + two.sent) == sorted(p for p in [ADMIN, *PEOPLE] if p != BLOCKER)
    assert one.sent and two.sent, "both senders took part"
    finished = await asyncio.gather(desk.finish_broadcast(broadcast_id), desk.finish_broadcast(broadcast_id))
    assert sum(f is not None for f in finished) == 1, "one report"


async def test_a_daily_job_is_claimed_once_a_day(any_db: Database) -> None:
    runs = DailyRunRepository(any_db)
    day = date(2026, 11, 21)
    claims = await asyncio.gather(*(runs.claim("maintenance", day, NOW) for _ in range(4)))
    assert sorted(claims) == [False, False, False, True]
    assert await runs.claim("maintenance", date(2026, 11, 22), NOW)
    assert await runs.claim("other", day, NOW)

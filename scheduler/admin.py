"""The admin desk: what /stats, /user, /grant, /ban and /broadcast do, without Telegram.

The bot's admin handlers parse the command, call one method here and render the answer; every use is audited
first (``audit``). Who is an admin is the bot's concern (ADMIN_IDS filters the commands); the desk only keeps the
list for the broadcast button, which anyone could press on a forwarded message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from billing import Balance, Credits
from storage import (
    AuditRepository,
    BroadcastRepository,
    Database,
    PaymentRepository,
    StatsRepository,
    User,
    UserRepository,
)
from storage.broadcasts import Broadcast, Outcome
from storage.payments import Payment
from storage.stats import Stats, jobs_by_status

MAX_GRANT = 100_000  # credits one /grant may give: a typo's extra zeros are refused, not granted


@dataclass(frozen=True, slots=True)
class UserReport:
    """One user as /user shows them."""

    user: User
    balance: Balance
    jobs: dict[str, int]  # status → count
    payments: list[Payment]  # newest first


@dataclass(frozen=True, slots=True)
class Grant:
    """A granted user and their paid balance afterwards."""

    user: User
    balance: int


class AdminDesk:
    """Audit, statistics, user reports, grants, bans and broadcasts' bookkeeping."""

    def __init__(
        self,
        db: Database,
        *,
        users: UserRepository,
        credits: Credits,
        admin_ids: frozenset[int],
        clock: Callable[[], datetime],
    ) -> None:
        self._db, self._users, self._credits, self._clock = db, users, credits, clock
        self.admin_ids = admin_ids
        self._audit, self._broadcasts = AuditRepository(db), BroadcastRepository(db)

    def is_admin(self, telegram_id: int) -> bool:
        """Whether ``telegram_id`` is one of ADMIN_IDS."""
        return telegram_id in self.admin_ids

    async def audit(self, admin_id: int, action: str, arguments: str) -> None:
        """Write who did what, when, with which arguments."""
        await self._audit.record(admin_id, action, arguments, self._clock())

    async def stats(self) -> Stats:
        """Users, generations, revenue, cost, queue depth and genres, as of now."""
        return await StatsRepository(self._db).snapshot(self._clock())

    async def user_report(self, telegram_id: int, *, payments: int = 5) -> UserReport | None:
        """The user's balance, jobs by status and latest payments; None for someone the bot never met."""
        user = await self._users.get(telegram_id)
        if user is None:
            return None
        balance = await self._credits.balance(user.fingerprint)
        jobs = await jobs_by_status(self._db, telegram_id)
        recent = await PaymentRepository(self._db).for_user(telegram_id, limit=payments)
        return UserReport(user, balance, jobs, recent)

    async def grant(self, telegram_id: int, amount: int, *, by: int, reason: str) -> Grant | None:
        """Give ``amount`` paid credits (ledger kind ``grant``); None for an unknown user.

        ``ValueError`` when the amount is outside 1..MAX_GRANT."""
        if not 1 <= amount <= MAX_GRANT:
            raise ValueError(f"a grant is 1 to {MAX_GRANT} credits, not {amount}")
        user = await self._users.get(telegram_id)
        if user is None:
            return None
        balance = await self._credits.add_paid(user.fingerprint, amount, kind="grant", note=f"by {by}: {reason}")
        return Grant(user, balance)

    async def set_banned(self, telegram_id: int, banned: bool) -> bool:
        """Ban or unban; False for an unknown user."""
        return await self._users.set_banned(telegram_id, banned)

    async def prepare_broadcast(self, admin_id: int, text: str) -> tuple[int, int]:
        """Store a broadcast awaiting confirmation; its id and how many people it would reach now."""
        broadcast_id = await self._broadcasts.create(admin_id, text, self._clock())
        return broadcast_id, len(await self._users.reachable())

    async def decide_broadcast(self, broadcast_id: int, send: bool) -> Broadcast | None:
        """Move a prepared broadcast to sending or canceled, once: None when it was already decided."""
        return await self._broadcasts.claim(broadcast_id, "sending" if send else "canceled")

    async def recipients(self) -> list[int]:
        """Everyone a broadcast reaches: not banned, not known to have blocked the bot."""
        return await self._users.reachable()

    async def mark_blocked(self, telegram_id: int) -> None:
        """Remember that the person blocked the bot (a broadcast found out)."""
        await self._users.mark_blocked(telegram_id, self._clock())

    async def broadcast_counts(self, broadcast_id: int) -> dict[str | None, int]:
        """A broadcast's recipients by outcome so far (None: not tried yet)."""
        return await self._broadcasts.outcomes(broadcast_id)

    async def unfinished_broadcasts(self) -> list[Broadcast]:
        """Confirmed broadcasts still being sent (or left half-sent by a process that stopped)."""
        return await self._broadcasts.sending()

    def roll(self, broadcast_id: int) -> StoredRoll:
        """The recipients of a confirmed broadcast as the database records them: any process can carry on."""
        return StoredRoll(self._broadcasts, broadcast_id)

    async def finish_broadcast(self, broadcast_id: int) -> Broadcast | None:
        """Record that a broadcast is done, with its counts; None when another sender recorded it first."""
        return await self._broadcasts.finish(broadcast_id, self._clock())


class StoredRoll:
    """A :class:`scheduler.broadcast.Roll` kept in ``broadcast_recipients``."""

    def __init__(self, repo: BroadcastRepository, broadcast_id: int) -> None:
        self._repo, self._id = repo, broadcast_id

    async def take(self) -> int | None:
        """The next recipient nobody has tried yet (taken in the database first, so it is never sent twice)."""
        return await self._repo.take(self._id)

    async def record(self, chat_id: int, outcome: Outcome) -> None:
        """Write down how sending to ``chat_id`` went."""
        await self._repo.record(self._id, chat_id, outcome)

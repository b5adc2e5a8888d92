"""The admin desk: what /stats, /user, /grant, /ban, /broadcast, /engine and /apikey do, without Telegram.

The bot's admin handlers parse the command (``bot.admin_args``), call one method here and render the answer;
every use is audited first (``audit``). Who is an admin is the bot's concern (ADMIN_IDS filters the commands); the
desk only keeps the list for the broadcast button, which anyone could press on a forwarded message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from billing import Balance, Credits
from billing.referrals import Referrals
from engines.base import EngineHealth, ModelInfo
from scheduler.api_keys import issue_key
from scheduler.broadcast import BroadcastReport, broadcast
from scheduler.outbox import Outbox
from scheduler.queue import GenerationQueue
from storage import (
    AuditRepository,
    BroadcastRepository,
    Database,
    PaymentRepository,
    StatsRepository,
    User,
    UserRepository,
)
from storage.apikeys import ApiKey, ApiKeyRepository
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


@dataclass(frozen=True, slots=True)
class Overview:
    """What /stats shows: the statistics, and the invitations rewarded (None without invitations)."""

    stats: Stats
    referrals: tuple[int, int] | None  # rewarded invitations, credits they paid


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A broadcast the admin decided: sent to ``reach`` people (recorded in the database) when ``sending``, else
    canceled."""

    broadcast: Broadcast
    sending: bool
    reach: int  # 0 when canceled


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """One engine as /engine shows it."""

    name: str
    health: EngineHealth
    models: Sequence[ModelInfo]
    workers: int
    queued: int


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
        queue: GenerationQueue | None = None,
        referrals: Referrals | None = None,
    ) -> None:
        """``queue``: the engines /engine reports on (none without it); ``referrals``: /stats counts rewarded
        invitations when given."""
        self._db, self._users, self._credits, self._clock = db, users, credits, clock
        self.admin_ids = admin_ids
        self._queue, self._referrals = queue, referrals
        self._audit, self._broadcasts = AuditRepository(db), BroadcastRepository(db)
        self._api_keys = ApiKeyRepository(db)

    def is_admin(self, telegram_id: int) -> bool:
        """Whether ``telegram_id`` is one of ADMIN_IDS."""
        return telegram_id in self.admin_ids

    async def audit(self, admin_id: int, action: str, arguments: str) -> None:
        """Write who did what, when, with which arguments."""
        await self._audit.record(admin_id, action, arguments, self._clock())

    async def stats(self) -> Stats:
        """Users, generations, revenue, cost, queue depth and genres, as of now."""
        return await StatsRepository(self._db).snapshot(self._clock())

    async def overview(self) -> Overview:
        """The statistics as of now, and the rewarded invitations when the desk counts them."""
        referrals = await self._referrals.rewarded() if self._referrals is not None else None
        return Overview(await self.stats(), referrals)

    async def engines(self) -> list[EngineStatus]:
        """Each engine the queue runs: its health (asked now), models, workers and queued jobs."""
        if self._queue is None:
            return []
        depth = await self._queue.jobs.queue_depth()
        return [
            EngineStatus(name, await engine.health(), engine.models(), self._queue.workers(name), depth.get(name, 0))
            for name, engine in self._queue.engines.items()
        ]

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

    async def confirm_broadcast(self, broadcast_id: int, send: bool) -> Confirmed | None:
        """Send (``send``) or cancel a prepared broadcast, once: who it goes to; None when already decided."""
        record = await self.decide_broadcast(broadcast_id, send)
        if record is None:
            return None
        reach = (await self.broadcast_counts(broadcast_id)).get(None, 0) if send else 0
        return Confirmed(record, send, reach)

    async def send_broadcast(
        self, outbox: Outbox, record: Broadcast, *, per_second: float = 28.0
    ) -> tuple[BroadcastReport, Broadcast | None]:
        """Send a confirmed broadcast through ``outbox`` to whoever its stored roll still has (so a restart, or
        another replica, carries on where it stopped), marking who blocked the bot. This run's report, and the
        finished record with its totals — None when another sender finished it first."""
        report = await broadcast(
            outbox, self.roll(record.id), record.text, per_second=per_second, on_blocked=self.mark_blocked
        )
        return report, await self.finish_broadcast(record.id)

    async def issue_api_key(self, owner_id: int, name: str, *, by: int) -> tuple[int, str]:
        """A new API key for ``owner_id``: its id and the key itself, shown once and never stored."""
        return await issue_key(self._api_keys, owner_id=owner_id, name=name, admin_id=by, now=self._clock())

    async def revoke_api_key(self, key_id: int) -> bool:
        """Revoke an active key; False when there is no such active key."""
        return await self._api_keys.revoke(key_id, self._clock())

    async def api_keys(self, owner_id: int) -> list[ApiKey]:
        """Every key issued to ``owner_id``, newest first, revoked ones included."""
        return await self._api_keys.for_owner(owner_id)

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

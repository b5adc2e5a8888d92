"""Broadcasts in the background: sent through Telegram, recorded as they go, resumed after a restart.

A confirmed broadcast keeps its recipients and each one's outcome in the database (``scheduler.admin.StoredRoll``),
so this object holds nothing a restart would lose: :meth:`resume` at start-up carries on with every broadcast a
stopped process left half-sent, skipping whoever was already tried. Two replicas sending the same broadcast share
its recipients (each is taken in the database first), and only the one that finishes it reports to the admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot

from bot.outbox import TelegramOutbox
from bot.texts import Texts
from scheduler.admin import AdminDesk
from storage import Broadcast, UserRepository

log = logging.getLogger(__name__)
#: Telegram's limit for one bot is about 30 messages a second; a broadcast keeps a little under it.
BROADCAST_PER_SECOND = 28.0


class Broadcasts:
    """Starts, resumes and (at shutdown) stops the sending of confirmed broadcasts."""

    def __init__(
        self, bot: Bot, desk: AdminDesk, users: UserRepository, texts: Texts, *, rate_share: float = 1.0
    ) -> None:
        self._bot, self._desk, self._users, self._texts = bot, desk, users, texts
        self._per_second = BROADCAST_PER_SECOND * rate_share  # this replica's share of Telegram's limit
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, record: Broadcast) -> None:
        """Send a confirmed broadcast in the background; the admin gets the report when it is done."""
        task = asyncio.create_task(self._send(record), name=f"broadcast-{record.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume(self) -> int:
        """Carry on with every broadcast a stopped process left unfinished; returns how many."""
        unfinished = await self._desk.unfinished_broadcasts()
        for record in unfinished:
            log.info("resuming broadcast #%s where it stopped", record.id)
            self.start(record)
        return len(unfinished)

    async def stop(self) -> None:
        """Stop sending (what is left stays recorded for the next start)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def idle(self) -> None:
        """Wait until every broadcast in progress here is done (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _send(self, record: Broadcast) -> None:
        try:
            report, done = await self._desk.send_broadcast(
                TelegramOutbox(self._bot), record, per_second=self._per_second
            )
            if done is None:
                return  # another replica finished it and reported
            admin = await self._users.get(done.admin_id)
            text = self._texts.get(
                admin.language if admin else None,
                "admin.broadcast_report",
                seconds=f"{report.seconds:.1f}",  # this run's (a resumed broadcast: since it resumed)
                sent=done.sent,
                blocked=done.blocked,
                failed=done.failed,
            )
            await self._bot.send_message(done.admin_id, text)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("broadcast #%s stopped; a restart resumes it", record.id)

"""The bot's pending updates and ``getUpdates`` semantics: offsets confirm, long polls wait, newer polls win.

Telegram keeps updates until the bot confirms them by asking with a higher ``offset``; a negative offset keeps
only the last ``-offset`` updates. A poll with nothing to return is held up to ``timeout`` seconds and answered
as soon as an update arrives. A second poll terminates the first with 409 Conflict, as Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from standin.records import JSON, ApiError

# Telegram's default when allowed_updates is empty: every kind except these three.
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_TERMINATED = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


class UpdateQueue:
    """Pending updates for one bot, in update_id order."""

    def __init__(self) -> None:
        self._pending: list[JSON] = []
        self._ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self._poll_generation = 0
        self._closed = False
        self.allowed_updates: list[str] = []
        self.held_polls = 0  # polls waiting for an update right now: tests wait for this instead of sleeping

    @property
    def pending(self) -> list[JSON]:
        """The updates not yet confirmed (a copy)."""
        return list(self._pending)

    def put(self, kind: str, payload: JSON) -> JSON:
        """Queue an update of ``kind`` (``message``, ``callback_query``...) and wake a waiting poll."""
        update = {"update_id": next(self._ids), kind: payload}
        self._pending.append(update)
        self._arrived.set()
        return update

    def drop_pending(self) -> None:
        """Forget every pending update (``drop_pending_updates``)."""
        self._pending.clear()

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last ``-offset`` updates."""
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    async def poll(self, offset: int, limit: int, wait: float, allowed: list[str] | None) -> list[JSON]:
        """Return up to ``limit`` updates from ``offset``, waiting up to ``wait`` s; 409 if superseded."""
        if allowed is not None:
            self.allowed_updates = allowed
        self._poll_generation += 1
        generation = self._poll_generation
        self.interrupt()  # an older poll still waiting wakes up and answers 409
        self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(wait, 0)
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _TERMINATED)
            self._pending = [u for u in self._pending if self._allowed(u)]
            if self._pending or loop.time() >= deadline or self._closed:
                return self._pending[: max(1, min(limit, 100))]
            self._arrived.clear()
            self.held_polls += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), deadline - loop.time())
            finally:
                self.held_polls -= 1

    def interrupt(self) -> None:
        """Wake waiting polls, e.g. because a newer poll arrived or the server stops."""
        self._arrived.set()

    def close(self) -> None:
        """Answer held polls at once from now on (the server is stopping)."""
        self._closed = True
        self.interrupt()

    def reopen(self) -> None:
        """Hold polls again (the server is serving again after a restart)."""
        self._closed = False

    def _allowed(self, update: JSON) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _NOT_BY_DEFAULT

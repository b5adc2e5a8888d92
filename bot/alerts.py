"""Errors reported to the admins (``ADMIN_IDS``) in their chat: the trace id and the exception type, nothing more.

Rate-limited so an outage does not flood them: at most ``limit`` reports per ``window_s``; errors beyond that are
counted, and when the window closes one summary says how many were not reported. The text never carries the
exception's message (it may hold user data or secrets): the trace id leads to the full record in the logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from bot.texts import Texts

log = logging.getLogger(__name__)

#: Sends one text to one chat; Telegram errors are the caller's to log.
Send = Callable[[int, str], Coroutine[Any, Any, object]]

REPORT_LIMIT = 3
REPORT_WINDOW_S = 300.0


class AdminAlerts:
    """Tells the admins about unhandled errors, at most ``limit`` times per ``window_s``, then a summary."""

    def __init__(
        self,
        send: Send,
        texts: Texts,
        admin_ids: Iterable[int],
        *,
        limit: int = REPORT_LIMIT,
        window_s: float = REPORT_WINDOW_S,
    ) -> None:
        self._send, self._texts, self.admin_ids = send, texts, tuple(sorted(admin_ids))
        self.limit, self.window_s = limit, window_s
        self._sent_at: deque[float] = deque()
        self.suppressed = 0
        self._summary: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def report(self, trace_id: str, error: BaseException | None) -> None:
        """Report one error without waiting; returns at once (sending happens in the background)."""
        if not self.admin_ids:
            return
        now = time.monotonic()
        while self._sent_at and now - self._sent_at[0] >= self.window_s:
            self._sent_at.popleft()
        if len(self._sent_at) >= self.limit:
            self.suppressed += 1
            if self._summary is None:
                wait = self._sent_at[0] + self.window_s - now
                self._summary = asyncio.create_task(self._summarise_after(wait), name="admin-alert-summary")
            return
        self._sent_at.append(now)
        kind = type(error).__name__ if error is not None else "unknown"
        self._spawn(self._tell("admin.error_report", trace_id=trace_id, error_type=kind))

    async def aclose(self) -> None:
        """Send the pending summary now and wait for reports still being sent (at shutdown)."""
        if self._summary is not None:
            self._summary.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._summary
            self._summary = None
            await self._flush_summary()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _summarise_after(self, wait: float) -> None:
        await asyncio.sleep(max(0.0, wait))
        self._summary = None
        await self._flush_summary()

    async def _flush_summary(self) -> None:
        count, self.suppressed = self.suppressed, 0
        if count:
            self._sent_at.append(time.monotonic())  # the summary is a report too: it opens the next window
            minutes = max(1, round(self.window_s / 60))
            await self._tell("admin.errors_suppressed", count=count, minutes=minutes)

    def _spawn(self, call: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(call)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tell(self, key: str, **values: object) -> None:
        text = self._texts.get(None, key, **values)
        for admin_id in self.admin_ids:
            try:
                await self._send(admin_id, text)
            except Exception as exc:  # an admin who blocked the bot, or Telegram down: the log has it all
                log.warning("could not report an error to admin %s (%s)", admin_id, type(exc).__name__)

"""Broadcasts: one text to every reachable user, within Telegram's limits, with a final report.

The pace stays under Telegram's ~30 messages per second for a bot; a recipient who blocked the bot is marked and
skipped next time; a 429 pauses the whole broadcast for ``retry_after`` and retries the same recipient.

Who is still to be sent comes from a :class:`Roll`: a plain list for a one-off, or the database's record of a
confirmed broadcast (``scheduler.admin.StoredRoll``), which lets another process resume it where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from scheduler.outbox import Outbox, RecipientBlocked, SendRetryable

log = logging.getLogger(__name__)
MAX_RETRIES = 3


Outcome = Literal["sent", "blocked", "failed"]


class Roll(Protocol):
    """The recipients of one broadcast and what happened to each. Shared by the concurrent senders."""

    async def take(self) -> int | None:
        """The next recipient nobody has tried yet, now taken (no other sender gets them); None when done."""
        ...

    async def record(self, chat_id: int, outcome: Outcome) -> None:
        """How sending to ``chat_id`` went."""
        ...


class ListRoll:
    """A roll over a list in memory (a one-off broadcast nobody resumes)."""

    def __init__(self, recipients: Sequence[int]) -> None:
        self._left = list(reversed(recipients))

    async def take(self) -> int | None:
        """The next recipient in list order."""
        return self._left.pop() if self._left else None

    async def record(self, chat_id: int, outcome: Outcome) -> None:
        """Nothing to keep: the report counts outcomes."""


@dataclass(frozen=True, slots=True)
class BroadcastReport:
    """How a broadcast went."""

    sent: int
    blocked: int
    failed: int
    seconds: float

    @property
    def rate(self) -> float:
        """Messages attempted per second."""
        return (self.sent + self.blocked + self.failed) / self.seconds if self.seconds else 0.0


class Pacer:
    """Spaces calls ``1 / per_second`` apart (a leaky bucket without bursts)."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._turn = asyncio.Lock()

    async def wait(self) -> float:
        """Sleep until the next free slot; returns that slot (``time.monotonic``).

        Senders sharing the pacer take turns: had each slept before claiming, they would all wake at the same slot
        and send in a burst (which Telegram's flood control answers with 429). The slot after this one is counted
        from when this sender actually woke, so a stalled event loop (a busy machine) delays sends but never lets
        several overdue ones go together.
        """
        async with self._turn:
            now = time.monotonic()
            slot = max(now, self._next)
            if slot > now:
                await asyncio.sleep(slot - now)
            self._next = max(slot, time.monotonic()) + self._interval
            return slot

    def pause(self, seconds: float) -> None:
        """Push every later slot back by ``seconds`` (after a 429)."""
        self._next = max(self._next, time.monotonic()) + seconds


async def broadcast(
    outbox: Outbox,
    recipients: Sequence[int] | Roll,
    text: str,
    *,
    per_second: float = 28.0,
    on_blocked: Callable[[int], Awaitable[None]],
    concurrency: int = 8,
) -> BroadcastReport:
    """Send ``text`` to every recipient the roll still has; returns this run's sent / blocked / failed counts."""
    pacer, started = Pacer(per_second), time.monotonic()
    counts = {"sent": 0, "blocked": 0, "failed": 0}
    roll = ListRoll(recipients) if isinstance(recipients, Sequence) else recipients
    senders = min(concurrency, len(recipients)) if isinstance(recipients, Sequence) else concurrency

    async def worker() -> None:
        # The slot first, then the recipient: a sender stopped while waiting for its slot has taken nobody, so a
        # stop loses (counts as failed, never repeats) only the sends actually in flight.
        while True:
            await pacer.wait()
            chat_id = await roll.take()
            if chat_id is None:
                return
            outcome = await _deliver(outbox, pacer, chat_id, text, on_blocked)
            await roll.record(chat_id, outcome)
            counts[outcome] += 1

    # A few sends in flight keep the pace even when Telegram answers slowly; the pacer caps the rate.
    await asyncio.gather(*(worker() for _ in range(max(1, senders))))
    report = BroadcastReport(counts["sent"], counts["blocked"], counts["failed"], time.monotonic() - started)
    log.info(
        "broadcast done: %s sent, %s blocked, %s failed in %.1f s (%.1f/s)",
        report.sent,
        report.blocked,
        report.failed,
        report.seconds,
        report.rate,
    )
    return report


async def _deliver(
    outbox: Outbox, pacer: Pacer, chat_id: int, text: str, on_blocked: Callable[[int], Awaitable[None]]
) -> Outcome:
    for attempt in range(MAX_RETRIES + 1):
        if attempt:  # the first attempt has its slot already
            await pacer.wait()
        try:
            await outbox.send_text(chat_id, text)
            return "sent"
        except RecipientBlocked:
            await on_blocked(chat_id)
            return "blocked"
        except SendRetryable as exc:
            if exc.retry_after is None:  # a 5xx or a refused connection: counted as failed, not retried
                log.warning("broadcast to %s failed: %s", chat_id, exc)
                return "failed"
            log.warning("broadcast rate-limited: pausing %.1f s", exc.retry_after)
            pacer.pause(exc.retry_after)
        except Exception as exc:
            log.warning("broadcast to %s failed: %s", chat_id, type(exc).__name__)
            return "failed"
    return "failed"

"""Broadcast pacing: concurrent senders sharing a pacer are spread out, never bunched into a burst.

The bug this pins: each sender slept until the same free slot before claiming it, so eight senders woke together
and sent eight messages at once — against a 30 msg/s flood limit, 99 × 429 in a 1 000-user broadcast.
"""

from __future__ import annotations

import asyncio
import time

from scheduler.broadcast import Pacer, broadcast


async def test_concurrent_waiters_get_distinct_evenly_spaced_slots() -> None:
    pacer, woke, pace = Pacer(per_second=50), [], 0.020
    started = time.monotonic()

    async def sender() -> None:
        for _ in range(5):
            await pacer.wait()
            woke.append(time.monotonic())

    await asyncio.gather(*(sender() for _ in range(8)))
    # The k-th send never comes before its own slot, k paces after the start. (A busy machine can only wake senders
    # late, which may bring two together; waking early, as senders sharing one slot did, is the burst.)
    early = [(k, round((t - started) * 1000, 1)) for k, t in enumerate(sorted(woke)) if t - started < k * pace - 0.001]
    assert not early, f"senders bunched ahead of a 20 ms pace (k, ms after start): {early[:5]}"


async def test_a_broadcast_never_exceeds_its_pace_in_any_second() -> None:
    sent: list[float] = []

    class Messenger:
        async def send_text(self, chat_id: int, text: str) -> None:
            sent.append(time.monotonic())

    async def never(chat_id: int) -> None:
        raise AssertionError

    report = await broadcast(Messenger(), list(range(60)), "hi", per_second=40, on_blocked=never)
    assert report.sent == 60
    busiest = max(sum(1 for t in sent if s <= t < s + 1.0) for s in sent)
    assert busiest <= 41

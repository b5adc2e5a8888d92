"""Broadcast pacing: concurrent senders sharing a pacer are spread out, never bunched into a burst.

The bug this pins: each sender slept until the same free slot before claiming it, so eight senders woke together
and sent eight messages at once — against a 30 msg/s flood limit, 99 × 429 in a 1 000-user broadcast.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from scheduler.broadcast import Pacer, broadcast
from scheduler.outbox import PostReceipt
from tests.scheduler.outboxes import MemoryOutbox


async def test_concurrent_waiters_get_distinct_evenly_spaced_slots() -> None:
    # Judged on the slots the pacer hands out, not on wake-up times: on a loaded machine the event loop may wake two
    # senders late and together whatever the pacer does, while the slots show whether it spaced them.
    pacer, slots = Pacer(per_second=50), []

    async def sender() -> None:
        for _ in range(5):
            slot = await pacer.wait()
            assert time.monotonic() >= slot, "a sender went before its slot"
            slots.append(slot)

    await asyncio.gather(*(sender() for _ in range(8)))
    ordered = sorted(slots)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    assert len(slots) == 40
    assert min(gaps) >= 0.02 - 1e-9, f"senders bunched: smallest gap {min(gaps) * 1000:.1f} ms for a 20 ms pace"


async def test_a_stalled_loop_never_releases_overdue_senders_together() -> None:
    # A busy machine can stall the event loop past several slots; the senders then waiting must still go one pace
    # apart, not all at once. (Load only delays wake-ups, so it can only widen the gaps asserted here.)
    pacer, woke = Pacer(per_second=50), []

    async def sender() -> None:
        for _ in range(3):
            await pacer.wait()
            woke.append(time.monotonic())

    senders = [asyncio.create_task(sender()) for _ in range(4)]
    await asyncio.sleep(0)  # every sender is now waiting its turn
    time.sleep(0.2)  # noqa: ASYNC251 - stalling the loop on purpose: ten slots go by
    await asyncio.gather(*senders)
    gaps = [b - a for a, b in itertools.pairwise(sorted(woke))]
    assert min(gaps) >= 0.02 - 0.001, f"overdue senders went together: smallest gap {min(gaps) * 1000:.1f} ms"


async def test_a_broadcast_never_exceeds_its_pace_in_any_second() -> None:
    sent: list[float] = []

    class TimingOutbox(MemoryOutbox):
        async def send_text(self, chat_id: int | str, text: str, *, html: bool = False) -> PostReceipt:
            sent.append(time.monotonic())
            return await super().send_text(chat_id, text, html=html)

    async def never(chat_id: int) -> None:
        raise AssertionError

    report = await broadcast(TimingOutbox(), list(range(60)), "hi", per_second=40, on_blocked=never)
    assert report.sent == 60
    busiest = max(sum(1 for t in sent if s <= t < s + 1.0) for s in sent)
    assert busiest <= 41

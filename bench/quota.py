"""Quota decisions: ``Credits.admit`` from 200 concurrent requests, decisions per second and over-grants.

Baseline, same database settings, same run: single-statement ``INSERT`` s through ``Database.execute`` from the
same 200 concurrent tasks, the cheapest write the database layer can do. An admission is one ``BEGIN IMMEDIATE``
transaction (balance read, active jobs, job insert, ledger row); its ceiling is the single writer connection.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.harness import Figure, median
from billing import Credits, Decision, JobSpec
from storage import Database, UserRepository
from storage.backends import connect

CONCURRENCY = 200
DECISIONS = 4000
FINGERPRINTS = 400  # each may take FREE free credits + PAID paid ones; everything beyond must be refused
FREE, PAID = 4, 2
ROUNDS = 3


async def admissions(url: str, data_dir: Path, decisions: int = DECISIONS) -> tuple[float, int]:
    """Decisions per second and over-grants for one round on a fresh database at ``url`` (``sqlite:///…`` or
    ``postgresql://…``, as ``DATABASE_URL``); bench/backends.py runs the same round on both backends."""
    clock = lambda: datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # noqa: E731 - a fixed moment
    db = await connect(url, data_dir)
    try:
        credits = Credits(db, free_daily_quota=FREE, zone=ZoneInfo("UTC"), clock=clock, max_active_jobs=10**6)
        users = UserRepository(db)
        for n in range(FINGERPRINTS):
            await users.seen(
                telegram_id=n, fingerprint=f"fp-{n}", first_name="U", username=None, language="en", now=clock()
            )
            await credits.add_paid(f"fp-{n}", PAID, kind="grant")
        granted: Counter[str] = Counter()
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(decisions):
            queue.put_nowait(index)

        async def requester() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                user = index % FINGERPRINTS
                spec = JobSpec(user, f"fp-{user}", user, "bench", "mock", {})
                admission = await credits.admit(spec, banned=False)
                if admission.decision in (Decision.ALLOW_FREE, Decision.ALLOW_PAID):
                    granted[spec.fingerprint] += 1

        started = time.perf_counter()
        await asyncio.gather(*(requester() for _ in range(CONCURRENCY)))
        rate = decisions / (time.perf_counter() - started)
        over = sum(max(0, count - FREE - PAID) for count in granted.values())
        negative = await db.scalar(
            "SELECT COUNT(*) FROM (SELECT fingerprint FROM credit_ledger WHERE bucket = 'paid' "
            "GROUP BY fingerprint HAVING SUM(amount) < 0) AS below_zero"
        )
        return rate, over + int(negative or 0)
    finally:
        await db.close()


async def _inserts(path: Path) -> float:
    """Single-statement INSERTs per second from the same number of concurrent tasks."""
    async with await Database.open(path) as db:
        await db.executescript("CREATE TABLE bench (id INTEGER PRIMARY KEY, fingerprint TEXT, at TEXT)")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(DECISIONS):
            queue.put_nowait(index)

        async def writer() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                await db.execute("INSERT INTO bench (fingerprint, at) VALUES (?, ?)", (f"fp-{index}", "now"))

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(CONCURRENCY)))
        return DECISIONS / (time.perf_counter() - started)


async def measure() -> Figure:
    """The quota figure: median of ROUNDS rounds each, admissions and inserts alternating."""
    rates, inserts, over = [], [], 0
    with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as tmp:
        for round_ in range(ROUNDS):
            rate, over_granted = await admissions(f"sqlite:///{Path(tmp) / f'quota-{round_}.db'}", Path(tmp))
            rates.append(rate)
            over += over_granted
            inserts.append(await _inserts(Path(tmp) / f"insert-{round_}.db"))
    rate = median(rates)
    return Figure(
        "quota decisions/s, 200 concurrent requests; over-grants",
        f"{rate:,.0f}/s; {over} over-grants",
        f"single-statement INSERT loop: {median(inserts):,.0f}/s",
        "≥ 2 000/s, 0",
        rate >= 2000 and over == 0,
        [
            f"{DECISIONS} `Credits.admit` calls over {FINGERPRINTS} fingerprints entitled to {FREE} free + {PAID} paid "
            f"each (so {DECISIONS - FINGERPRINTS * (FREE + PAID)} must be refused), median of {ROUNDS} rounds; "
            "over-grants counted from the decisions and from the ledger (no paid balance below 0)"
        ],
    )


def main() -> None:
    """Print the figure (``python -m bench.quota``)."""
    print(asyncio.run(measure()))


if __name__ == "__main__":
    main()

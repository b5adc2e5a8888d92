"""SQLite and PostgreSQL side by side: quota decisions/s and end-to-end generations/s with the mock engine.

One run starts a throwaway PostgreSQL server (Debian's ``initdb``/``pg_ctl``, as the tests do: tests/pg_server.py)
and measures the same two workloads on a fresh SQLite file and on a fresh PostgreSQL database:

* quota: ``Credits.admit`` from 200 concurrent tasks over 400 fingerprints (each entitled to 4 free + 2 paid),
  decisions per second and over-grants (counted from the decisions and from the ledger);
* generations: the bot as a process (``bench.botproc`` with ``DATABASE_URL``), users each sending one 2 s prompt
  at once, PTB pacing lifted, tracks delivered per second.

PostgreSQL runs on the same two cores with fsync off (a throwaway server), so its figure is the cost of the
protocol and the locks, not of a disk.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from bench.chat import GENERATION_WORKERS, _generate, _users
from bench.harness import TOKEN, Figure, bot_env, bot_process, first_call, median, prime
from billing import Credits, Decision, JobSpec
from bot.sandbox import TelegramStandIn
from storage import UserRepository
from storage.backends import connect
from tests.pg_server import PostgresServer, binaries

CONCURRENCY, DECISIONS, FINGERPRINTS, FREE, PAID = 200, 2000, 400, 4, 2
ROUNDS = 2
USERS = 50


async def _admissions(url: str, data_dir: Path) -> tuple[float, int]:
    """Decisions per second and over-grants for one round on a fresh database."""
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
        for index in range(DECISIONS):
            queue.put_nowait(index)

        async def requester() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                user = index % FINGERPRINTS
                spec = JobSpec(user, f"fp-{user}", user, "bench", "mock", {})
                if (await credits.admit(spec, banned=False)).decision in (Decision.ALLOW_FREE, Decision.ALLOW_PAID):
                    granted[spec.fingerprint] += 1

        started = time.perf_counter()
        await asyncio.gather(*(requester() for _ in range(CONCURRENCY)))
        rate = DECISIONS / (time.perf_counter() - started)
        over = sum(max(0, count - FREE - PAID) for count in granted.values())
        negative = await db.scalar(
            "SELECT COUNT(*) FROM (SELECT fingerprint FROM credit_ledger WHERE bucket = 'paid' "
            "GROUP BY fingerprint HAVING SUM(amount) < 0) AS below_zero"
        )
        return rate, over + int(negative or 0)
    finally:
        await db.close()


async def _generations(url: str | None, work: Path) -> float:
    """Tracks delivered per second by the bot process on the database ``url`` (median of the rounds)."""
    rates = []
    async with TelegramStandIn(token=TOKEN) as standin:
        extra = {"BENCH_LIMITER": "off", "GENERATION_WORKERS": GENERATION_WORKERS}
        if url is not None:
            extra["DATABASE_URL"] = url
        await prime(standin)
        async with bot_process("bench.botproc", bot_env(work / "data", standin, **extra), work) as proc:
            await first_call(standin, "getUpdates", proc.spawned_at)
            await _generate(standin, _users(standin, 20))  # warm-up
            for _ in range(ROUNDS):
                rates.append((await _generate(standin, _users(standin, USERS)))[0])
    return median(rates)


def _create(server: PostgresServer, name: str) -> str:
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    return server.url(name)


async def measure() -> list[Figure]:
    """Both figures, PostgreSQL as the result and SQLite as the same-run baseline."""
    bin_dir = binaries()
    if bin_dir is None:
        missing = "PostgreSQL binaries not found (apt-get install postgresql): not measured"
        return [Figure("quota decisions/s, SQLite vs PostgreSQL", missing, "—", "—", None)]
    server = PostgresServer.start(bin_dir)
    try:
        with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as tmp:
            work = Path(tmp)
            quota: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
            over = 0
            for n in range(ROUNDS):
                for backend, url in (
                    ("sqlite", f"sqlite:///{work / f'quota-{n}.db'}"),
                    ("postgresql", _create(server, f"quota_{n}")),
                ):
                    rate, over_granted = await _admissions(url, work)
                    quota[backend].append(rate)
                    over += over_granted
            (work / "g1").mkdir()
            (work / "g2").mkdir()
            sqlite_gen = await _generations(None, work / "g1")
            postgres_gen = await _generations(_create(server, "generations"), work / "g2")
    finally:
        server.stop()
    return [
        Figure(
            "quota decisions/s on PostgreSQL, 200 concurrent requests; over-grants (both backends)",
            f"{median(quota['postgresql']):,.0f}/s; {over} over-grants",
            f"SQLite, same workload: {median(quota['sqlite']):,.0f}/s",
            "0 over-grants",
            over == 0,
            [
                f"{DECISIONS} `Credits.admit` calls over {FINGERPRINTS} fingerprints ({FREE} free + {PAID} paid each), "
                f"median of {ROUNDS} rounds per backend; PostgreSQL: a throwaway local server, fsync off, pool of 10"
            ],
        ),
        Figure(
            "generations/s end to end on PostgreSQL, `ENGINE=mock`",
            f"{postgres_gen:.1f}/s",
            f"SQLite, same workload: {sqlite_gen:.1f}/s",
            "—",
            None,
            [f"{USERS} users send one 2 s prompt each at once, median of {ROUNDS} rounds, PTB pacing lifted"],
        ),
    ]


def main() -> None:
    """Print both figures (``python -m bench.backends``)."""
    for figure in asyncio.run(measure()):
        print(f"{figure.name}: {figure.result} (baseline: {figure.baseline})")


if __name__ == "__main__":
    main()

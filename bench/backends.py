"""SQLite and PostgreSQL side by side: quota decisions/s and end-to-end generations/s with the mock engine.

One run starts a throwaway PostgreSQL server (Debian's ``initdb``/``pg_ctl``, as the tests do: tests/pg_server.py)
and measures the same two workloads on a fresh SQLite file and on a fresh PostgreSQL database:

* quota: ``Credits.admit`` from 200 concurrent tasks over 400 fingerprints (each entitled to 4 free + 2 paid),
  decisions per second and over-grants (counted from the decisions and from the ledger);
* generations: the bot as a process (``bench.botproc`` with ``DATABASE_URL``), users each sending one 2 s prompt
  at once, PTB pacing lifted, tracks delivered per second;
* scaling out: the same on PostgreSQL with the bot rendering nothing (``WORKERS_IN_BOT=false``) and one, then two
  ``python -m worker`` processes (``bench.workerproc``) taking the jobs from procrastinate.

PostgreSQL runs on the same two cores with fsync off (a throwaway server), so its figure is the cost of the
protocol and the locks, not of a disk.
"""

from __future__ import annotations

import asyncio
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

import psycopg

from bench.chat import GENERATION_WORKERS, _generate, _users
from bench.harness import TOKEN, Figure, bot_env, bot_process, first_call, median, prime
from bench.quota import FINGERPRINTS, FREE, PAID, admissions
from standin import TelegramStandIn
from tests.pg_server import PostgresServer, binaries

DECISIONS = 2000  # half of bench/quota.py's: the PostgreSQL round is the slow one
ROUNDS = 2
USERS = 50


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


async def _scaled_generations(url: str, work: Path, workers: int) -> float:
    """Tracks delivered per second with ``workers`` worker processes and a bot that renders nothing."""
    rates = []
    async with TelegramStandIn(token=TOKEN) as standin, AsyncExitStack() as stack:
        extra = {"BENCH_LIMITER": "off", "GENERATION_WORKERS": GENERATION_WORKERS, "DATABASE_URL": url}
        await prime(standin)
        bot = await stack.enter_async_context(
            bot_process("bench.botproc", bot_env(work / "data", standin, WORKERS_IN_BOT="false", **extra), work)
        )
        await first_call(standin, "getUpdates", bot.spawned_at)
        for n in range(workers):
            (work / f"w{n}").mkdir()
            env = bot_env(work / f"w{n}" / "data", standin, HTTP_PORT="0", **extra)
            proc = await stack.enter_async_context(bot_process("bench.workerproc", env, work / f"w{n}"))
            await _ready(proc.log_path)
        await _generate(standin, _users(standin, 20))  # warm-up
        for _ in range(ROUNDS):
            rates.append((await _generate(standin, _users(standin, USERS)))[0])
    return median(rates)


def _said_ready(log: Path) -> bool:
    return log.exists() and "worker ready" in log.read_text(errors="replace")


async def _ready(log: Path, within: float = 60.0) -> None:
    """Until the worker process logs that it is ready (another process writes the file)."""
    async with asyncio.timeout(within):
        while not await asyncio.to_thread(_said_ready, log):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


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
                    rate, over_granted = await admissions(url, work, DECISIONS)
                    quota[backend].append(rate)
                    over += over_granted
            (work / "g1").mkdir()
            (work / "g2").mkdir()
            sqlite_gen = await _generations(None, work / "g1")
            postgres_gen = await _generations(_create(server, "generations"), work / "g2")
            scaled = {}
            for workers in (1, 2):
                (work / f"s{workers}").mkdir()
                url = _create(server, f"scaled_{workers}")
                scaled[workers] = await _scaled_generations(url, work / f"s{workers}", workers)
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
        Figure(
            "generations/s on PostgreSQL with 2 `python -m worker` processes (procrastinate), `ENGINE=mock`",
            f"{scaled[2]:.1f}/s",
            f"1 worker process: {scaled[1]:.1f}/s",
            "—",
            None,
            [
                f"the bot with WORKERS_IN_BOT=false queues; each worker GENERATION_WORKERS={GENERATION_WORKERS}; "
                f"{USERS} users at once, median of {ROUNDS} rounds; bot, workers and PostgreSQL share the 2 cores"
            ],
        ),
    ]


def main() -> None:
    """Print both figures (``python -m bench.backends``)."""
    for figure in asyncio.run(measure()):
        print(f"{figure.name}: {figure.result} (baseline: {figure.baseline})")


if __name__ == "__main__":
    main()

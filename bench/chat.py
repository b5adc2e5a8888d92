"""The bot as a whole, through the stand-in: start-up, RSS, /balance throughput, generations end to end, loop lag.

Each bot runs as its own process (see :mod:`bench.harness` for why); the stand-in and the simulated people live
in this process. Baselines run in the same run through the same kind of stand-in: a bare PTB echo bot
(:mod:`bench.echo_bot`) for throughput, start-up and RSS; the raw engine + encode cost for generations; the idle
bot for loop lag. Throughput and generations are measured with PTB's overall 30 msg/s pacing lifted
(``BENCH_LIMITER=off``): with it on, any bot is capped at Telegram's flood limit, not at its own speed; the
production figure (limiter on) is reported beside it.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import (
    PATIENCE_S,
    TOKEN,
    Figure,
    bot_env,
    bot_process,
    first_call,
    median,
    percentile,
    prime,
    rss_mb,
    wait_until,
)
from standin import ChatMessage, TelegramStandIn

ROUNDS = 3
THROUGHPUT_USERS, THROUGHPUT_MESSAGES = 200, 1000
GENERATION_USERS = 150
GENERATION_PROMPT = "bench tone 2s"  # 2 s tracks: the figure is the pipeline's overhead, not ffmpeg on long audio
GENERATION_WORKERS = "8"
_ids = itertools.count(10_000)


def _users(standin: TelegramStandIn, count: int) -> list[int]:
    ids = [next(_ids) for _ in range(count)]
    standin.add_users(ids)
    return ids


class Replies:
    """Counts the bot's new messages (not edits) per kind, with their arrival times, from a subscription."""

    def __init__(self, standin: TelegramStandIn, wanted: Callable[[ChatMessage], bool]) -> None:
        self._subscription = standin.subscribe()
        self._wanted = wanted
        self.times: dict[int, list[float]] = {}
        self.count = 0
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self._subscription:
            if event.kind == "message" and event.message.from_bot and self._wanted(event.message):
                self.times.setdefault(event.chat_id, []).append(time.perf_counter())
                self.count += 1

    async def close(self) -> None:
        """Stop counting."""
        self._subscription.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def _burst(standin: TelegramStandIn, users: list[int], text: str, total: int) -> float:
    """Send ``total`` texts round-robin from ``users``; returns messages answered per second."""
    replies = Replies(standin, lambda m: m.kind == "text")
    started = time.perf_counter()
    for index in range(total):
        await standin.send_text(users[index % len(users)], text)
    done = await wait_until(lambda: replies.count >= total, within=PATIENCE_S, step=0.002)
    last = max((t for ts in replies.times.values() for t in ts), default=time.perf_counter())
    await replies.close()
    if not done:
        raise RuntimeError(f"only {replies.count} of {total} replies to {text!r} within {PATIENCE_S:g} s")
    return total / (last - started)


async def startup_and_idle_rss() -> tuple[Figure, Figure, dict[str, float]]:
    """Spawn each bot ROUNDS times: seconds to its first getUpdates, and RSS 1.5 s later."""
    results: dict[str, dict[str, list[float]]] = {}
    for module, extra in (("bench.echo_bot", {}), ("bench.botproc", {})):
        results[module] = {"start": [], "rss": []}
        for _ in range(ROUNDS):
            with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as tmp:
                work = Path(tmp)
                async with TelegramStandIn(token=TOKEN) as standin:
                    await prime(standin)
                    async with bot_process(module, bot_env(work / "data", standin, **extra), work) as proc:
                        polled = await first_call(standin, "getUpdates", proc.spawned_at)
                        results[module]["start"].append(polled - proc.spawned_at)
                        await asyncio.sleep(1.5)
                        results[module]["rss"].append(rss_mb(proc.pid))
    start, base_start = median(results["bench.botproc"]["start"]), median(results["bench.echo_bot"]["start"])
    rss, base_rss = median(results["bench.botproc"]["rss"]), median(results["bench.echo_bot"]["rss"])
    startup = Figure(
        "process start to first getUpdates",
        f"{start:.2f} s",
        f"bare PTB echo bot: {base_start:.2f} s",
        "≤ 2 s",
        start <= 2.0,
        [f"median of {ROUNDS} spawns each; `python -m bot` with ENGINE=mock, a fresh DATA_DIR (migrations run)"],
    )
    idle = Figure("RSS idle", f"{rss:.0f} MB", f"bare PTB echo bot: {base_rss:.0f} MB", "≤ 150 MB", rss <= 150, [])
    return startup, idle, {"rss_idle": rss}


async def throughput() -> Figure:
    """/balance answered per second vs the echo bot's echoes per second, same stand-in load."""
    rates: dict[str, list[float]] = {}
    production: list[float] = []
    runs = (("echo", "bench.echo_bot", "hello", {}), ("bot", "bench.botproc", "/balance", {"BENCH_LIMITER": "off"}))
    for label, module, text, extra in runs:
        rates[label] = []
        with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as tmp:
            work = Path(tmp)
            async with TelegramStandIn(token=TOKEN) as standin:
                users = _users(standin, THROUGHPUT_USERS)
                await prime(standin)
                async with bot_process(module, bot_env(work / "data", standin, **extra), work) as proc:
                    await first_call(standin, "getUpdates", proc.spawned_at)
                    await _burst(standin, users, text, 200)  # warm-up: imports, pools, first DB rows
                    for _ in range(ROUNDS):
                        rates[label].append(await _burst(standin, users, text, THROUGHPUT_MESSAGES))
                    if problems := proc.log_problems():
                        raise RuntimeError(f"{module} logged errors: {problems[:3]}")
            if label == "bot":  # the production setting: PTB paces everything at 30 msg/s
                async with TelegramStandIn(token=TOKEN) as standin:
                    users = _users(standin, THROUGHPUT_USERS)
                    await prime(standin)
                    async with bot_process(module, bot_env(work / "data2", standin), work) as proc:
                        await first_call(standin, "getUpdates", proc.spawned_at)
                        production.append(await _burst(standin, users, text, 150))
    bot, echo = median(rates["bot"]), median(rates["echo"])
    return Figure(
        "`/balance` throughput vs bare PTB echo",
        f"{bot:.0f}/s = {bot / echo:.2f}×",
        f"echo bot: {echo:.0f}/s",
        "≥ 0.8×",
        bot / echo >= 0.8,
        [
            f"{THROUGHPUT_MESSAGES} messages from {THROUGHPUT_USERS} users per round, median of {ROUNDS} rounds, "
            "PTB's 30 msg/s pacing lifted in both",
            f"with the production limiter on: {median(production):.0f}/s (Telegram's flood limit, by design)",
        ],
    )


async def generations_and_lag(raw_cost_s: float) -> tuple[Figure, Figure]:
    """Generations per second with p50/p95 latency, loop lag under that load vs idle (RSS: bench.memory)."""
    rates, p50s, p95s, lags, idle_lags, production = [], [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as tmp:
        work = Path(tmp)
        async with TelegramStandIn(token=TOKEN) as standin:
            extra = {"BENCH_LIMITER": "off", "GENERATION_WORKERS": GENERATION_WORKERS}
            await prime(standin)
            async with bot_process("bench.botproc", bot_env(work / "data", standin, **extra), work) as proc:
                await first_call(standin, "getUpdates", proc.spawned_at)
                await _generate(standin, _users(standin, 20))  # warm-up
                await proc.lag_window()
                await asyncio.sleep(2.0)
                idle_lags.extend(await proc.lag_report())
                for _ in range(ROUNDS):
                    await proc.lag_window()
                    rate, latencies = await _generate(standin, _users(standin, GENERATION_USERS))
                    lags.extend(await proc.lag_report())
                    rates.append(rate)
                    p50s.append(percentile(latencies, 50))
                    p95s.append(percentile(latencies, 95))
                problems = proc.log_problems()
        async with TelegramStandIn(token=TOKEN) as standin:  # production pacing, a shorter run
            extra = {"GENERATION_WORKERS": GENERATION_WORKERS}
            await prime(standin)
            async with bot_process("bench.botproc", bot_env(work / "data2", standin, **extra), work) as proc:
                await first_call(standin, "getUpdates", proc.spawned_at)
                production.append((await _generate(standin, _users(standin, 40)))[0])
    rate = median(rates)
    generations = Figure(
        "generations/s end to end, `ENGINE=mock` (audio delivered)",
        f"{rate:.1f}/s, p50 {median(p50s):.2f} s, p95 {median(p95s):.2f} s",
        f"raw engine + encode of the same track: {raw_cost_s * 1000:.0f} ms CPU → {2 / raw_cost_s:.0f}/s on 2 cores",
        "≥ 30/s",
        rate >= 30,
        [
            f"{GENERATION_USERS} users send one 2 s prompt each at once, median of {ROUNDS} rounds, "
            f"GENERATION_WORKERS={GENERATION_WORKERS}, PTB pacing lifted; latency = prompt sent → audio received",
            f"with the production limiter (30 msg/s, ~3 paced calls per generation): {median(production):.1f}/s",
        ]
        + ([f"bot log problems: {problems[:2]}"] if problems else []),
    )
    p99, idle_p99 = percentile(lags, 99), percentile(idle_lags, 99)
    lag = Figure(
        "event-loop lag p99 under generation load",
        f"{p99:.1f} ms (max {max(lags, default=0):.0f} ms)",
        f"idle bot: {idle_p99:.1f} ms",
        "≤ 50 ms",
        p99 <= 50,
        ["a 10 ms sleep's lateness in the bot's own loop, sampled through the generation rounds"],
    )
    return generations, lag


async def _generate(standin: TelegramStandIn, users: list[int]) -> tuple[float, list[float]]:
    """Every user sends one prompt at once; returns tracks delivered per second and each latency (s)."""
    audio = Replies(standin, lambda m: m.kind == "audio")
    sent: dict[int, float] = {}
    started = time.perf_counter()
    for user in users:
        sent[user] = time.perf_counter()
        await standin.send_text(user, GENERATION_PROMPT)
    done = await wait_until(lambda: audio.count >= len(users), within=PATIENCE_S)
    await audio.close()
    if not done:
        raise RuntimeError(f"only {audio.count} of {len(users)} tracks delivered within {PATIENCE_S:g} s")
    arrivals = {user: times[0] for user, times in audio.times.items()}
    latencies = [arrivals[user] - sent[user] for user in users]
    return len(users) / (max(arrivals.values()) - started), latencies


async def measure(raw_cost_s: float) -> list[Figure]:
    """Every figure of this module, in table order."""
    tput = await throughput()
    gens, lag = await generations_and_lag(raw_cost_s)
    startup, idle_rss, _ = await startup_and_idle_rss()
    return [tput, gens, lag, idle_rss, startup]


def main() -> None:
    """Print this module's figures (``python -m bench.chat``)."""
    from bench.engines import pipeline_cost_s

    for figure in asyncio.run(measure(pipeline_cost_s())):
        print(figure)


if __name__ == "__main__":
    main()

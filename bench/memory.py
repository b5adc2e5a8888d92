"""Memory: the bot's RSS idle, under 1 000 users and after the load, with ``ENGINE=mock`` and ``ENGINE=synth``.

One bot process per engine (see :mod:`bench.harness`). Idle is read once the bot has started and made one
warm-up track (what a running bot holds when nobody is asking: its modules loaded, its lookup tables built). Then
every user sends ``/start`` and two prompts of 2 s (or the engine's shortest track: 5 s for the synth;
``MAX_ACTIVE_JOBS=2`` so the second is not refused as "one at a time"), in several genres so the synth's note
caches see a realistic spread; RSS is sampled every 0.1 s until every track is delivered (the peak), and once
more ``SETTLE_S`` after the last delivery (after the load).

``python -m bench.memory [users [engine ...]]`` prints the figures; a smaller user count is for exploration only.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.chat import GENERATION_WORKERS, Replies, _users
from bench.harness import TOKEN, Figure, bot_env, bot_process, first_call, prime, rss_mb, wait_until
from bot.texts import default_texts
from engines import EngineOptions, get_engine
from standin import ChatMessage, TelegramStandIn

USERS = 1000
PROMPTS = ("lofi beat", "techno", "deep house", "ambient pad", "synthwave", "drum and bass", "trap", "cinematic")
SECONDS = 2  # short tracks: the figure is what the bot keeps per job, not one long render's buffers
IDLE_S = 1.5
SETTLE_S = 10.0  # longer than the bot's heap-trim period (engines.memory.TRIM_EVERY_S)
PATIENCE_S = 2400.0  # 2 000 synth tracks took 1 399 s at load 6–9 on the shared 2 cores; the run is still bounded
TARGET_PEAK_MB, TARGET_IDLE_MB, TARGET_AFTER = 250.0, 150.0, 1.2


def _demo_captions() -> set[str]:
    """The /start demo's caption in every language (the demo is sent to each new user, but it is no track made)."""
    texts = default_texts()
    return {texts.get(language, "start.demo_caption") for language in texts.languages}


def is_made_track(message: ChatMessage, demo_captions: set[str]) -> bool:
    """An audio message that delivers a generated track: not the /start demo."""
    return message.kind == "audio" and message.caption not in demo_captions


def track_seconds(engine: str) -> float:
    """:data:`SECONDS`, or the engine's shortest track when that is longer (the synth makes at least 5 s)."""
    return max(SECONDS, get_engine(engine, EngineOptions()).capabilities().min_duration)


async def measure_engine(engine: str, users: int = USERS) -> dict[str, float]:
    """Idle, peak and after-load RSS (MB) of one bot process with ``engine``, plus tracks and seconds taken."""
    seconds = track_seconds(engine)
    with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as tmp:
        work = Path(tmp)
        async with TelegramStandIn(token=TOKEN) as standin:
            people = _users(standin, users)
            extra = {
                "ENGINE": engine,
                "BENCH_LIMITER": "off",
                "GENERATION_WORKERS": GENERATION_WORKERS,
                "MAX_ACTIVE_JOBS": "2",
                "FREE_DAILY_QUOTA": "4",
            }
            await prime(standin)
            async with bot_process("bench.botproc", bot_env(work / "data", standin, **extra), work) as proc:
                await first_call(standin, "getUpdates", proc.spawned_at)
                demos = _demo_captions()
                audio = Replies(standin, lambda m: is_made_track(m, demos))
                await standin.send_text(people[0], f"warm-up {seconds:g}s")
                if not await wait_until(lambda: audio.count >= 1, within=60):
                    raise RuntimeError(f"{engine}: the warm-up track was not delivered")
                await asyncio.sleep(IDLE_S)
                idle = rss_mb(proc.pid)
                audio.count = 0
                started = time.monotonic()
                peak = idle
                for index, user in enumerate(people):
                    await standin.send_text(user, "/start")
                    for turn in range(2):
                        await standin.send_text(user, f"{PROMPTS[(index + turn) % len(PROMPTS)]} {seconds:g}s")
                    if index % 50 == 0:
                        peak = max(peak, rss_mb(proc.pid))
                wanted = 2 * users
                deadline = started + PATIENCE_S
                while audio.count < wanted and time.monotonic() < deadline:
                    peak = max(peak, rss_mb(proc.pid))
                    await asyncio.sleep(0.1)
                delivered, took = audio.count, time.monotonic() - started
                await asyncio.sleep(SETTLE_S)
                peak = max(peak, rss_mb(proc.pid))
                after = rss_mb(proc.pid)
                await audio.close()
                problems = proc.log_problems()
    if delivered < wanted:
        raise RuntimeError(f"{engine}: only {delivered} of {wanted} tracks within {PATIENCE_S:g} s")
    if problems:
        raise RuntimeError(f"{engine}: the bot logged errors: {problems[:3]}")
    return {"idle": idle, "peak": peak, "after": after, "tracks": delivered, "seconds": took, "length": seconds}


def figures(results: dict[str, dict[str, float]], users: int = USERS) -> list[Figure]:
    """One figure per engine: idle / peak under load / after the load, against the targets."""
    out, count = [], f"{users:,}".replace(",", " ")
    for engine, r in results.items():
        met = r["idle"] <= TARGET_IDLE_MB and r["peak"] <= TARGET_PEAK_MB and r["after"] <= TARGET_AFTER * r["idle"]
        out.append(
            Figure(
                f"RSS idle / {count} users / after, `ENGINE={engine}`",
                f"{r['idle']:.0f} / {r['peak']:.0f} / {r['after']:.0f} MB ({r['after'] / r['idle']:.2f}× idle)",
                "idle figure (same process)",
                f"≤ {TARGET_IDLE_MB:.0f} / ≤ {TARGET_PEAK_MB:.0f} MB / ≤ {TARGET_AFTER}× idle",
                met,
                [
                    f"`ENGINE={engine}`: {users} users each send /start and two {r['length']:g} s prompts in 8 genres "
                    f"(GENERATION_WORKERS={GENERATION_WORKERS}, MAX_ACTIVE_JOBS=2, PTB pacing lifted); peak sampled "
                    f"every 0.1 s until all {int(r['tracks'])} tracks were delivered ({r['seconds']:.0f} s); "
                    f"'after' read {SETTLE_S:g} s later; idle after start-up and one warm-up track"
                ],
            )
        )
    return out


async def measure(users: int = USERS, engines: tuple[str, ...] = ("mock", "synth")) -> list[Figure]:
    """The memory figures for ``mock`` and ``synth``, one engine after the other."""
    results = {engine: await measure_engine(engine, users) for engine in engines}
    return figures(results, users)


def main() -> None:
    """Print the figures (``python -m bench.memory [users]``)."""
    users = int(sys.argv[1]) if len(sys.argv) > 1 else USERS
    engines = tuple(sys.argv[2:]) or ("mock", "synth")
    for figure in asyncio.run(measure(users, engines)):
        print(figure)


if __name__ == "__main__":
    main()

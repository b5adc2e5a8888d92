"""The bot as the benchmarks run it: exactly ``python -m bot``, plus an event-loop lag probe.

Environment (besides the bot's own settings):

``BENCH_PROBE_FILE``
    where the probe writes its samples (ms, one per line) on SIGUSR2; SIGUSR1 starts a new window.
``BENCH_LIMITER=off``
    lift PTB's overall 30 msg/s pacing (``AIORateLimiter(overall_max_rate=0)``, retries on 429 kept), to
    measure the bot's own ceiling rather than Telegram's flood limit. Nothing else changes.
``BENCH_MEMDEBUG=<dir>``
    find what holds memory: trace allocations (``tracemalloc`` with ``BENCH_MEMDEBUG_FRAMES`` frames, default 1;
    slower and larger) and, on SIGHUP, trim the C heap, then write ``<dir>/<n>.snap`` (a tracemalloc snapshot) and
    ``<dir>/<n>.types`` (live objects counted by type after a full collection, and who holds each job, track and
    traceback), so two dumps diff what the bot itself still holds.

The probe sleeps ``PROBE_S`` and records how late it woke: the same lag every other coroutine suffers.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
import time
from pathlib import Path

PROBE_S = 0.01


class LagProbe:
    """Samples the event loop's lag in ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def run(self) -> None:
        """Tick forever, recording lateness."""
        while True:
            before = time.perf_counter()
            await asyncio.sleep(PROBE_S)
            self.samples.append(max(0.0, (time.perf_counter() - before - PROBE_S) * 1000))

    def reset(self) -> None:
        """Start a new window."""
        self.samples = []

    def dump(self, path: Path) -> None:
        """Write the window's samples to ``path`` atomically."""
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(f"{s:.3f}" for s in self.samples))
        tmp.replace(path)


class MemoryDumps:
    """SIGHUP writes numbered tracemalloc snapshots and gc type counts to a directory (``BENCH_MEMDEBUG``)."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.count = directory, 0
        directory.mkdir(parents=True, exist_ok=True)

    def dump(self) -> None:
        """One snapshot and one type count, numbered from 1 (the ``.types`` file is written last: wait for it)."""
        import collections
        import gc
        import tracemalloc

        from engines.memory import trim_heap

        gc.collect()
        trim_heap()
        self.count += 1
        tracemalloc.take_snapshot().dump(str(self.directory / f"{self.count}.snap"))
        with (self.directory / f"{self.count}.pymalloc").open("wb") as stats:  # pymalloc's arenas, to stderr
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(stats.fileno(), 2)
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
        types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        lines = [f"{n} {name}" for name, n in types.most_common(200)]
        lines += ["", "who holds each generated track, job and traceback (referrer types, nearest first):"]
        held = ("GeneratedTrack", "Job", "traceback")
        lines += [self._holders(o) for o in gc.get_objects() if type(o).__name__ in held]
        tmp = self.directory / f"{self.count}.types.tmp"
        tmp.write_text("\n".join(lines))
        tmp.replace(self.directory / f"{self.count}.types")

    @staticmethod
    def _holders(obj: object, depth: int = 8) -> str:
        import gc

        chain, seen = [type(obj).__qualname__], {id(obj)}
        for _ in range(depth):
            referrers = [r for r in gc.get_referrers(obj) if id(r) not in seen and type(r).__name__ != "list"]
            if not referrers:
                break
            obj = referrers[0]
            seen.add(id(obj))
            name = type(obj).__qualname__
            if name == "frame":
                name = f"frame {obj.f_code.co_name}:{obj.f_lineno}"  # type: ignore[attr-defined]
            chain.append(name)
        return " <- ".join(chain)


def main() -> int:
    """Run the bot with the probe (and, when asked, without the overall flood pacing)."""
    import bot.__main__ as entry

    if os.environ.get("BENCH_LIMITER") == "off":
        import bot.app
        from bot.observed_limiter import ObservedRateLimiter

        bot.app.ObservedRateLimiter = functools.partial(ObservedRateLimiter, overall_max_rate=0)  # type: ignore[misc]
    serve = entry._serve
    memdebug = os.environ.get("BENCH_MEMDEBUG")
    dumps = None
    if memdebug:
        import tracemalloc

        tracemalloc.start(int(os.environ.get("BENCH_MEMDEBUG_FRAMES", "1")))
        dumps = MemoryDumps(Path(memdebug))
    probe_file = Path(os.environ.get("BENCH_PROBE_FILE", "bench.probe"))

    async def serve_with_probe(settings: object) -> None:
        probe = LagProbe()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, probe.reset)
        loop.add_signal_handler(signal.SIGUSR2, probe.dump, probe_file)
        if dumps is not None:
            loop.add_signal_handler(signal.SIGHUP, dumps.dump)
        task = asyncio.create_task(probe.run())
        try:
            await serve(settings)  # type: ignore[arg-type]
        finally:
            task.cancel()

    entry._serve = serve_with_probe  # type: ignore[assignment]
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())

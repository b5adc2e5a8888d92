"""The bot as the benchmarks run it: exactly ``python -m bot``, plus an event-loop lag probe.

Environment (besides the bot's own settings):

``BENCH_PROBE_FILE``
    where the probe writes its samples (ms, one per line) on SIGUSR2; SIGUSR1 starts a new window.
``BENCH_LIMITER=off``
    lift PTB's overall 30 msg/s pacing (``AIORateLimiter(overall_max_rate=0)``, retries on 429 kept), to
    measure the bot's own ceiling rather than Telegram's flood limit. Nothing else changes.

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


def main() -> int:
    """Run the bot with the probe (and, when asked, without the overall flood pacing)."""
    import bot.__main__ as entry

    if os.environ.get("BENCH_LIMITER") == "off":
        import bot.app
        from bot.observed_limiter import ObservedRateLimiter

        bot.app.ObservedRateLimiter = functools.partial(ObservedRateLimiter, overall_max_rate=0)  # type: ignore[misc]
    serve = entry._serve
    probe_file = Path(os.environ.get("BENCH_PROBE_FILE", "bench.probe"))

    async def serve_with_probe(settings: object) -> None:
        probe = LagProbe()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, probe.reset)
        loop.add_signal_handler(signal.SIGUSR2, probe.dump, probe_file)
        task = asyncio.create_task(probe.run())
        try:
            await serve(settings)  # type: ignore[arg-type]
        finally:
            task.cancel()

    entry._serve = serve_with_probe  # type: ignore[assignment]
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())

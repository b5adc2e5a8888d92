"""A generation worker as the benchmarks run it: exactly ``python -m worker``, with ``BENCH_LIMITER=off`` lifting
PTB's overall 30 msg/s pacing as ``bench.botproc`` does for the bot (the figure is the workers' ceiling, not
Telegram's flood limit)."""

from __future__ import annotations

import functools
import os
import sys


def main() -> int:
    """Run the worker (without the overall flood pacing when asked)."""
    import worker.__main__ as entry

    if os.environ.get("BENCH_LIMITER") == "off":
        import bot.app
        from bot.observed_limiter import ObservedRateLimiter

        bot.app.ObservedRateLimiter = functools.partial(ObservedRateLimiter, overall_max_rate=0)  # type: ignore[misc]
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())

"""Per-caller request limits for the HTTP API: at most ``limit`` requests in any ``window`` (a sliding window)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta


class RateLimiter:
    """Counts requests per key on the given clock; ``hit`` says how long to wait when a key is over its limit."""

    def __init__(self, limit: int, *, window: timedelta, clock: Callable[[], datetime]) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[str, deque[datetime]] = {}

    def hit(self, key: str) -> float:
        """Record one request of ``key``; 0 when it may go ahead, else the seconds until it may (not recorded)."""
        now = self._clock()
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(1.0, (times[0] + self.window - now).total_seconds())
        times.append(now)
        if len(self._seen) > 50_000:  # forget idle callers so a flood of addresses cannot grow this forever
            for stale in [k for k, v in self._seen.items() if not v or now - v[-1] >= self.window]:
                del self._seen[stale]
        return 0.0

"""Telegram's flood control, optional: at most ``per_second`` messages in any one-second window, else 429.

Telegram does not publish an exact algorithm; it documents "about 30 messages per second" for a bot and answers
a call over the limit with ``429 Too Many Requests: retry after N`` and ``parameters.retry_after``. The stand-in
models that as a sliding one-second window over the calls that put something in a chat (``send*`` but
``sendChatAction``, ``copy*``, ``forward*``, ``edit*``), counted only when they would otherwise succeed.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable

#: Methods that are not messages: never counted, never limited.
_EXEMPT = frozenset({"sendchataction"})
_COUNTED_PREFIXES = ("send", "copy", "forward", "edit")


class FloodLimit:
    """A sliding one-second window of message calls; ``admit`` says whether one more fits."""

    def __init__(self, per_second: int, retry_after: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        self.per_second = per_second
        self.retry_after = retry_after
        self.refused = 0  # how many calls were answered 429
        self._clock = clock
        self._recent: collections.deque[float] = collections.deque()

    @staticmethod
    def counts(method: str) -> bool:
        """True when ``method`` puts a message in a chat (and so is subject to the limit)."""
        name = method.lower()
        return name not in _EXEMPT and name.startswith(_COUNTED_PREFIXES)

    def admit(self, method: str) -> bool:
        """Record a call of ``method``; False when it would exceed the limit (then it is not recorded)."""
        if not self.counts(method):
            return True
        now = self._clock()
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.per_second:
            self.refused += 1
            return False
        self._recent.append(now)
        return True

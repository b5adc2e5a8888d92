"""PTB's rate limiter, observed: every Bot API call that raises a ``TelegramError`` is reported, in one place.

Every call but ``getUpdates`` passes through the bot's rate limiter (PTB's public extension point for wrapping
calls; ``BaseRequest.post`` is final), once per attempt, so retried flood-limit answers count too, whichever code
made the call and whether or not it catches the error. ``getUpdates`` is observed through the updater's
``error_callback`` instead (see :func:`polling_error_callback`).

Calls in :data:`EXPRESS` skip the limiter's queue: after a 429, ``AIORateLimiter`` pauses *every* call until
``retry_after`` ends (PITFALLS.md), and a pre-checkout answer held behind that pause (e.g. during a broadcast) would
miss Telegram's 10 s deadline for ``answerPreCheckoutQuery``. It is not a message, so flood control does not count
it; it goes out at once, one attempt, still observed.

With several bot replicas each process takes its share of Telegram's flood limits (``TELEGRAM_RATE_SHARE``, see
:func:`shared_limits`), so N replicas at 1/N each stay under the limit together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

#: Called with the Bot API method and the error one call raised.
ErrorObserver = Callable[[str, TelegramError], None]
_Result = bool | dict[str, Any] | list[dict[str, Any]]
#: Bot API methods answered at once, never queued behind the limiter's pause or pacing.
EXPRESS = frozenset({"answerPreCheckoutQuery"})


def shared_limits(share: float) -> dict[str, float]:
    """``AIORateLimiter``'s rate arguments for ``share`` (0 < share ≤ 1) of Telegram's overall and per-group limits.

    A rate under one call per period becomes one call per longer period (the limiter's bucket holds at least one).
    """
    if not 0 < share <= 1:
        raise ValueError(f"a rate share is a fraction 0 < x ≤ 1, got {share}")

    def rate(per_period: float, period: float) -> tuple[float, float]:
        scaled = per_period * share
        return (scaled, period) if scaled >= 1 else (1.0, period / scaled)

    overall_rate, overall_period = rate(FloodLimit.MESSAGES_PER_SECOND, 1.0)
    group_rate, group_period = rate(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP, 60.0)
    return {
        "overall_max_rate": overall_rate,
        "overall_time_period": overall_period,
        "group_max_rate": group_rate,
        "group_time_period": group_period,
    }


class ObservedRateLimiter(AIORateLimiter):
    """An ``AIORateLimiter`` that reports each failed attempt to ``observer`` and lets :data:`EXPRESS` calls by."""

    def __init__(self, observer: ErrorObserver | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._observer = observer

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, _Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> _Result:
        """Rate-limit the call as ``AIORateLimiter`` does (EXPRESS calls: at once), reporting attempts that raise."""

        async def observed(*call_args: Any, **call_kwargs: Any) -> _Result:
            try:
                return await callback(*call_args, **call_kwargs)
            except TelegramError as exc:
                if self._observer is not None:
                    self._observer(endpoint, exc)
                raise

        if endpoint in EXPRESS:
            return await observed(*args, **kwargs)
        return await super().process_request(observed, args, kwargs, endpoint, data, rate_limit_args)


def polling_error_callback(observer: ErrorObserver) -> Callable[[TelegramError], None]:
    """An updater ``error_callback`` that reports a failed ``getUpdates`` and logs it as PTB's default does."""

    def on_error(exc: TelegramError) -> None:
        observer("getUpdates", exc)
        log.warning("polling for updates failed (%s); retrying", type(exc).__name__)

    return on_error

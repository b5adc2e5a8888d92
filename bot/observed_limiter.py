"""PTB's rate limiter, observed: every Bot API call that raises a ``TelegramError`` is reported, in one place.

Every call but ``getUpdates`` passes through the bot's rate limiter (PTB's public extension point for wrapping
calls; ``BaseRequest.post`` is final), once per attempt, so retried flood-limit answers count too, whichever code
made the call and whether or not it catches the error. ``getUpdates`` is observed through the updater's
``error_callback`` instead (see :func:`polling_error_callback`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

#: Called with the Bot API method and the error one call raised.
ErrorObserver = Callable[[str, TelegramError], None]
_Result = bool | dict[str, Any] | list[dict[str, Any]]


class ObservedRateLimiter(AIORateLimiter):
    """An ``AIORateLimiter`` that reports each failed attempt to ``observer``; otherwise unchanged."""

    def __init__(self, observer: ErrorObserver, **kwargs: Any) -> None:
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
        """Rate-limit the call as ``AIORateLimiter`` does, reporting every attempt that raises."""

        async def observed(*call_args: Any, **call_kwargs: Any) -> _Result:
            try:
                return await callback(*call_args, **call_kwargs)
            except TelegramError as exc:
                self._observer(endpoint, exc)
                raise

        return await super().process_request(observed, args, kwargs, endpoint, data, rate_limit_args)


def polling_error_callback(observer: ErrorObserver) -> Callable[[TelegramError], None]:
    """An updater ``error_callback`` that reports a failed ``getUpdates`` and logs it as PTB's default does."""

    def on_error(exc: TelegramError) -> None:
        observer("getUpdates", exc)
        log.warning("polling for updates failed (%s); retrying", type(exc).__name__)

    return on_error

"""One map from service exceptions to the user text a button press is answered with (issue 14, item 2).

Handlers decorated with :func:`answers_errors` do not catch service errors themselves: an exception raised inside is
looked up along its class hierarchy (``type(exc).__mro__``, the way Starlette finds an exception handler) in
:data:`ERROR_KEYS`, and the press is answered with that catalog text as an alert. An exception the map does not name
propagates to the application's error handler (``bot.handlers.errors.on_error``) as before.

The services' exception trees (user-safe bases carry the text key):

    scheduler.studio.StudioError      ``key``: track.gone, track.not_yours, track.no_stems, ...
    billing.PaymentError              ``key``: the pack or payment problem
    billing.StripeCheckoutError       Stripe could not make the Checkout session: buy.card_unavailable
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from billing import PaymentError, StripeCheckoutError
from bot.context import BotContext
from bot.handlers.common import requester
from scheduler.studio import StudioError

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def _key(exc: Exception) -> str:
    key = getattr(exc, "key", None)
    assert isinstance(key, str), f"{type(exc).__name__} carries no text key"
    return key


#: Exception class → the catalog key (from the exception) a button press is answered with.
ERROR_KEYS: dict[type[Exception], Callable[[Exception], str]] = {
    StudioError: _key,
    PaymentError: _key,
    StripeCheckoutError: lambda _: "buy.card_unavailable",
}


def key_for(exc: BaseException) -> str | None:
    """The catalog key for ``exc``: the entry of its nearest class in :data:`ERROR_KEYS`, else None."""
    for cls in type(exc).__mro__:
        if cls in ERROR_KEYS and isinstance(exc, Exception):
            return ERROR_KEYS[cls](exc)
    return None


def answers_errors(handler: Handler) -> Handler:
    """Wraps a callback-query handler: a mapped service error is answered as an alert in the user's language."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> None:
        try:
            await handler(update, context)
        except Exception as exc:
            key = key_for(exc)
            if key is None or update.callback_query is None:
                raise
            _, language = await requester(update, context)
            await update.callback_query.answer(context.services.texts.get(language, key), show_alert=True)

    return wrapper

"""One map from service exceptions to the user text they are answered with (issue 14, item 2).

Handlers do not catch service errors themselves (``tests/bot/test_handler_shape.py`` fails when one does): an
exception raised inside is looked up along its class hierarchy (``type(exc).__mro__``, the way Starlette finds an
exception handler) in :data:`ERROR_KEYS`, and answered with that catalog text (filled in with the exception's
``values``, when it has them). An exception the map does not name propagates to the application's error handler
(``bot.handlers.errors.on_error``) as before. Three ways to answer, chosen by the handler:

- :func:`answers_errors`: a button press is answered as an alert; a pre-checkout query is declined with the text;
- :func:`tells_errors`: the text is sent to the update's chat as a message (commands, typed text, and buttons whose
  press was answered before the service refused);
- :func:`telling`: the same, around part of a helper that knows the chat and language.

The services' exception trees (user-safe bases carry the text key):

    compose.studio.StudioError      ``key``: track.gone, track.not_yours, track.no_stems, ...
    compose.intake.IntakeError      ``key`` and ``values``: a prompt, song or engine choice that cannot be served
    compose.listening.ListenError   ``key`` (and ``values``): a clip or listen button that cannot be served
    engines.analysis.AnalysisError    ``key``: a clip the analyser cannot read
    billing.PaymentError              ``key``: the pack or payment problem (PreCheckoutRefused: decline the query)
    billing.StripeCheckoutError       Stripe could not make the Checkout session: buy.card_unavailable
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from telegram import Update

from billing import PaymentError, StripeCheckoutError
from bot.context import BotContext
from bot.handlers.common import language_of, requester
from compose.intake import IntakeError
from compose.listening import ListenError
from compose.studio import StudioError
from engines.analysis import AnalysisError

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def _key(exc: Exception) -> str:
    key = getattr(exc, "key", None)
    assert isinstance(key, str), f"{type(exc).__name__} carries no text key"
    return key


#: Exception class → the catalog key (from the exception) it is answered with.
ERROR_KEYS: dict[type[Exception], Callable[[Exception], str]] = {
    StudioError: _key,
    IntakeError: _key,
    ListenError: _key,
    AnalysisError: _key,
    PaymentError: _key,
    StripeCheckoutError: lambda _: "buy.card_unavailable",
}


def key_for(exc: BaseException) -> str | None:
    """The catalog key for ``exc``: the entry of its nearest class in :data:`ERROR_KEYS`, else None."""
    for cls in type(exc).__mro__:
        if cls in ERROR_KEYS and isinstance(exc, Exception):
            return ERROR_KEYS[cls](exc)
    return None


def values_for(exc: BaseException) -> dict[str, Any]:
    """The placeholders an exception carries for its text (``values``), or none."""
    values = getattr(exc, "values", None)
    return dict(values) if isinstance(values, dict) else {}


def answers_errors(handler: Handler) -> Handler:
    """Wraps a callback-query or pre-checkout handler: a mapped service error answers the query in the user's
    language (a press: an alert; a pre-checkout: declined with the text)."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> None:
        try:
            await handler(update, context)
        except Exception as exc:
            key = key_for(exc)
            if key is None or (update.callback_query is None and update.pre_checkout_query is None):
                raise
            texts, values = context.services.texts, values_for(exc)
            if update.pre_checkout_query is not None:  # no chat: the language is the sender's app's (or /language)
                text = texts.get(language_of(update, context), key, **values)
                await update.pre_checkout_query.answer(ok=False, error_message=text)
            elif update.callback_query is not None:
                _, language = await requester(update, context)
                await update.callback_query.answer(texts.get(language, key, **values), show_alert=True)

    return wrapper


def tells_errors(handler: Handler) -> Handler:
    """Wraps a handler: a mapped service error is sent to the update's chat as a message in the user's language."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> None:
        try:
            await handler(update, context)
        except Exception as exc:
            if key_for(exc) is None or update.effective_chat is None:
                raise
            _, language = await requester(update, context)
            await _tell(context, update.effective_chat.id, language, exc)

    return wrapper


@contextlib.asynccontextmanager
async def telling(context: BotContext, chat_id: int, language: str | None) -> AsyncIterator[None]:
    """Inside: a mapped service error is sent to ``chat_id`` as a message and goes no further; others propagate.

    Code after the ``async with`` block runs either way: put everything that should stop at the error inside.
    """
    try:
        yield
    except Exception as exc:
        if key_for(exc) is None:
            raise
        await _tell(context, chat_id, language, exc)


async def _tell(context: BotContext, chat_id: int, language: str | None, exc: Exception) -> None:
    key = key_for(exc)
    assert key is not None
    await context.bot.send_message(chat_id, context.services.texts.get(language, key, **values_for(exc)))

"""The last line of defence: log the failure with a trace id, tell the user something went wrong, nothing more."""

from __future__ import annotations

import logging
from typing import Protocol

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from bot.context import BotContext
from bot.handlers.common import language_of
from bot.logs import new_trace_id, trace_id_var

log = logging.getLogger(__name__)


class ErrorReporter(Protocol):
    """Tells someone (the admins) about an error; rate-limits itself and returns at once."""

    def report(self, trace_id: str, error: BaseException | None) -> None:
        """Report one error by its trace id; must not block or raise."""


async def on_error(update: object, context: BotContext, reporter: ErrorReporter | None = None) -> None:
    """Logs the exception under a short trace id, reports it (``reporter``) and apologises to the user with that id."""
    trace_id = new_trace_id()
    token = trace_id_var.set(trace_id)
    try:
        log.error("unhandled error while processing an update", exc_info=context.error)
        if reporter is not None and not isinstance(context.error, Forbidden):  # a block is not our failure
            reporter.report(trace_id, context.error)
        # A blocked bot (Forbidden) has nobody to tell.
        if (
            isinstance(update, Update)
            and update.effective_chat is not None
            and not isinstance(context.error, Forbidden)
        ):
            await _apologise(update, context, update.effective_chat.id, trace_id)
    finally:
        trace_id_var.reset(token)


async def _apologise(update: Update, context: BotContext, chat_id: int, trace_id: str) -> None:
    """Tells the user something went wrong, with the trace id to quote; a failure to tell is only logged."""
    text = context.services.texts.get(language_of(update, context), "error.generic", trace_id=trace_id)
    try:
        await context.bot.send_message(chat_id, text)
    except (NetworkError, TelegramError) as exc:
        log.warning("could not tell the user about error %s: %s", trace_id, exc)

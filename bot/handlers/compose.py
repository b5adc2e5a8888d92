"""Composing from any entry point (typed prompt, guided mode, preset): submit, or explain why not."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.context import BotContext
from bot.errors_map import telling
from bot.handlers.common import answer_submission, requester


async def compose(update: Update, context: BotContext, text: str | None, **overrides: Any) -> None:
    """Submit ``text``; a bad prompt is answered and costs nothing; a refusal is explained."""
    who, language = await requester(update, context)
    studio = context.services.studio
    if overrides.get("engine") is None and studio.catalogue is not None:  # the user's /engine choice, if offered
        chosen = await context.services.engine_choices.chosen(who.telegram_id)
        overrides["engine"] = chosen if chosen is not None and studio.catalogue.find(chosen) else None
    async with telling(context, who.chat_id, language):  # a bad prompt or a refusal: its text, nothing spent
        submission = await studio.compose(who, text, **overrides)
        await answer_submission(context, who.chat_id, language, submission)

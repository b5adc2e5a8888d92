"""Answers for what no other handler took: unknown commands and messages the bot cannot read."""

from __future__ import annotations

import html

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import language_of


async def unknown_command(update: Update, context: BotContext) -> None:
    """Politely says the command is unknown and points to /help."""
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0].split("@")[0][:64]
    await message.reply_text(
        context.services.texts.get(language_of(update, context), "unknown.command", command=html.escape(command)),
        parse_mode="HTML",
    )


async def unreadable(update: Update, context: BotContext) -> None:
    """Answers stickers, photos, voice notes and the like with what the bot can do."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.services.texts.get(language_of(update, context), "unknown.text"))


async def expired_button(update: Update, context: BotContext) -> None:
    """A press on a button no handler knows (an old keyboard, or forged data): say it expired."""
    assert update.callback_query is not None
    await update.callback_query.answer(context.services.texts.get(language_of(update, context), "callback.expired"))

"""Prompts: ``/generate <prompt>``, any plain text, and the "Buy credits" button of a blocked user."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers import guided
from bot.handlers.common import requester, reset_values
from bot.handlers.compose import compose


async def generate_command(update: Update, context: BotContext) -> None:
    """``/generate <prompt>`` composes it; ``/generate`` alone opens the guided mode."""
    message = update.effective_message
    assert message is not None and message.text is not None
    prompt = message.text.partition(" ")[2] if " " in message.text.strip() else ""
    if not prompt.strip():
        await guided.open_guided(update, context)
        return
    await compose(update, context, prompt)


async def prompt_message(update: Update, context: BotContext) -> None:
    """Any plain text in a private chat is a prompt."""
    assert update.effective_message is not None
    await compose(update, context, update.effective_message.text)


async def buy_button(update: Update, context: BotContext) -> None:
    """The "Buy credits" button: says when the free quota resets (credit packs are sold by the payments feature)."""
    query = update.callback_query
    assert query is not None
    who, language = await requester(update, context)
    balance = await context.services.studio.balance(who)
    values = reset_values(balance, context.services.clock(), context.services.settings.quota_timezone)
    await query.answer(context.services.texts.get(language, "buy.soon", **values), show_alert=True)

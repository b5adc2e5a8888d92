"""Prompts: ``/generate <prompt>``, any plain text, and the "Buy credits" button of a blocked user."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers import guided
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

"""Small helpers shared by handlers: who is talking, in which language, and remembering them."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from storage import User


async def remember(update: Update, context: BotContext, start_payload: str | None = None) -> tuple[User, bool]:
    """Record the sender as seen now; returns the stored user and whether this is their first contact."""
    sender = update.effective_user
    assert sender is not None  # handlers using this are registered for user updates only
    services = context.services
    return await services.users.seen(
        telegram_id=sender.id,
        fingerprint=services.fingerprint(sender.id),
        first_name=sender.first_name,
        username=sender.username,
        language=services.texts.language_for(sender.language_code),
        now=services.clock(),
        start_payload=start_payload,
    )


def language_of(update: Update) -> str | None:
    """The sender's Telegram language code, if any."""
    return update.effective_user.language_code if update.effective_user else None

"""``/invite``: the person's own invitation link; rewards are paid on delivery (see ``billing.referrals``)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import remember


async def invite_command(update: Update, context: BotContext) -> None:
    """Replies with the personal deep link and what both sides get."""
    user, _ = await remember(update, context)
    referrals = context.services.referrals
    assert referrals is not None and update.effective_message is not None
    link = f"https://t.me/{context.bot.username}?start={referrals.payload(user.fingerprint)}"
    text = context.services.texts.get(user.language, "invite.text", credits=referrals.credits, link=link)
    await update.effective_message.reply_text(text)

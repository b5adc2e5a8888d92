"""/link: a one-time code that joins a web studio session to this Telegram account."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot.context import BotContext
from bot.handlers.common import requester
from bot.studio.web import LINK_CODE_TTL


async def link_command(update: Update, context: BotContext) -> None:
    """Sends a code valid for ten minutes (stored hashed); entered on the web page, it joins that browser here."""
    who, language = await requester(update, context)
    services = context.services
    code = await services.web_visitors.new_link_code(who.telegram_id, who.fingerprint, services.clock())
    minutes = int(LINK_CODE_TTL.total_seconds() // 60)
    text = services.texts.get(language, "link.code", code=code, minutes=minutes)
    await context.bot.send_message(who.chat_id, text, parse_mode=ParseMode.HTML)

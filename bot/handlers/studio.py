"""/studio: a button that opens the studio page (a Mini App when PUBLIC_BASE_URL is https)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo

from bot.context import BotContext
from bot.handlers.common import requester


async def studio_command(update: Update, context: BotContext) -> None:
    """Sends a web_app button (https), a plain link (http), or says the studio is not set up."""
    who, language = await requester(update, context)
    texts, web = context.services.texts, context.services.web
    app_url, page_url = web.mini_app_url, web.page_url
    if app_url is not None:
        button = InlineKeyboardButton(texts.get(language, "studio.open"), web_app=WebAppInfo(app_url))
    elif page_url is not None:
        button = InlineKeyboardButton(texts.get(language, "studio.open"), url=page_url)
    else:
        await context.bot.send_message(who.chat_id, texts.get(language, "studio.unavailable"))
        return
    markup = InlineKeyboardMarkup([[button]])
    await context.bot.send_message(who.chat_id, texts.get(language, "studio.intro"), reply_markup=markup)

"""Teasers in the chat: the admin's ``/teaser``, and listeners arriving from a teaser's "Make yours" link."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.callbacks import TeaserCompose
from bot.context import BotContext
from bot.handlers.admin import audit
from bot.handlers.common import language_of
from bot.handlers.compose import compose
from bot.teaser_courier import teaser_report
from storage import Teaser

_PAYLOAD = re.compile(r"^teaser_(\d{1,12})$")


async def teaser_command(update: Update, context: BotContext) -> None:
    """Admins only (see bot/app.py): post a teaser now, outside the daily slot, and say how it went (or, when the
    workers render, that one of them will post it and report here)."""
    await audit(update, context, "teaser")
    services, language = context.services, language_of(update, context)
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and services.admin_teasers is not None
    result = await services.admin_teasers.post_now(message.chat_id, user.id)  # queued: a worker reports later
    await message.reply_text(teaser_report(services.texts, language, result), parse_mode=ParseMode.HTML)


async def teaser_for(context: BotContext, payload: str | None) -> Teaser | None:
    """The posted teaser a ``/start teaser_<id>`` payload names, or None (no payload, garbled, unknown)."""
    match = _PAYLOAD.match(payload or "")
    if match is None or context.services.teasers is None:
        return None
    return await context.services.teasers.find_posted(int(match[1]))


async def offer(update: Update, context: BotContext, teaser: Teaser, language: str) -> None:
    """Shows the teaser's prompt with a button that composes it."""
    texts = context.services.texts
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.get(language, "teaser.compose"), callback_data=TeaserCompose(teaser.id).pack())]]
    )
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        texts.get(language, "teaser.offer", prompt=html.escape(teaser.prompt or "")),
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
    )


async def compose_button(update: Update, context: BotContext) -> None:
    """The "Compose this" button under a teaser offer: composes its prompt the usual way (quota and all)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    teaser = await teaser_for(context, f"teaser_{TeaserCompose.unpack(query.data).teaser}")
    if teaser is None or teaser.prompt is None:
        await query.answer(context.services.texts.get(language_of(update, context), "callback.expired"))
        return
    await query.answer()
    await compose(update, context, teaser.prompt)

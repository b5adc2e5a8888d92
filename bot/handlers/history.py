"""``/history``: the user's tracks, paged, each one re-sendable."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.clip import clip_lines
from bot.context import BotContext
from bot.handlers.common import requester
from bot.handlers.tracks import send_file
from scheduler.studio import StudioError


async def history_command(update: Update, context: BotContext) -> None:
    """Shows the first page of the user's tracks."""
    await _show(update, context, page=1, edit=False)


async def history_button(update: Update, context: BotContext) -> None:
    """``hist:<page>`` turns the page; ``re:<job id>`` sends that track again."""
    query = update.callback_query
    assert query is not None and query.data is not None
    kind, _, value = query.data.partition(":")
    # ASCII digits only ("²".isdigit() is True), and no more than SQLite's integers hold.
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**63:
        await query.answer(context.services.texts.get(None, "callback.expired"))
        return
    if kind == "hist":
        await query.answer()
        await _show(update, context, page=int(value), edit=True)
        return
    who, language = await requester(update, context)
    try:
        job = await context.services.studio.owned(who, int(value))
    except StudioError as exc:
        await query.answer(context.services.texts.get(language, exc.key), show_alert=True)
        return
    await query.answer()
    if kind == "ly":  # the words as the user wrote them, as plain text (no markup is read from them)
        await context.bot.send_message(who.chat_id, job.lyrics or context.services.texts.get(language, "track.gone"))
        return
    await send_file(context, who.chat_id, job, "re", language)


async def _show(update: Update, context: BotContext, *, page: int, edit: bool) -> None:
    who, language = await requester(update, context)
    t, zone = context.services.texts, context.services.settings.quota_zone
    listing = await context.services.studio.history(who, page)
    if not listing.jobs:
        await context.bot.send_message(who.chat_id, t.get(language, "history.empty"))
        return
    first = (listing.page - 1) * 5 + 1
    lines = [t.get(language, "history.title", page=listing.page, pages=listing.pages)]
    buttons, lyric_buttons = [], []
    for number, job in enumerate(listing.jobs, start=first):
        when = f"{job.created_at.astimezone(zone):%Y-%m-%d %H:%M}"
        lines.append(
            t.get(language, "history.item", number=number, title=html.escape(job.title or job.prompt[:40]), when=when)
        )
        buttons.append(InlineKeyboardButton(f"▶️ {number}", callback_data=f"re:{job.id}"))
        if job.lyrics:
            lyric_buttons.append(
                InlineKeyboardButton(t.get(language, "button.lyrics", number=number), callback_data=f"ly:{job.id}")
            )
    nav = []
    if listing.page > 1:
        nav.append(InlineKeyboardButton(t.get(language, "history.prev"), callback_data=f"hist:{listing.page - 1}"))
    if listing.page < listing.pages:
        nav.append(InlineKeyboardButton(t.get(language, "history.next"), callback_data=f"hist:{listing.page + 1}"))
    markup = InlineKeyboardMarkup([row for row in (buttons, lyric_buttons, nav) if row])
    text = clip_lines(lines)  # whole lines: an HTML entity or tag is never cut in half
    if edit and update.callback_query is not None:
        await update.callback_query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)
    else:
        await context.bot.send_message(who.chat_id, text, parse_mode="HTML", reply_markup=markup)

"""``/history [words]``: the user's tracks with their length, paged or searched, each re-sendable or deletable."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.callbacks import HISTORY, Delete, HistoryPage, JobButton, Lyrics, Replay, unpack_any
from bot.clip import clip_lines
from bot.context import BotContext
from bot.errors_map import answers_errors
from bot.handlers.common import requester
from bot.handlers.tracks import send_file
from compose.history import history_page
from compose.studio import HISTORY_PAGE
from storage import Job

#: Words of a search (``/history lofi``) beyond ``MAX_WORDS`` are ignored.
MAX_WORDS = 6


async def history_command(update: Update, context: BotContext) -> None:
    """Shows the first page of the user's tracks, or those matching the words after /history."""
    words = " ".join(context.args or [])[:64].split()[:MAX_WORDS]
    await _show(update, context, page=1, edit=False, words=words)


@answers_errors  # a StudioError (not yours, gone) is answered as an alert with its text
async def history_button(update: Update, context: BotContext) -> None:
    """A history button (:data:`bot.callbacks.HISTORY`): turns the page, sends a track or its lyrics, deletes one."""
    query = update.callback_query
    assert query is not None and query.data is not None
    button = unpack_any(query.data, *HISTORY)  # registered with their pattern, so it unpacks
    if isinstance(button, HistoryPage):
        await query.answer()
        await _show(update, context, page=button.page, edit=True)
    elif isinstance(button, Delete):
        await _delete(update, context, button.job)
    else:
        assert isinstance(button, JobButton)
        await _send_job(update, context, button)


async def _delete(update: Update, context: BotContext, job_id: int) -> None:
    """Deletes the track, says so, and shows the first page again."""
    assert update.callback_query is not None
    who, language = await requester(update, context)
    deleted = await context.services.tracks.delete(who.telegram_id, job_id, context.services.clock())
    await update.callback_query.answer(
        context.services.texts.get(language, "history.deleted" if deleted else "track.gone")
    )
    await _show(update, context, page=1, edit=True)


async def _send_job(update: Update, context: BotContext, button: JobButton) -> None:
    """Sends the track again, or its lyrics as plain text (no markup is read from the words the user wrote)."""
    assert update.callback_query is not None
    who, language = await requester(update, context)
    job = await context.services.studio.owned(who, button.job)
    await update.callback_query.answer()
    if isinstance(button, Lyrics):
        await context.bot.send_message(who.chat_id, job.lyrics or context.services.texts.get(language, "track.gone"))
        return
    await send_file(context, who.chat_id, job, "re", language)


async def _show(update: Update, context: BotContext, *, page: int, edit: bool, words: list[str] | None = None) -> None:
    who, language = await requester(update, context)
    t = context.services.texts
    found = await history_page(context.services.tracks, who.telegram_id, page, words or [])
    if words and not found.jobs:
        text = t.get(language, "history.no_match", query=html.escape(" ".join(words)))
        await context.bot.send_message(who.chat_id, text)
    elif not found.jobs:
        await _put(update, context, who.chat_id, edit, t.get(language, "history.empty"), None)
    else:
        text, markup = _listing(context, language, found.jobs, found.page, found.pages)
        await _put(update, context, who.chat_id, edit, text, markup)


async def _put(
    update: Update, context: BotContext, chat_id: int, edit: bool, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the listing in place (a second tap on the same button changes nothing), or send it."""
    if not edit or update.callback_query is None:
        await context.bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)
        return
    try:
        await update.callback_query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def _listing(
    context: BotContext, language: str, jobs: list[Job], page: int, pages: int
) -> tuple[str, InlineKeyboardMarkup]:
    t, zone = context.services.texts, context.services.quota.zone
    first = (page - 1) * HISTORY_PAGE + 1
    lines = [t.get(language, "history.title", page=page, pages=pages)]
    play, delete, lyric_buttons = [], [], []
    for number, job in enumerate(jobs, start=first):
        when = f"{job.created_at.astimezone(zone):%Y-%m-%d %H:%M}"
        title = html.escape(job.title or job.prompt[:40])
        if job.duration:
            line = t.get(
                language, "history.item_length", number=number, title=title, seconds=round(job.duration), when=when
            )
        else:
            line = t.get(language, "history.item", number=number, title=title, when=when)
        lines.append(line)
        play.append(InlineKeyboardButton(f"▶️ {number}", callback_data=Replay(job.id).pack()))
        delete.append(InlineKeyboardButton(f"🗑 {number}", callback_data=Delete(job.id).pack()))
        if job.lyrics:  # a song: its words, as plain text
            lyric_buttons.append(
                InlineKeyboardButton(
                    t.get(language, "button.lyrics", number=number), callback_data=Lyrics(job.id).pack()
                )
            )
    nav = []
    if page > 1:
        nav.append(InlineKeyboardButton(t.get(language, "history.prev"), callback_data=HistoryPage(page - 1).pack()))
    if page < pages:
        nav.append(InlineKeyboardButton(t.get(language, "history.next"), callback_data=HistoryPage(page + 1).pack()))
    rows = [group[i : i + 5] for group in (play, delete, lyric_buttons) for i in range(0, len(group), 5)]
    # Whole lines: an HTML entity or tag is never cut in half.
    return clip_lines(lines), InlineKeyboardMarkup([*rows, nav] if nav else rows)

"""Inline mode: ``@CloudMusicBot <words>`` in any chat lists the sender's own delivered tracks to send there.

Results are the audio already on Telegram's servers (``InlineQueryResultCachedAudio`` by file id, no upload),
newest first, ``PAGE`` at a time with ``next_offset``; ``#<id>`` picks one track (the "📤 Send to a chat"
button under a delivered track types it). Only the sender's tracks are ever listed, and the answer is personal
and cached briefly, so nobody sees anybody else's music. Inline mode must be switched on with @BotFather.
"""

from __future__ import annotations

import html

from telegram import InlineQueryResultCachedAudio, InlineQueryResultsButton, Update
from telegram.constants import ParseMode

from bot.context import BotContext
from bot.handlers.common import language_of
from bot.texts import Texts
from compose.history import INLINE_PAGE, inline_tracks
from storage import Job

#: Results per answer (Telegram allows up to 50).
PAGE = INLINE_PAGE
#: Seconds Telegram may reuse an answer for the same person and query: short, so a new track shows up soon.
CACHE_SECONDS = 10
#: The deep-link payload of the "make your first track" button.
START_PARAMETER = "inline"
_MAX_OFFSET = 10_000


def parse_offset(offset: str) -> int:
    """The offset we sent as ``next_offset`` (ASCII digits), else 0."""
    if offset.isascii() and offset.isdigit() and int(offset) <= _MAX_OFFSET:
        return int(offset)
    return 0


async def inline_query(update: Update, context: BotContext) -> None:
    """Answers with the sender's matching tracks, or a button that opens the bot when there are none."""
    query = update.inline_query
    assert query is not None
    language, texts = language_of(update, context), context.services.texts
    offset = parse_offset(query.offset)
    jobs, more = await inline_tracks(context.services.tracks, query.from_user.id, query.query, offset)
    results = _results(texts, language, jobs)
    button = None
    if not results and offset == 0:
        button = InlineQueryResultsButton(texts.get(language, "inline.open_bot"), start_parameter=START_PARAMETER)
    next_offset = str(offset + PAGE) if more else ""
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True, next_offset=next_offset, button=button)


def _results(texts: Texts, language: str | None, jobs: list[Job]) -> list[InlineQueryResultCachedAudio]:
    """One cached audio per track Telegram holds (by its file id: no upload), captioned with its prompt."""
    return [
        InlineQueryResultCachedAudio(
            id=f"t{job.id}",
            audio_file_id=job.file_id,
            caption=texts.get(language, "caption.prompt", prompt=html.escape(job.prompt[:200])),
            parse_mode=ParseMode.HTML,
        )
        for job in jobs
        if job.file_id is not None
    ]

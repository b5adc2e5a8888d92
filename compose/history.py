"""Which of a user's delivered tracks ``/history`` or an inline query shows: paged, searched or picked by id.

Framework-free (issue 14): the handlers only render what these return.
"""

from __future__ import annotations

import math

from compose.studio import HISTORY_PAGE, HistoryPage
from storage import Job, TrackRepository

#: A search (``/history lofi``) shows this many matches on one page.
SEARCH_RESULTS = 10


async def history_page(tracks: TrackRepository, telegram_id: int, page: int, words: list[str]) -> HistoryPage:
    """The matches for ``words`` (one page), or page ``page`` (1-based, clamped) of all the user's tracks."""
    if words:
        return HistoryPage(await tracks.search(telegram_id, words, limit=SEARCH_RESULTS), 1, 1)
    pages = max(1, math.ceil(await tracks.count(telegram_id, []) / HISTORY_PAGE))
    page = min(max(1, page), pages)
    return HistoryPage(
        await tracks.search(telegram_id, [], limit=HISTORY_PAGE, offset=(page - 1) * HISTORY_PAGE), page, pages
    )


#: Inline mode: results per answer (Telegram allows up to 50); words of a query that count; the rest is ignored.
INLINE_PAGE = 10
INLINE_MAX_CHARS = 64
INLINE_MAX_WORDS = 6


async def inline_tracks(tracks: TrackRepository, telegram_id: int, text: str, offset: int) -> tuple[list[Job], bool]:
    """The sender's tracks an inline query asks for, from ``offset``, and whether more follow.

    ``#<id>`` picks one track (the "📤 Send to a chat" button types it); other text searches every word of it.
    """
    text = text.strip()[:INLINE_MAX_CHARS]
    pick = text.removeprefix("#")
    if text.startswith("#") and pick.isascii() and pick.isdigit() and 0 < int(pick) < 2**63:
        one = await tracks.one(telegram_id, int(pick))
        return ([one] if one is not None and offset == 0 else []), False
    words = text.split()[:INLINE_MAX_WORDS]
    found = await tracks.search(telegram_id, words, limit=INLINE_PAGE + 1, offset=offset)
    return found[:INLINE_PAGE], len(found) > INLINE_PAGE

"""``/history``: which of a user's delivered tracks one page shows, paged or searched (issue 14: out of the handler)."""

from __future__ import annotations

import math

from scheduler.studio import HISTORY_PAGE, HistoryPage
from storage import TrackRepository

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

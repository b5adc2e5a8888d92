"""A user's delivered tracks as a searchable shelf: inline mode and /history search read it."""

from __future__ import annotations

from storage.database import Database
from storage.jobs import Job


def _like(word: str) -> str:
    """A LIKE pattern matching ``word`` anywhere, with LIKE's own wildcards taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class TrackRepository:
    """Reads delivered tracks (``jobs`` rows with a Telegram file id) of one user at a time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def search(self, telegram_id: int, words: list[str], *, limit: int, offset: int = 0) -> list[Job]:
        """The user's delivered tracks whose prompt or title holds every word (any case), newest first."""
        where = ["telegram_id = ?", "status = 'delivered'", "file_id IS NOT NULL"]
        params: list[object] = [telegram_id]
        for word in words:
            where.append("(prompt LIKE ? ESCAPE '\\' OR COALESCE(title, '') LIKE ? ESCAPE '\\')")
            params += [_like(word), _like(word)]
        rows = await self._db.fetchall(
            f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [Job.from_row(r) for r in rows]

    async def one(self, telegram_id: int, job_id: int) -> Job | None:
        """The user's delivered track ``job_id``, or None (another user's track is None too)."""
        row = await self._db.fetchone(
            "SELECT * FROM jobs WHERE id = ? AND telegram_id = ? AND status = 'delivered' AND file_id IS NOT NULL",
            (job_id, telegram_id),
        )
        return None if row is None else Job.from_row(row)

"""A user's delivered tracks as a searchable shelf: inline mode and /history search read it."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.jobs import Job


def _like(word: str) -> str:
    """A LIKE pattern matching ``word`` anywhere, with LIKE's own wildcards taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(telegram_id: int, words: list[str]) -> tuple[str, list[object]]:
    """The WHERE clause for a user's shelf: delivered, with a file id, not deleted, holding every word."""
    where = ["telegram_id = ?", "status = 'delivered'", "file_id IS NOT NULL", "deleted_at IS NULL"]
    params: list[object] = [telegram_id]
    for word in words:
        where.append("(prompt LIKE ? ESCAPE '\\' OR COALESCE(title, '') LIKE ? ESCAPE '\\')")
        params += [_like(word), _like(word)]
    return " AND ".join(where), params


class TrackRepository:
    """Reads delivered tracks (``jobs`` rows with a Telegram file id) of one user at a time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def search(self, telegram_id: int, words: list[str], *, limit: int, offset: int = 0) -> list[Job]:
        """The user's delivered tracks whose prompt or title holds every word (any case), newest first."""
        where, params = _matching(telegram_id, words)
        rows = await self._db.fetchall(
            f"SELECT * FROM jobs WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)
        )
        return [Job.from_row(r) for r in rows]

    async def count(self, telegram_id: int, words: list[str]) -> int:
        """How many of the user's delivered tracks ``search`` would list in all."""
        where, params = _matching(telegram_id, words)
        return int(await self._db.scalar(f"SELECT COUNT(*) FROM jobs WHERE {where}", tuple(params)))

    async def delete(self, telegram_id: int, job_id: int, now: datetime) -> bool:
        """Take the user's track ``job_id`` off their shelf (history, inline); False if not theirs or gone."""
        rows = await self._db.write_returning(
            "UPDATE jobs SET deleted_at = ? WHERE id = ? AND telegram_id = ? AND deleted_at IS NULL RETURNING id",
            (now.isoformat(), job_id, telegram_id),
        )
        return len(rows) == 1

    async def one(self, telegram_id: int, job_id: int) -> Job | None:
        """The user's delivered track ``job_id``, or None (another user's track is None too)."""
        row = await self._db.fetchone(
            "SELECT * FROM jobs WHERE id = ? AND telegram_id = ? AND status = 'delivered' AND file_id IS NOT NULL "
            "AND deleted_at IS NULL",
            (job_id, telegram_id),
        )
        return None if row is None else Job.from_row(row)

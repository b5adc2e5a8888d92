"""Song drafts: a ``/song`` message (style, lyrics, model) waiting for its owner's "compose" button.

The draft lives in the database, not in the process, so the confirm button works after a restart and on any
replica (PTB keeps ``user_data`` in memory; ``callback_data`` holds at most 64 bytes, too few for lyrics). Taking
a draft deletes it in the same statement, so a double tap composes once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.database import Database


@dataclass(frozen=True, slots=True)
class SongDraft:
    """What a ``/song`` message asked for."""

    id: int
    telegram_id: int
    style: str  # the first line: a prompt, parameters such as engine= or 45s allowed
    lyrics: str | None  # None: an instrumental, chosen explicitly
    offer: str  # the catalogue key of the model that will sing it
    created_at: datetime


class SongDraftRepository:
    """Reads and writes ``song_drafts``; each write is a single statement."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, telegram_id: int, style: str, lyrics: str | None, offer: str, now: datetime) -> int:
        """Keep a draft; returns its id."""
        return await self._db.execute(
            "INSERT INTO song_drafts (telegram_id, style, lyrics, offer, created_at) VALUES (?, ?, ?, ?, ?)",
            (telegram_id, style, lyrics, offer, now.isoformat()),
        )

    async def take(self, draft_id: int, telegram_id: int) -> SongDraft | None:
        """Remove and return the owner's draft; None when it is gone (used, cancelled) or someone else's."""
        rows = await self._db.write_returning(
            "DELETE FROM song_drafts WHERE id = ? AND telegram_id = ? "
            "RETURNING id, telegram_id, style, lyrics, offer, created_at",
            (draft_id, telegram_id),
        )
        if not rows:
            return None
        row = rows[0]
        return SongDraft(
            id=int(row["id"]),
            telegram_id=int(row["telegram_id"]),
            style=str(row["style"]),
            lyrics=row["lyrics"],
            offer=str(row["offer"]),
            created_at=datetime.fromisoformat(row["created_at"]),
        )


class EngineChoiceRepository:
    """Each user's default engine/model (a catalogue key), chosen with ``/engine <name>``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def choose(self, telegram_id: int, offer: str, now: datetime) -> None:
        """Remember ``offer`` as the user's default (replacing any earlier choice)."""
        await self._db.execute(
            "INSERT INTO engine_choices (telegram_id, offer, chosen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (telegram_id) DO UPDATE SET offer = excluded.offer, chosen_at = excluded.chosen_at",
            (telegram_id, offer, now.isoformat()),
        )

    async def chosen(self, telegram_id: int) -> str | None:
        """The user's default, or None when they never chose one."""
        row = await self._db.fetchone("SELECT offer FROM engine_choices WHERE telegram_id = ?", (telegram_id,))
        return None if row is None else str(row[0])


class LyricWriteRepository:
    """The lyric writer's runs per user and day (``LYRICS_DAILY_LIMIT`` free writes a day)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def reserve(self, telegram_id: int, day: date, limit: int, now: datetime) -> int | None:
        """Count a write if the user has had fewer than ``limit`` today (one statement); its id, else None."""
        rows = await self._db.write_returning(
            """
            INSERT INTO lyric_writes (telegram_id, day, created_at)
            SELECT ?, ?, ?
            WHERE (SELECT COUNT(*) FROM lyric_writes WHERE telegram_id = ? AND day = ? AND failed = 0) < ?
            RETURNING id
            """,
            (telegram_id, day.isoformat(), now.isoformat(), telegram_id, day.isoformat(), limit),
        )
        return int(rows[0]["id"]) if rows else None

    async def fail(self, write_id: int) -> None:
        """A write the model could not do does not count against the day."""
        await self._db.execute("UPDATE lyric_writes SET failed = 1 WHERE id = ?", (write_id,))

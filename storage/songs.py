"""Song drafts: a ``/song`` message (style, lyrics, model) waiting for its owner's "compose" button.

The draft lives in the database, not in the process, so the confirm button works after a restart and on any
replica (PTB keeps ``user_data`` in memory; ``callback_data`` holds at most 64 bytes, too few for lyrics). Taking
a draft deletes it in the same statement, so a double tap composes once.

``/song`` asked step by step keeps its draft here too: ``stage`` says which answer it waits for (``style``, then
``lyrics`` — or ``theme`` for the AI writer), and ``ready`` drafts wait for the confirm button. Each step moves the
draft on in one ``UPDATE … WHERE stage = ?``, so two quick messages cannot both be taken for the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from storage.database import Database, Row

Stage = Literal["style", "lyrics", "theme", "ready"]
#: The stages that wait for the user's next message.
WAITING: tuple[Stage, ...] = ("style", "lyrics", "theme")
_COLUMNS = "id, telegram_id, style, lyrics, offer, created_at, stage, theme"


@dataclass(frozen=True, slots=True)
class SongDraft:
    """What a ``/song`` message asked for."""

    id: int
    telegram_id: int
    style: str  # the first line: a prompt, parameters such as engine= or 45s allowed
    lyrics: str | None  # None: an instrumental, chosen explicitly
    offer: str  # the catalogue key of the model that will sing it
    created_at: datetime
    stage: Stage = "ready"  # what the draft waits for: an answer typed in a step, or the confirm button
    theme: str | None = None  # what the AI writer was asked to write about (None: the style is the theme)

    @classmethod
    def from_row(cls, row: Row) -> SongDraft:
        """Build a draft from a ``song_drafts`` row."""
        return cls(
            id=int(row["id"]),
            telegram_id=int(row["telegram_id"]),
            style=str(row["style"]),
            lyrics=row["lyrics"],
            offer=str(row["offer"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            stage=row["stage"],
            theme=row["theme"],
        )


class SongDraftRepository:
    """Reads and writes ``song_drafts``; each write is a single statement."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        telegram_id: int,
        style: str,
        lyrics: str | None,
        offer: str,
        now: datetime,
        *,
        stage: Stage = "ready",
        theme: str | None = None,
    ) -> int:
        """Keep a draft; returns its id."""
        return await self._db.execute(
            "INSERT INTO song_drafts (telegram_id, style, lyrics, offer, created_at, stage, theme) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (telegram_id, style, lyrics, offer, now.isoformat(), stage, theme),
        )

    async def take(self, draft_id: int, telegram_id: int, *, ready_only: bool = False) -> SongDraft | None:
        """Remove and return the owner's draft; None when it is gone (used, cancelled) or someone else's.
        ``ready_only``: only a draft that waits for its confirm button (not one still asking a step)."""
        rows = await self._db.write_returning(
            f"DELETE FROM song_drafts WHERE id = ? AND telegram_id = ? AND (? = 0 OR stage = 'ready') "
            f"RETURNING {_COLUMNS}",
            (draft_id, telegram_id, int(ready_only)),
        )
        return SongDraft.from_row(rows[0]) if rows else None

    async def get(self, draft_id: int, telegram_id: int) -> SongDraft | None:
        """The owner's draft, or None."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM song_drafts WHERE id = ? AND telegram_id = ?", (draft_id, telegram_id)
        )
        return None if row is None else SongDraft.from_row(row)

    async def waiting(self, telegram_id: int) -> SongDraft | None:
        """The user's newest draft that waits for a typed answer (style, lyrics or theme), if any."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM song_drafts WHERE telegram_id = ? AND stage IN ('style', 'lyrics', 'theme') "
            "ORDER BY id DESC LIMIT 1",
            (telegram_id,),
        )
        return None if row is None else SongDraft.from_row(row)

    async def advance(
        self,
        draft: SongDraft,
        stage: Stage,
        *,
        style: str | None = None,
        lyrics: str | None = None,
        offer: str | None = None,
        theme: str | None = None,
        now: datetime,
    ) -> SongDraft | None:
        """Move ``draft`` from its stage to ``stage`` at ``now`` (its ``created_at``: a step's wait counts from
        the last answer), setting the given fields (None keeps a field); None when the draft has moved on
        already or is gone (a second message, a cancel)."""
        rows = await self._db.write_returning(
            "UPDATE song_drafts SET stage = ?, style = COALESCE(?, style), lyrics = COALESCE(?, lyrics), "
            "offer = COALESCE(?, offer), theme = COALESCE(?, theme), created_at = ? "
            f"WHERE id = ? AND telegram_id = ? AND stage = ? RETURNING {_COLUMNS}",
            (stage, style, lyrics, offer, theme, now.isoformat(), draft.id, draft.telegram_id, draft.stage),
        )
        return SongDraft.from_row(rows[0]) if rows else None

    async def drop_waiting(self, telegram_id: int) -> None:
        """Forget the user's drafts still asking a step (a new /song starts afresh)."""
        await self._db.execute(
            "DELETE FROM song_drafts WHERE telegram_id = ? AND stage IN ('style', 'lyrics', 'theme')", (telegram_id,)
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

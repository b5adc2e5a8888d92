"""Who created the database: the sandbox or a real bot. The sandbox must never open a real bot's data.

In sandbox mode anyone who can reach the sandbox page acts as any user (the first admin included), so a database
that a real token has used is refused by the sandbox, and a sandbox database is refused by a real bot (its users,
payments and credits are made up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.database import Database, StorageError

Mode = Literal["sandbox", "telegram"]


class OwnerMismatch(StorageError):
    """The database was created in the other mode; the message says which and what to do."""


@dataclass(frozen=True, slots=True)
class Owner:
    """The mode and bot id that created a database."""

    mode: Mode
    bot_id: int
    created_at: str


async def owner(db: Database) -> Owner | None:
    """The recorded creator of ``db``, or None before the first claim."""
    row = await db.fetchone("SELECT mode, bot_id, created_at FROM database_owner WHERE id = 1")
    return None if row is None else Owner(row["mode"], int(row["bot_id"]), str(row["created_at"]))


async def claim(db: Database, mode: Mode, bot_id: int, now: datetime) -> Owner:
    """Record ``mode``/``bot_id`` as the creator on first use; raise ``OwnerMismatch`` if the other mode made it.

    A database with users but no owner predates the record: a real bot adopts it, the sandbox refuses it (it may
    be a production copy).
    """
    found = await owner(db)
    if found is None:  # first use: record it (a read first, so a read-only database that is owned still opens)
        try:
            await db.execute(
                "INSERT INTO database_owner (id, mode, bot_id, created_at) "
                "SELECT 1, ?, ?, ? WHERE ? = 'telegram' OR NOT EXISTS (SELECT 1 FROM users) "
                "ON CONFLICT (id) DO NOTHING",
                (mode, bot_id, now.isoformat(), mode),
            )
        except StorageError as exc:
            raise StorageError(f"cannot record who created the database {db.location}: {exc}") from exc
        found = await owner(db)
    if found is None:
        raise OwnerMismatch(
            f"{db.location} already holds users but no record of who created it; the sandbox refuses it "
            "(it may be a real bot's data). Give the sandbox its own DATA_DIR."
        )
    if found.mode != mode:
        made_by = "a real bot token" if found.mode == "telegram" else "the sandbox"
        raise OwnerMismatch(
            f"{db.location} was created by {made_by} (bot id {found.bot_id}) and is refused in {mode} mode; "
            "use a different DATA_DIR"
        )
    return found

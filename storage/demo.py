"""Demo tracks: the Telegram file id of each rendered demo, so it is rendered once and re-sent ever after."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database


class DemoRepository:
    """Reads and writes ``demo_tracks``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def file_id(self, name: str) -> str | None:
        """The stored file id of demo ``name``, or None if it was never sent."""
        row = await self._db.fetchone("SELECT file_id FROM demo_tracks WHERE name = ?", (name,))
        return None if row is None else str(row[0])

    async def remember(self, name: str, file_id: str, now: datetime) -> None:
        """Store (or replace) demo ``name``'s file id."""
        await self._db.execute(
            "INSERT INTO demo_tracks (name, file_id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET file_id = excluded.file_id, created_at = excluded.created_at",
            (name, file_id, now.isoformat()),
        )

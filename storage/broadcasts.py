"""Broadcast records: the text an admin asked to send, whether it was confirmed, and how it went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One broadcast."""

    id: int
    admin_id: int
    text: str
    status: str


class BroadcastRepository:
    """Reads and writes ``broadcasts``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, admin_id: int, text: str, now: datetime) -> int:
        """A pending broadcast awaiting confirmation; returns its id."""
        return await self._db.execute(
            "INSERT INTO broadcasts (admin_id, text, created_at) VALUES (?, ?, ?)", (admin_id, text, now.isoformat())
        )

    async def claim(self, broadcast_id: int, status: str) -> Broadcast | None:
        """Move a pending broadcast to ``status`` (sending or canceled) once; None when it was not pending."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE broadcasts SET status = ? WHERE id = ? AND status = 'pending' RETURNING *",
                (status, broadcast_id),
            )
            row = await cursor.fetchone()
            await cursor.close()
        return None if row is None else Broadcast(row["id"], row["admin_id"], row["text"], row["status"])

    async def finish(self, broadcast_id: int, sent: int, blocked: int, failed: int, now: datetime) -> None:
        """Record the outcome."""
        await self._db.execute(
            "UPDATE broadcasts SET status = 'done', sent = ?, blocked = ?, failed = ?, finished_at = ? WHERE id = ?",
            (sent, blocked, failed, now.isoformat(), broadcast_id),
        )

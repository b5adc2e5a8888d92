"""Support requests: who is about to write to support, and which admin message carries whose words.

Kept in the database, not in memory, so a restart between "/support" and the user's message loses nothing and
never turns that message into a paid prompt.
"""

from __future__ import annotations

from datetime import datetime

from storage.database import Database


class SupportRepository:
    """The ``support_requests`` and ``support_messages`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def open(self, telegram_id: int, topic: str, now: datetime) -> None:
        """Put the user in support mode: their next message goes to the admins (``topic``: support or payment)."""
        await self._db.execute(
            "INSERT INTO support_requests (telegram_id, topic, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (telegram_id) DO UPDATE SET topic = excluded.topic, created_at = excluded.created_at",
            (telegram_id, topic, now.isoformat()),
        )

    async def pending(self, telegram_id: int) -> str | None:
        """The topic of the user's open request, or None when they are not in support mode."""
        value = await self._db.scalar("SELECT topic FROM support_requests WHERE telegram_id = ?", (telegram_id,))
        return None if value is None else str(value)

    async def take(self, telegram_id: int) -> str | None:
        """Close the user's request and return its topic; None if there was none (or another message took it)."""
        rows = await self._db.write_returning(
            "DELETE FROM support_requests WHERE telegram_id = ? RETURNING topic", (telegram_id,)
        )
        return str(rows[0]["topic"]) if rows else None

    async def record_copy(self, admin_id: int, admin_message_id: int, telegram_id: int, now: datetime) -> None:
        """Remember that the admin's message ``admin_message_id`` carries a message from ``telegram_id``."""
        await self._db.execute(
            "INSERT INTO support_messages (admin_id, admin_message_id, telegram_id, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (admin_id, admin_message_id) DO UPDATE "
            "SET telegram_id = excluded.telegram_id, created_at = excluded.created_at",
            (admin_id, admin_message_id, telegram_id, now.isoformat()),
        )

    async def author(self, admin_id: int, admin_message_id: int) -> int | None:
        """Whose support message the admin's message ``admin_message_id`` carries, if any."""
        value = await self._db.scalar(
            "SELECT telegram_id FROM support_messages WHERE admin_id = ? AND admin_message_id = ?",
            (admin_id, admin_message_id),
        )
        return None if value is None else int(value)

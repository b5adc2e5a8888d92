"""The admin audit trail: who did what, when, with which arguments. Append-only (triggers refuse changes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action."""

    id: int
    admin_id: int
    action: str
    arguments: str
    created_at: datetime


class AuditRepository:
    """Appends to and reads ``admin_audit``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, admin_id: int, action: str, arguments: str, now: datetime) -> int:
        """Append one entry; returns its id."""
        return await self._db.execute(
            "INSERT INTO admin_audit (admin_id, action, arguments, created_at) VALUES (?, ?, ?, ?)",
            (admin_id, action, arguments[:1000], now.isoformat()),
        )

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        """The newest entries first."""
        rows = await self._db.fetchall("SELECT * FROM admin_audit ORDER BY id DESC LIMIT ?", (limit,))
        return [
            AuditEntry(r["id"], r["admin_id"], r["action"], r["arguments"], datetime.fromisoformat(r["created_at"]))
            for r in rows
        ]

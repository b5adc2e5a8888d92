"""Third-party API keys (``api_keys``): issued to a Telegram user by an admin, kept only as a SHA-256 hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database, Row


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One issued key (never the key itself)."""

    id: int
    owner_id: int
    name: str
    created_by: int
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> ApiKey:
        """Build an ApiKey from an ``api_keys`` row."""
        revoked = row["revoked_at"]
        return cls(
            id=row["id"],
            owner_id=row["owner_id"],
            name=row["name"],
            created_by=row["created_by"],
            created_at=datetime.fromisoformat(row["created_at"]),
            revoked_at=None if revoked is None else datetime.fromisoformat(revoked),
        )


class ApiKeyRepository:
    """Stores, finds and revokes API keys by their hash."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, *, owner_id: int, name: str, key_hash: str, created_by: int, now: datetime) -> int:
        """Record a new key; returns its id."""
        return await self._db.execute(
            "INSERT INTO api_keys (owner_id, name, key_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
            (owner_id, name, key_hash, created_by, now.isoformat()),
        )

    async def active(self, key_hash: str) -> ApiKey | None:
        """The key with this hash, unless it was revoked."""
        row = await self._db.fetchone("SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,))
        return None if row is None else ApiKey.from_row(row)

    async def revoke(self, key_id: int, now: datetime) -> bool:
        """Revoke key ``key_id``; False when there is no such active key."""
        rows = await self._db.write_returning(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
            (now.isoformat(), key_id),
        )
        return bool(rows)

    async def for_owner(self, owner_id: int) -> list[ApiKey]:
        """Every key issued to ``owner_id``, newest first."""
        rows = await self._db.fetchall("SELECT * FROM api_keys WHERE owner_id = ? ORDER BY id DESC", (owner_id,))
        return [ApiKey.from_row(r) for r in rows]

"""Users: one row per Telegram account, keyed by Telegram id, carrying the quota fingerprint and the ban flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database, Row


@dataclass(frozen=True, slots=True)
class User:
    """A person who has talked to the bot."""

    telegram_id: int
    fingerprint: str
    first_name: str
    username: str | None
    language: str
    banned: bool
    created_at: datetime
    last_seen_at: datetime
    blocked_at: datetime | None = None  # when the user blocked the bot (cleared when they write again)
    chosen_language: str | None = None  # picked with /language; wins over Telegram's language_code

    @classmethod
    def from_row(cls, row: Row) -> User:
        """Build a User from a ``users`` row."""
        chosen = row["chosen_language"] if "chosen_language" in row.keys() else None  # noqa: SIM118 - a Row is no dict
        return cls(
            telegram_id=row["telegram_id"],
            fingerprint=row["fingerprint"],
            first_name=row["first_name"],
            username=row["username"],
            language=chosen or row["language"],
            banned=bool(row["banned"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            last_seen_at=datetime.fromisoformat(row["last_seen_at"]),
            blocked_at=datetime.fromisoformat(row["blocked_at"]) if row["blocked_at"] else None,
            chosen_language=chosen,
        )


class UserRepository:
    """Reads and writes ``users``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def seen(
        self,
        *,
        telegram_id: int,
        fingerprint: str,
        first_name: str,
        username: str | None,
        language: str,
        now: datetime,
        start_payload: str | None = None,
    ) -> tuple[User, bool]:
        """Record that a user was seen now; returns the user and whether this was their first contact."""
        stamp = now.isoformat()
        # One statement, one trip: every message a person sends passes here. ``visits`` is 1 only on the insert.
        rows = await self._db.write_returning(
            """
            INSERT INTO users (telegram_id, fingerprint, first_name, username, language, start_payload,
                               created_at, last_seen_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (telegram_id) DO UPDATE SET
                first_name = excluded.first_name,
                username = excluded.username,
                language = excluded.language,
                last_seen_at = excluded.last_seen_at,
                blocked_at = NULL,
                visits = users.visits + 1
            RETURNING *
            """,
            (telegram_id, fingerprint, first_name, username, language, start_payload, stamp, stamp),
        )
        return User.from_row(rows[0]), rows[0]["visits"] == 1

    async def get(self, telegram_id: int) -> User | None:
        """The user with this Telegram id, or None."""
        row = await self._db.fetchone("SELECT * FROM users WHERE telegram_id = ?", (telegram_id,))
        return None if row is None else User.from_row(row)

    async def choose_language(self, telegram_id: int, language: str | None) -> bool:
        """Remember the language a user picked (None: follow Telegram's again); False when there is no such user."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE users SET chosen_language = ? WHERE telegram_id = ?", (language, telegram_id)
            )
            return cursor.rowcount == 1

    async def chosen_language(self, telegram_id: int) -> str | None:
        """The language a user picked with /language, if any."""
        row = await self._db.fetchone("SELECT chosen_language FROM users WHERE telegram_id = ?", (telegram_id,))
        return None if row is None else row["chosen_language"]

    async def set_banned(self, telegram_id: int, banned: bool) -> bool:
        """Ban or unban; returns False when there is no such user."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("UPDATE users SET banned = ? WHERE telegram_id = ?", (int(banned), telegram_id))
            return cursor.rowcount == 1

    async def mark_blocked(self, telegram_id: int, now: datetime) -> None:
        """Remember that the user blocked the bot, so broadcasts skip them until they write again."""
        await self._db.execute("UPDATE users SET blocked_at = ? WHERE telegram_id = ?", (now.isoformat(), telegram_id))

    async def reachable(self) -> list[int]:
        """Users a broadcast may go to: not banned, not known to have blocked the bot."""
        rows = await self._db.fetchall(
            "SELECT telegram_id FROM users WHERE banned = 0 AND blocked_at IS NULL ORDER BY telegram_id"
        )
        return [int(r[0]) for r in rows]

    async def count(self) -> int:
        """How many users there are."""
        return int(await self._db.scalar("SELECT COUNT(*) FROM users"))

"""The payment inbox: every Stars payment and refund Telegram reports, written down the moment it arrives.

It is a small SQLite database of its own (``DATA_DIR/payments-inbox.db``), not a table in the main one, so that
nothing holding the main database's lock (a long transaction, a stuck writer, a busy disk) can keep a payment from
being recorded. ``synchronous = FULL`` makes every commit durable (fsynced) before ``record`` returns, so an entry
survives the process being killed right after. Entries are settled — credited or refunded in the main database —
afterwards, and whatever is still pending is settled again at start-up.

Errors::

    StorageError    (storage.database)
    └── InboxError  the inbox could not be opened or written
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from storage.database import StorageError

InboxKind = Literal["successful_payment", "refunded_payment"]
InboxStatus = Literal["pending", "settled", "rejected"]

#: How long a write waits for another process holding the inbox (short: it runs before Telegram is answered).
BUSY_TIMEOUT_S = 2.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    charge_id   TEXT NOT NULL,
    telegram_id INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    settled_at  TEXT,
    UNIQUE (kind, charge_id)
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (status) WHERE status = 'pending';
"""


def _create(path: Path) -> None:
    """The directory and an empty file, mode 0600: payments are private, never world-readable even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)


class InboxError(StorageError):
    """The inbox could not be opened or written."""


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One payment or refund as Telegram reported it, and how far it got."""

    id: int
    kind: InboxKind
    charge_id: str  # telegram_payment_charge_id
    telegram_id: int
    chat_id: int
    currency: str
    amount: int
    payload: str
    received_at: datetime
    status: InboxStatus = "pending"
    attempts: int = 0
    last_error: str | None = None
    settled_at: datetime | None = None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> InboxEntry:
        """Build an entry from an ``inbox`` row."""
        values: dict[str, Any] = {f.name: row[f.name] for f in fields(cls)}
        for name in ("received_at", "settled_at"):
            values[name] = None if values[name] is None else datetime.fromisoformat(values[name])
        return cls(**values)


class PaymentInbox:
    """The inbox database: one connection, one statement at a time, every write durable on return."""

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> PaymentInbox:
        """Open (creating if needed, mode 0600) the inbox at ``path``; raises ``InboxError`` if it cannot."""
        conn: aiosqlite.Connection | None = None
        try:
            _create(path)
            conn = await aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout)
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = FULL")  # fsync on every commit: an entry outlives a crash
            await conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            if conn is not None:
                await conn.close()  # aiosqlite's thread is not a daemon
            raise InboxError(f"cannot open the payment inbox {path}: {exc}") from exc
        return cls(path, conn)

    async def close(self) -> None:
        """Close the connection. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await self._conn.close()

    async def record(
        self,
        *,
        kind: InboxKind,
        charge_id: str,
        telegram_id: int,
        chat_id: int,
        currency: str,
        amount: int,
        payload: str,
        now: datetime,
    ) -> InboxEntry:
        """Write an entry durably (a repeat of the same kind and charge returns the first); ``InboxError`` if not."""
        rows = await self._write(
            """
            INSERT INTO inbox (kind, charge_id, telegram_id, chat_id, currency, amount, payload, received_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (kind, charge_id) DO UPDATE SET kind = excluded.kind
            RETURNING *
            """,
            (kind, charge_id, telegram_id, chat_id, currency, amount, payload, now.isoformat()),
        )
        return InboxEntry.from_row(rows[0])

    async def settle(self, entry_id: int, now: datetime, *, rejected: str | None = None) -> None:
        """Mark an entry done: settled, or ``rejected`` with the reason (it can never be credited)."""
        await self._write(
            "UPDATE inbox SET status = ?, settled_at = ?, last_error = COALESCE(?, last_error) WHERE id = ?",
            ("rejected" if rejected else "settled", now.isoformat(), rejected, entry_id),
        )

    async def attempt_failed(self, entry_id: int, error: str) -> None:
        """Count a failed attempt to settle an entry (it stays pending)."""
        await self._write(
            "UPDATE inbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'",
            (error[:500], entry_id),
        )

    async def find(self, kind: InboxKind, charge_id: str) -> InboxEntry | None:
        """The entry for this kind and charge, if any."""
        rows = await self._read("SELECT * FROM inbox WHERE kind = ? AND charge_id = ?", (kind, charge_id))
        return InboxEntry.from_row(rows[0]) if rows else None

    async def pending(self) -> list[InboxEntry]:
        """Entries not yet settled, oldest first."""
        rows = await self._read("SELECT * FROM inbox WHERE status = 'pending' ORDER BY id", ())
        return [InboxEntry.from_row(row) for row in rows]

    async def _write(self, sql: str, params: tuple[object, ...]) -> list[aiosqlite.Row]:
        async with self._lock:
            try:  # one statement: its own transaction, committed (and fsynced) before this returns
                return list(await self._conn.execute_fetchall(sql, params))
            except sqlite3.Error as exc:
                raise InboxError(f"payment inbox write failed: {exc}") from exc

    async def _read(self, sql: str, params: tuple[object, ...]) -> list[aiosqlite.Row]:
        async with self._lock:
            try:
                return list(await self._conn.execute_fetchall(sql, params))
            except sqlite3.Error as exc:
                raise InboxError(f"payment inbox read failed: {exc}") from exc

"""Anonymous web sessions (``web_sessions``) and the one-time ``/link`` codes that join one to a Telegram account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from storage.database import Connection, Database
from storage.ledger import LedgerEntry, LedgerRepository


@dataclass(frozen=True, slots=True)
class WebSession:
    """One browser's session; ``linked_to`` is the Telegram user it was joined to, if any."""

    id: int
    linked_to: int | None


@dataclass(frozen=True, slots=True)
class Linked:
    """A session joined to a Telegram account: who, and how many paid credits moved there."""

    telegram_id: int
    moved: int


class _Refused(Exception):
    """The link cannot happen; rolls its transaction back."""


class WebSessionRepository:
    """Creates and finds sessions by token hash; stores link codes and performs the link."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, token_hash: str, now: datetime, fingerprint_for: Callable[[int], str]) -> int:
        """Record a new session and the user row standing for it (id ``-session id``, ledger key
        ``fingerprint_for(-id)``, marked unreachable on Telegram so broadcasts skip it); returns the session id."""
        stamp = now.isoformat()
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO web_sessions (token_hash, created_at) VALUES (?, ?) RETURNING id", (token_hash, stamp)
            )
            created = await cursor.fetchone()
            assert created is not None
            session_id = int(created[0])
            await cursor.close()
            await conn.execute(
                "INSERT INTO users (telegram_id, fingerprint, first_name, language, created_at, last_seen_at,"
                " blocked_at) VALUES (?, ?, '', 'en', ?, ?, ?)",
                (-session_id, fingerprint_for(-session_id), stamp, stamp, stamp),
            )
        return session_id

    async def find(self, token_hash: str) -> WebSession | None:
        """The session with this token hash, or None."""
        row = await self._db.fetchone("SELECT id, linked_to FROM web_sessions WHERE token_hash = ?", (token_hash,))
        return None if row is None else WebSession(row["id"], row["linked_to"])

    async def add_code(
        self, code_hash: str, *, telegram_id: int, fingerprint: str, now: datetime, expires_at: datetime
    ) -> None:
        """Store a one-time link code for ``telegram_id`` (whose ledger fingerprint is ``fingerprint``)."""
        await self._db.execute(
            "INSERT INTO link_codes (code_hash, telegram_id, fingerprint, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (code_hash, telegram_id, fingerprint, now.isoformat(), expires_at.isoformat()),
        )

    async def link(self, code_hash: str, session_id: int, session_fingerprint: str, now: datetime) -> Linked | None:
        """Use the code once: join the session to its Telegram user and move the session's paid credits there, in
        one transaction (ledger ``link-out``/``link-in`` rows, unique per session). None: unknown, used or expired
        code, or a session already linked (then nothing changes)."""
        try:
            return await self._link(code_hash, session_id, session_fingerprint, now)
        except _Refused:  # raised inside the transaction, so it rolled back
            return None

    async def _link(self, code_hash: str, session_id: int, session_fingerprint: str, now: datetime) -> Linked:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE link_codes SET used_at = ?, session_id = ? WHERE code_hash = ? AND used_at IS NULL"
                " AND expires_at > ? RETURNING telegram_id, fingerprint",
                (now.isoformat(), session_id, code_hash, now.isoformat()),
            )
            code = await cursor.fetchone()
            await cursor.close()
            if code is None:
                raise _Refused
            cursor = await conn.execute(
                "UPDATE web_sessions SET linked_to = ?, linked_at = ? WHERE id = ? AND linked_to IS NULL",
                (code["telegram_id"], now.isoformat(), session_id),
            )
            changed = cursor.rowcount
            await cursor.close()
            if changed != 1:
                raise _Refused
            cursor = await conn.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM credit_ledger WHERE fingerprint = ? AND bucket = 'paid'",
                (session_fingerprint,),
            )
            row = await cursor.fetchone()
            await cursor.close()
            moved = max(0, int(row[0] if row else 0))
            if moved:
                reference, note = f"link:{session_id}", f"web session {session_id} joined Telegram user {code[0]}"
                for fingerprint, kind, amount in (
                    (session_fingerprint, "link-out", -moved),
                    (str(code["fingerprint"]), "link-in", moved),
                ):
                    entry = LedgerEntry(fingerprint, "paid", kind, amount, now, reference=reference, note=note)
                    await LedgerRepository.append(conn, entry)
            return Linked(int(code["telegram_id"]), moved)


async def linked_fingerprint(conn: Connection, fingerprint: str) -> str | None:
    """Inside the caller's transaction: the ledger key ``/link`` moved this web session's paid credits to (the
    Telegram account's), or None when they never moved."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT i.fingerprint FROM credit_ledger AS o JOIN credit_ledger AS i"
            " ON i.reference = o.reference AND i.kind = 'link-in'"
            " WHERE o.fingerprint = ? AND o.kind = 'link-out' ORDER BY i.id",
            (fingerprint,),
        )
    )
    return str(rows[0][0]) if rows else None

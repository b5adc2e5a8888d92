"""Invitations: who invited whom, and whether the pair was rewarded (once, with the first delivered track)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Connection, Database


@dataclass(frozen=True, slots=True)
class Referral:
    """An invited person and their inviter, with their fingerprints (the ledger's keys)."""

    invited_id: int
    inviter_id: int
    invited_fingerprint: str
    inviter_fingerprint: str


class ReferralRepository:
    """Reads and writes ``referrals``; the reward's writes take the caller's connection (one transaction)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def inviter_by_code(self, code: str) -> int | None:
        """The user whose invitation code (the start of their fingerprint) is ``code``."""
        if not (code.isascii() and code.isalnum()):
            return None
        row = await self._db.fetchone(
            "SELECT telegram_id FROM users WHERE substr(fingerprint, 1, ?) = ?", (len(code), code)
        )
        return None if row is None else int(row[0])

    async def record(self, invited_id: int, inviter_id: int, now: datetime) -> bool:
        """Remember who invited ``invited_id`` (only the first inviter counts); False if not recorded."""
        if invited_id == inviter_id:
            return False
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO referrals (invited_id, inviter_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (invited_id, inviter_id, now.isoformat()),
            )
            return cursor.rowcount == 1

    @staticmethod
    async def claim(
        conn: Connection, invited_id: int, job_id: int | None, credits: int, now: datetime
    ) -> Referral | None:
        """Mark ``invited_id``'s referral rewarded by ``job_id`` inside the caller's transaction.

        Returns the pair the first time only; None when there is no referral or it was rewarded already.
        """
        cursor = await conn.execute(
            """
            UPDATE referrals SET rewarded_at = ?, job_id = ?, credits = ?
            WHERE invited_id = ? AND rewarded_at IS NULL
            RETURNING invited_id, inviter_id,
                (SELECT fingerprint FROM users WHERE telegram_id = referrals.invited_id),
                (SELECT fingerprint FROM users WHERE telegram_id = referrals.inviter_id)
            """,
            (now.isoformat(), job_id, credits, invited_id),
        )
        row = await cursor.fetchone()
        return None if row is None else Referral(int(row[0]), int(row[1]), str(row[2]), str(row[3]))

    async def rewarded(self) -> tuple[int, int]:
        """How many invitations were rewarded, and how many credits they paid out in all (both sides)."""
        row = await self._db.fetchone(
            "SELECT COUNT(*), COALESCE(SUM(credits), 0) * 2 FROM referrals WHERE rewarded_at IS NOT NULL"
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

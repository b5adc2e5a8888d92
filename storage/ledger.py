"""The credit ledger: every movement of a credit is one appended row; balances are sums, never stored.

The table refuses UPDATE and DELETE (triggers), so history cannot be rewritten. ``(kind, reference)`` is unique
when a reference is given, which makes crediting an external payment idempotent: the second insert of the same
payment id fails inside the same transaction as the credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.database import Connection, Database

Bucket = Literal["free", "paid"]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One credit movement: positive adds credits, negative spends or holds them."""

    fingerprint: str
    bucket: Bucket
    kind: str  # e.g. purchase, grant, reserve, release, refund
    amount: int
    created_at: datetime
    job_id: int | None = None
    reference: str | None = None
    day: str | None = None  # the quota day (ISO date in the quota time zone) a free-bucket movement counts on
    note: str | None = None


class LedgerRepository:
    """Appends to and sums ``credit_ledger``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def append(conn: Connection, entry: LedgerEntry) -> int:
        """Append one row inside the caller's transaction; returns its id.

        Raises ``storage.Duplicate`` when ``(kind, reference)`` was already recorded.
        """
        cursor = await conn.execute(
            """
            INSERT INTO credit_ledger (fingerprint, bucket, kind, amount, job_id, reference, day, note,
                                       created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING id
            """,
            (
                entry.fingerprint,
                entry.bucket,
                entry.kind,
                entry.amount,
                entry.job_id,
                entry.reference,
                entry.day,
                entry.note,
                entry.created_at.isoformat(),
            ),
        )
        row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    @staticmethod
    async def paid_balance_in(conn: Connection, fingerprint: str) -> int:
        """The paid balance inside the caller's transaction (reserved credits already subtracted)."""
        rows = list(
            await conn.execute_fetchall(
                "SELECT COALESCE(SUM(amount), 0) FROM credit_ledger WHERE fingerprint = ? AND bucket = 'paid'",
                (fingerprint,),
            )
        )
        return int(rows[0][0]) if rows else 0

    @staticmethod
    async def held_paid_jobs(conn: Connection, fingerprint: str) -> list[int]:
        """Jobs holding one of this fingerprint's paid credits (reserved, not yet committed or released), newest
        first, leaving out any a refund has already claimed."""
        rows = await conn.execute_fetchall(
            """
            SELECT r.job_id FROM credit_ledger AS r
            WHERE r.fingerprint = ? AND r.bucket = 'paid' AND r.kind = 'reserve' AND r.job_id IS NOT NULL
              AND NOT EXISTS (
                  SELECT 1 FROM credit_ledger AS s
                  WHERE s.reference = r.reference AND s.kind IN ('commit', 'release', 'refund-hold')
              )
            ORDER BY r.job_id DESC
            """,
            (fingerprint,),
        )
        return [int(r[0]) for r in rows]

    async def balance(self, fingerprint: str, bucket: Bucket = "paid") -> int:
        """The sum of every movement in one bucket for one fingerprint."""
        total = await self._db.scalar(
            "SELECT COALESCE(SUM(amount), 0) FROM credit_ledger WHERE fingerprint = ? AND bucket = ?",
            (fingerprint, bucket),
        )
        return int(total)

    async def entries(self, fingerprint: str) -> list[LedgerEntry]:
        """Every movement for one fingerprint, oldest first."""
        rows = await self._db.fetchall("SELECT * FROM credit_ledger WHERE fingerprint = ? ORDER BY id", (fingerprint,))
        return [
            LedgerEntry(
                fingerprint=r["fingerprint"],
                bucket=r["bucket"],
                kind=r["kind"],
                amount=r["amount"],
                created_at=datetime.fromisoformat(r["created_at"]),
                job_id=r["job_id"],
                reference=r["reference"],
                day=r["day"],
                note=r["note"],
            )
            for r in rows
        ]

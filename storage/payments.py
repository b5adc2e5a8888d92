"""Payments: one row per external payment (Stars charge, Telegram provider charge, Stripe Checkout Session).

``UNIQUE (provider, external_id)`` is what makes crediting exactly-once: a repeated delivery of the same payment
fails its insert inside the same transaction as the ledger row, so neither happens twice.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

from storage.database import Connection, Database, Row

Provider = Literal["stars", "telegram", "stripe"]


@dataclass(frozen=True, slots=True)
class Payment:
    """A credited payment."""

    id: int
    provider: Provider
    external_id: str
    telegram_id: int | None
    fingerprint: str
    pack_id: str
    credits: int
    amount: int  # Stars, or the currency's minor unit
    currency: str
    status: Literal["paid", "refunded"]
    created_at: datetime
    payment_intent: str | None = None
    refunded_credits: int | None = None
    refunded_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Row) -> Payment:
        """Build a Payment from a ``payments`` row."""
        values: dict[str, Any] = {f.name: row[f.name] for f in fields(cls)}
        for name in ("created_at", "refunded_at"):
            values[name] = None if values[name] is None else datetime.fromisoformat(values[name])
        return cls(**values)


class PaymentRepository:
    """Reads and writes ``payments``, ``stripe_events`` and ``stripe_reversals``; writes take the caller's
    transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def insert(
        conn: Connection,
        *,
        provider: Provider,
        external_id: str,
        telegram_id: int | None,
        fingerprint: str,
        pack_id: str,
        credits: int,
        amount: int,
        currency: str,
        now: datetime,
        payment_intent: str | None = None,
    ) -> int | None:
        """Record a payment; returns its id, or None when (provider, external_id) was recorded before.

        A repeat is told apart from a failure by ``ON CONFLICT DO NOTHING``, not by catching ``IntegrityError``:
        a failing trigger or constraint elsewhere in the transaction is an error, never "already credited".
        """
        rows = await conn.execute_fetchall(
            """
            INSERT INTO payments (provider, external_id, telegram_id, fingerprint, pack_id, credits, amount, currency,
                                  payment_intent, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (provider, external_id) DO NOTHING
            RETURNING id
            """,
            (
                provider,
                external_id,
                telegram_id,
                fingerprint,
                pack_id,
                credits,
                amount,
                currency,
                payment_intent,
                now.isoformat(),
            ),
        )
        found = list(rows)
        return int(found[0][0]) if found else None

    @staticmethod
    async def mark_refunded(conn: Connection, payment_id: int, credits: int, now: datetime) -> bool:
        """Mark a paid payment refunded (False when it already was)."""
        cursor = await conn.execute(
            "UPDATE payments SET status = 'refunded', refunded_credits = ?, refunded_at = ? "
            "WHERE id = ? AND status = 'paid'",
            (credits, now.isoformat(), payment_id),
        )
        return cursor.rowcount == 1

    @staticmethod
    async def record_event(conn: Connection, event_id: str, event_type: str, now: datetime) -> bool:
        """Remember a Stripe event id; False when it was seen before (a redelivery)."""
        cursor = await conn.execute(
            "INSERT INTO stripe_events (id, type, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (event_id, event_type, now.isoformat()),
        )
        return cursor.rowcount == 1

    @staticmethod
    async def record_reversal(
        conn: Connection, reversal_id: str, kind: Literal["refund", "dispute"], payment_id: int, now: datetime
    ) -> bool:
        """Remember a Stripe refund or dispute id; False when it was handled before."""
        cursor = await conn.execute(
            "INSERT INTO stripe_reversals (id, kind, payment_id, received_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (reversal_id, kind, payment_id, now.isoformat()),
        )
        return cursor.rowcount == 1

    @staticmethod
    async def find_in(conn: Connection, payment_id: int) -> Payment | None:
        """A payment by id, read inside the caller's transaction."""
        rows = list(await conn.execute_fetchall("SELECT * FROM payments WHERE id = ?", (payment_id,)))
        return Payment.from_row(rows[0]) if rows else None

    async def find_stripe(self, payment_intent: str) -> Payment | None:
        """The Stripe payment of a payment intent (what charges, refunds and disputes name)."""
        row = await self._db.fetchone(
            "SELECT * FROM payments WHERE provider = 'stripe' AND payment_intent = ? ORDER BY id LIMIT 1",
            (payment_intent,),
        )
        return None if row is None else Payment.from_row(row)

    async def find(self, provider: Provider, external_id: str) -> Payment | None:
        """A payment by provider and external id."""
        row = await self._db.fetchone(
            "SELECT * FROM payments WHERE provider = ? AND external_id = ?", (provider, external_id)
        )
        return None if row is None else Payment.from_row(row)

    async def find_any(self, external_id: str) -> Payment | None:
        """A payment by external id or Stripe payment intent, whatever its provider."""
        row = await self._db.fetchone(
            "SELECT * FROM payments WHERE external_id = ? OR payment_intent = ? ORDER BY id LIMIT 1",
            (external_id, external_id),
        )
        return None if row is None else Payment.from_row(row)

    async def for_user(self, telegram_id: int, limit: int = 20) -> list[Payment]:
        """A user's payments, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM payments WHERE telegram_id = ? ORDER BY id DESC LIMIT ?", (telegram_id, limit)
        )
        return [Payment.from_row(r) for r in rows]

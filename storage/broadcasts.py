"""Broadcast records: the text an admin asked to send, whether it was confirmed, and how it went.

A confirmed broadcast keeps its recipients in ``broadcast_recipients``, one row each, so any process can carry on
with it after a restart::

    outcome NULL       nobody has tried this person yet
    outcome 'sending'  a sender took them (before the message went out: a crash here never sends twice)
    outcome 'sent' | 'blocked' | 'failed'

Taking a recipient is one conditional UPDATE, so two senders (two replicas) never take the same person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.database import Database, Row

Outcome = Literal["sent", "blocked", "failed"]
#: Who a broadcast reaches: not banned, not known to have blocked the bot (as ``UserRepository.reachable``).
_REACHABLE = "SELECT telegram_id FROM users WHERE banned = 0 AND blocked_at IS NULL"


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One broadcast."""

    id: int
    admin_id: int
    text: str
    status: str
    sent: int = 0
    blocked: int = 0
    failed: int = 0  # when done: includes anyone taken by a sender that stopped before recording the answer


def _broadcast(row: Row) -> Broadcast:
    return Broadcast(row["id"], row["admin_id"], row["text"], row["status"], row["sent"], row["blocked"], row["failed"])


class BroadcastRepository:
    """Reads and writes ``broadcasts`` and their ``broadcast_recipients``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, admin_id: int, text: str, now: datetime) -> int:
        """A pending broadcast awaiting confirmation; returns its id."""
        return await self._db.execute(
            "INSERT INTO broadcasts (admin_id, text, created_at) VALUES (?, ?, ?)", (admin_id, text, now.isoformat())
        )

    async def claim(self, broadcast_id: int, status: str) -> Broadcast | None:
        """Move a pending broadcast to ``status`` (sending or canceled) once; None when it was not pending.

        Moving to ``sending`` also writes down everyone it reaches now, in the same transaction.
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE broadcasts SET status = ? WHERE id = ? AND status = 'pending' RETURNING *",
                (status, broadcast_id),
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is not None and status == "sending":
                await conn.execute(
                    f"INSERT INTO broadcast_recipients (broadcast_id, telegram_id) SELECT ?, r.telegram_id "
                    f"FROM ({_REACHABLE}) AS r",
                    (broadcast_id,),
                )
        return None if row is None else _broadcast(row)

    async def sending(self) -> list[Broadcast]:
        """Confirmed broadcasts not finished yet (a process stopped while sending them), oldest first."""
        rows = await self._db.fetchall("SELECT * FROM broadcasts WHERE status = 'sending' ORDER BY id")
        return [_broadcast(row) for row in rows]

    async def take(self, broadcast_id: int) -> int | None:
        """Take the next recipient nobody has tried yet (marks them ``sending``); None when none is left."""
        while True:
            rows = await self._db.write_returning(
                "UPDATE broadcast_recipients SET outcome = 'sending' WHERE broadcast_id = ? AND outcome IS NULL "
                "AND telegram_id = (SELECT telegram_id FROM broadcast_recipients WHERE broadcast_id = ? "
                "AND outcome IS NULL ORDER BY telegram_id LIMIT 1) RETURNING telegram_id",
                (broadcast_id, broadcast_id),
            )
            if rows:
                return int(rows[0]["telegram_id"])
            left = await self._db.scalar(
                "SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ? AND outcome IS NULL", (broadcast_id,)
            )
            if not left:  # else another sender took the same one at the same moment: try the next
                return None

    async def record(self, broadcast_id: int, telegram_id: int, outcome: Outcome) -> None:
        """How sending to one recipient went."""
        await self._db.execute(
            "UPDATE broadcast_recipients SET outcome = ? WHERE broadcast_id = ? AND telegram_id = ?",
            (outcome, broadcast_id, telegram_id),
        )

    async def outcomes(self, broadcast_id: int) -> dict[str | None, int]:
        """How many recipients have each outcome (None: not tried yet)."""
        rows = await self._db.fetchall(
            "SELECT outcome, COUNT(*) AS n FROM broadcast_recipients WHERE broadcast_id = ? GROUP BY outcome",
            (broadcast_id,),
        )
        return {row["outcome"]: int(row["n"]) for row in rows}

    async def finish(self, broadcast_id: int, now: datetime) -> Broadcast | None:
        """Mark a sending broadcast done with its counts, once; None when another sender finished it first."""
        counts = await self.outcomes(broadcast_id)
        sent, blocked = counts.get("sent", 0), counts.get("blocked", 0)
        failed = counts.get("failed", 0) + counts.get("sending", 0)  # taken, never answered: maybe not sent
        rows = await self._db.write_returning(
            "UPDATE broadcasts SET status = 'done', sent = ?, blocked = ?, failed = ?, finished_at = ? "
            "WHERE id = ? AND status = 'sending' RETURNING *",
            (sent, blocked, failed, now.isoformat(), broadcast_id),
        )
        return _broadcast(rows[0]) if rows else None

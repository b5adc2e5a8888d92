"""The support desk: a person's next message goes to every admin, and an admin's reply to it goes back.

Support mode lives in the database (``storage.support``), so it survives a restart. The bot's support handlers
carry the messages; this desk keeps the state and knows who the admins are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage import Database
from storage.payments import Payment, PaymentRepository
from storage.support import SupportRepository


class SupportDesk:
    """Who is writing to support, which admin copy answers whom, and what an admin sees about the writer."""

    def __init__(self, db: Database, *, admin_ids: frozenset[int], clock: Callable[[], datetime]) -> None:
        self._repo, self._payments, self._clock = SupportRepository(db), PaymentRepository(db), clock
        self.admin_ids = admin_ids

    def is_admin(self, telegram_id: int) -> bool:
        """Whether ``telegram_id`` is one of ADMIN_IDS (their replies to support copies go back to the writer)."""
        return telegram_id in self.admin_ids

    async def open(self, telegram_id: int, topic: str) -> None:
        """The person's next message goes to support (``topic``: support or payment)."""
        await self._repo.open(telegram_id, topic, self._clock())

    async def pending(self, telegram_id: int) -> str | None:
        """The topic the person's next message goes to, or None when they are not writing to support."""
        return await self._repo.pending(telegram_id)

    async def take(self, telegram_id: int) -> str | None:
        """Leave support mode; the topic that was open, or None (so of two racing messages only one is taken)."""
        return await self._repo.take(telegram_id)

    async def recent_payments(self, telegram_id: int, limit: int = 3) -> list[Payment]:
        """The writer's latest payments, shown to the admins with the message."""
        return await self._payments.for_user(telegram_id, limit=limit)

    async def record_copy(self, admin_id: int, admin_message_id: int, telegram_id: int) -> None:
        """Remember whose message an admin's copy is, so the admin's reply to it goes back to them."""
        await self._repo.record_copy(admin_id, admin_message_id, telegram_id, self._clock())

    async def author(self, admin_id: int, admin_message_id: int) -> int | None:
        """Who wrote the message an admin's copy carries, or None when it is not a support copy."""
        return await self._repo.author(admin_id, admin_message_id)

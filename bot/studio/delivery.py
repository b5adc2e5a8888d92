"""Delivery that knows web visitors: their jobs (negative ids, no Telegram chat) are kept for the studio page to
fetch over the API, and everything else goes to Telegram as before."""

from __future__ import annotations

from scheduler.delivery import Delivery, FailureReason, Receipt, TrackFiles
from storage import Job


def is_web_visitor(telegram_id: int) -> bool:
    """True for the id of an anonymous web session (Telegram user ids are positive)."""
    return telegram_id < 0


class WebAwareDelivery:
    """Hands Telegram users' jobs to ``telegram``; a web visitor's job needs no messages (the page polls)."""

    def __init__(self, telegram: Delivery) -> None:
        self._telegram = telegram

    async def queued(self, job: Job, position: int) -> int | None:
        """Telegram's "queued" message, or nothing for the web."""
        return None if is_web_visitor(job.chat_id) else await self._telegram.queued(job, position)

    async def started(self, job: Job) -> None:
        """Telegram's status edit, or nothing for the web."""
        if not is_web_visitor(job.chat_id):
            await self._telegram.started(job)

    async def working(self, job: Job) -> None:
        """Telegram's chat action, or nothing for the web."""
        if not is_web_visitor(job.chat_id):
            await self._telegram.working(job)

    async def deliver(self, job: Job, files: TrackFiles) -> Receipt:
        """Send the track to Telegram; for the web the files on disk are the delivery (served by /api/v1)."""
        if is_web_visitor(job.chat_id):
            return Receipt(file_id="", message_id=0)
        return await self._telegram.deliver(job, files)

    async def finished(self, job: Job) -> None:
        """Telegram's "done" edit, or nothing for the web."""
        if not is_web_visitor(job.chat_id):
            await self._telegram.finished(job)

    async def failed(self, job: Job, reason: FailureReason) -> None:
        """Telegram's failure message, or nothing for the web (the page shows the status)."""
        if not is_web_visitor(job.chat_id):
            await self._telegram.failed(job, reason)

    async def canceled(self, job: Job) -> None:
        """Telegram's cancel message, or nothing for the web."""
        if not is_web_visitor(job.chat_id):
            await self._telegram.canceled(job)

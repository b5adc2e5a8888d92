"""An admin's ``/teaser`` wherever the rendering happens: posted at once by a process that renders, else handed to
the workers, one of which posts it and reports to the admin's chat.

A bot with ``WORKERS_IN_BOT=false`` renders nothing, so it cannot make the house track a teaser may need:
:class:`AdminTeasers` queues the request (``TeaserQueue``: the queue backend's ``cloudmusic.teaser`` task, one
waiting request per chat) and answers ``queued``; a worker runs :meth:`TeaserRequests.run` with its own
:class:`~scheduler.teaser.TeaserDesk` and its ``TeaserCourier`` tells the admin how it went. A request cut off by a
worker's shutdown is not retried: its post may already be out, and a channel must never get it twice (the admin can
ask again).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from scheduler.teaser import TeaserDesk, TeaserResult

log = logging.getLogger(__name__)

#: Hands an admin's request to the workers: ``(chat_id, admin_id)``; False when one from that chat is waiting.
TeaserQueue = Callable[[int, int], Awaitable[bool]]


class TeaserCourier(Protocol):
    """Tells an admin how a teaser a worker posted for them went (``bot/`` sends it to the chat); may raise."""

    async def teaser_done(self, chat_id: int, admin_id: int, result: TeaserResult) -> None:
        """Say in ``chat_id``, in ``admin_id``'s language, what became of the teaser."""
        ...


class AdminTeasers:
    """The admin's ``/teaser``: posted now by ``desk`` when ``queue`` is None (this process renders), else queued."""

    def __init__(self, desk: TeaserDesk, queue: TeaserQueue | None) -> None:
        self._desk, self._queue = desk, queue

    async def post_now(self, chat_id: int, admin_id: int) -> TeaserResult:
        """The posted teaser (or why not); ``queued`` when a worker will post it and report to ``chat_id``."""
        if self._queue is None:
            return await self._desk.post_now()
        if self._desk.config.channel is None:
            return TeaserResult("no_channel")
        if not await self._queue(chat_id, admin_id):
            log.info("a /teaser from chat %s is already waiting for a worker", chat_id)
        return TeaserResult("queued")


class TeaserRequests:
    """A worker's side: posts the teasers admins asked a bot that renders nothing for, and reports back."""

    def __init__(self, desk: TeaserDesk, courier: TeaserCourier) -> None:
        self._desk, self._courier = desk, courier

    async def run(self, chat_id: int, admin_id: int) -> None:
        """Post a teaser now and tell the admin; a failed report is logged (the channel has the post either way)."""
        result = await self._desk.post_now()
        log.info("teaser asked from chat %s: %s", chat_id, result.outcome)
        try:
            await self._courier.teaser_done(chat_id, admin_id, result)
        except Exception:
            log.warning("could not tell chat %s how its /teaser went (%s)", chat_id, result.outcome, exc_info=True)

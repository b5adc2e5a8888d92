"""How the queue reaches the person who asked, without knowing Telegram: the ``Delivery`` seam.

``bot/`` implements it over the Bot API; tests may implement it in memory. Every method may raise
:class:`DeliveryError`; anything else it raises is treated the same way (the job fails and its credit is released).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from storage import Job
from storage.audio import AudioStore


class FailureReason(StrEnum):
    """Why a job failed, in words the bot turns into a user text (``failure.<reason>``)."""

    ENGINE_UNAVAILABLE = "engine_unavailable"
    ENGINE_REJECTED = "engine_rejected"
    TIMEOUT = "timeout"
    DELIVERY = "delivery"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"


class DeliveryError(Exception):
    """The track or a status update could not be handed to the user."""


@dataclass(frozen=True, slots=True)
class TrackFiles:
    """A finished track in the audio store, ready to send: the keys of its files there, and its tags."""

    mp3: str
    wav: str
    cover: str
    stems_zip: str | None
    title: str
    performer: str
    duration: int  # whole seconds, as Telegram wants it
    store: AudioStore

    async def read(self, key: str) -> bytes:
        """One of the track's files (``files.read(files.mp3)``); storage.errors.AudioMissing when it is gone."""
        return await self.store.read(key)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the messenger gave back for a delivered track."""

    file_id: str
    message_id: int


class Delivery(Protocol):
    """Tells a user how their job is going and hands over the result."""

    async def queued(self, job: Job, position: int) -> int | None:
        """Show "queued (position N)"; returns the id of the status message to edit later, if any."""
        ...

    async def started(self, job: Job) -> None:
        """Show that composing has begun (edit the status message)."""
        ...

    async def working(self, job: Job) -> None:
        """Called every few seconds while the engine works: e.g. repeat the "uploading audio" chat action."""
        ...

    async def deliver(self, job: Job, files: TrackFiles) -> Receipt:
        """Send the track with its buttons; raises DeliveryError when it could not be sent."""
        ...

    async def finished(self, job: Job) -> None:
        """The job is delivered and paid for: mark the status message done."""
        ...

    async def failed(self, job: Job, reason: FailureReason) -> None:
        """Tell the user the job failed and that their credit was returned."""
        ...

    async def canceled(self, job: Job) -> None:
        """Tell the user the job was canceled and that their credit was returned."""
        ...


class DeliveryRelay:
    """A ``Delivery`` that forwards to the one attached later.

    The core (queue, ledger, studio) is built before the messenger that delivers, which needs the core's users and
    referrals; and a process that never delivers (a migration command) attaches none. Until one is attached, every
    call raises :class:`DeliveryError`, which the queue treats like any failed notification.
    """

    def __init__(self) -> None:
        self._target: Delivery | None = None

    def attach(self, delivery: Delivery) -> None:
        """From now on, calls go to ``delivery``."""
        self._target = delivery

    @property
    def attached(self) -> bool:
        """Whether a delivery is attached."""
        return self._target is not None

    def _to(self) -> Delivery:
        if self._target is None:
            raise DeliveryError("no delivery is attached in this process")
        return self._target

    async def queued(self, job: Job, position: int) -> int | None:
        """Forwarded."""
        return await self._to().queued(job, position)

    async def started(self, job: Job) -> None:
        """Forwarded."""
        await self._to().started(job)

    async def working(self, job: Job) -> None:
        """Forwarded."""
        await self._to().working(job)

    async def deliver(self, job: Job, files: TrackFiles) -> Receipt:
        """Forwarded."""
        return await self._to().deliver(job, files)

    async def finished(self, job: Job) -> None:
        """Forwarded."""
        await self._to().finished(job)

    async def failed(self, job: Job, reason: FailureReason) -> None:
        """Forwarded."""
        await self._to().failed(job, reason)

    async def canceled(self, job: Job) -> None:
        """Forwarded."""
        await self._to().canceled(job)

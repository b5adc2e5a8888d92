"""A test-only ``Delivery`` that keeps what the person would have seen in memory (no Telegram in sight).

It is the seam's other implementation beside ``bot.delivery.TelegramDelivery``: the delivery contract suite
(tests/scheduler/test_delivery_contract.py) runs on both.
"""

from __future__ import annotations

import itertools

from scheduler.delivery import DeliveryError, FailureReason, Receipt, TrackFiles
from scheduler.tracks import UPLOAD_LIMIT
from storage import Job
from storage.errors import AudioMissing


class MemoryDelivery:
    """Records each status change and delivered track per chat; ``refuse`` makes the next sends fail."""

    def __init__(self) -> None:
        self.statuses: dict[int, list[str]] = {}  # status message id → its texts, oldest first
        self.tracks: list[tuple[int, bytes]] = []  # (chat id, MP3 bytes)
        self.refuse = 0  # how many more sends fail as if the person's app could not be reached
        self._ids = itertools.count(1)

    def _send(self) -> int:
        if self.refuse > 0:
            self.refuse -= 1
            raise DeliveryError("the recipient cannot be reached")
        return next(self._ids)

    def _status(self, job: Job, text: str) -> None:
        message_id = job.status_message_id if job.status_message_id is not None else self._send()
        self.statuses.setdefault(message_id, []).append(text)

    async def queued(self, job: Job, position: int) -> int | None:
        message_id = self._send()
        self.statuses[message_id] = [f"queued {position}"]
        return message_id

    async def started(self, job: Job) -> None:
        self._status(job, "composing")

    async def working(self, job: Job) -> None:
        return None

    async def deliver(self, job: Job, files: TrackFiles) -> Receipt:
        try:
            audio, cover = await files.read(files.mp3), await files.read(files.cover)
        except AudioMissing as exc:
            raise DeliveryError(f"the track's files are not in the audio store: {exc}") from exc
        if len(audio) + len(cover) > UPLOAD_LIMIT:
            raise DeliveryError("over the upload limit")
        message_id = self._send()
        self.tracks.append((job.chat_id, audio))
        return Receipt(file_id=f"memory-{message_id}", message_id=message_id)

    async def finished(self, job: Job) -> None:
        self._status(job, "done")

    async def failed(self, job: Job, reason: FailureReason) -> None:
        self._status(job, f"failed: {reason.value}")

    async def canceled(self, job: Job) -> None:
        self._status(job, "canceled")

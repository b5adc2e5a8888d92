"""Where teasers go, without knowing Telegram: the ``Publisher`` seam.

``bot/`` implements it over the Bot API (``bot.publisher.TelegramPublisher``); tests implement it in memory and
on disk. The teaser jobs depend only on this module, so a new destination is a new class, not a new job.

Errors (what the caller does with each)::

    PublishError           base
    ├── PublishRetryable   refused this time and nothing was posted (flood limit, 5xx): retry, after
    │                      ``retry_after`` seconds when the destination said so
    ├── PublishRejected    can never succeed as asked (unknown destination, no right to post, bad request)
    └── PublishUncertain   the request may or may not have been posted (a timeout mid-request): never retried
                           automatically, because a retry could post twice
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class PublishError(Exception):
    """The post could not be made."""


class PublishRetryable(PublishError):
    """Refused this time; nothing was posted. ``retry_after`` is the wait the destination asked for, if any."""

    def __init__(self, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PublishRejected(PublishError):
    """The destination will never accept this post as asked."""


class PublishUncertain(PublishError):
    """The request may have been posted; retrying could post it twice."""


@dataclass(frozen=True, slots=True)
class LinkButton:
    """A button under the post that opens ``url``."""

    text: str
    url: str


@dataclass(frozen=True, slots=True)
class AudioPost:
    """One audio post: an MP3 with its tags, a cover, a caption and link buttons."""

    audio: bytes  # MP3
    filename: str
    title: str
    performer: str
    duration: int  # whole seconds
    caption_html: str  # Telegram-style HTML, user text already escaped; ≤ 1024 visible characters
    cover: bytes | None = None  # JPEG ≤ 200 kB, ≤ 320×320
    links: tuple[LinkButton, ...] = ()


@dataclass(frozen=True, slots=True)
class PostReceipt:
    """What the destination gave back: the id of the new message (and of the stored file, when it has one)."""

    message_id: int
    file_id: str | None = None


class Publisher(Protocol):
    """Posts audio to a destination (a channel id or ``@username`` for Telegram; anything for others).

    Contract:
    - ``publish`` posts exactly once per call, or raises a :class:`PublishError` subclass saying whether anything
      may have been posted. Anything else it raises is treated like :class:`PublishUncertain`.
    - It does not retry on its own beyond what its transport does transparently; the caller owns retries.
    - It may take seconds (an upload); it must not block the event loop.
    """

    async def publish(self, destination: str, post: AudioPost) -> PostReceipt:
        """Post ``post`` to ``destination``; returns the receipt with the new message id."""
        ...

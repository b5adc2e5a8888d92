"""Everything the scheduler sends out, without knowing Telegram: the one ``Outbox`` seam.

Teasers (an audio post to a channel), the owner's "your track was featured" note and broadcasts (a text to each
person) all go through it. ``bot/`` implements it over the Bot API (``bot.outbox.TelegramOutbox``); tests implement
it in memory and on disk (``MemoryOutbox``, ``FolderOutbox``), and one contract suite runs against all three.
Delivering a generated track to the person who asked is a different seam, ``scheduler.delivery.Delivery`` (status
messages, progress, files by id), used only by the queue.

Errors (what the caller does with each)::

    OutboxError            base
    ├── SendRetryable      refused this time and nothing was sent (flood limit, 5xx): retry, after
    │                      ``retry_after`` seconds when the destination said so
    ├── SendRejected       can never succeed as asked (unknown destination, no right to post, bad request)
    │   └── RecipientBlocked   the person blocked the bot or no longer exists: stop writing to them
    └── SendUncertain      the request may or may not have been sent (a timeout mid-request): never retried
                           automatically, because a retry could send twice
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class OutboxError(Exception):
    """The message or post could not be sent."""


class SendRetryable(OutboxError):
    """Refused this time; nothing was sent. ``retry_after`` is the wait the destination asked for, if any."""

    def __init__(self, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class SendRejected(OutboxError):
    """The destination will never accept this as asked."""


class RecipientBlocked(SendRejected):
    """The person blocked the bot (Telegram 403) or deleted their account ("chat not found")."""


class SendUncertain(OutboxError):
    """The request may have been sent; retrying could send it twice."""


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


class Outbox(Protocol):
    """Sends to a destination: a channel id or ``@username``, or a person's chat id, for Telegram.

    Contract, for every method:
    - it sends exactly once per call, or raises an :class:`OutboxError` subclass saying whether anything may have
      been sent; anything else it raises is treated like :class:`SendUncertain`;
    - it does not retry on its own beyond what its transport does transparently; the caller owns retries;
    - it may take seconds (an upload); it must not block the event loop.
    """

    async def publish(self, destination: str, post: AudioPost) -> PostReceipt:
        """Post ``post`` to ``destination``; returns the receipt with the new message id."""
        ...

    async def send_text(self, chat_id: int | str, text: str, *, html: bool = False) -> PostReceipt:
        """Send ``text`` (Telegram-style HTML when ``html``, else plain, link previews off) to ``chat_id``."""
        ...

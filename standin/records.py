"""The values the stand-in records and hands to tests: messages, files, calls, events, payment outcomes.

All are frozen dataclasses; the world replaces a ``ChatMessage`` on every edit, so a transcript is a snapshot.
``ApiError`` is how a method refuses a call: an HTTP status and Telegram's description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

MessageKind = Literal["text", "audio", "document", "photo", "invoice", "service", "voice", "video", "video_note"]
EventKind = Literal["message", "edit", "delete", "payment", "refund"]
JSON = dict[str, Any]


class ApiError(Exception):
    """A call Telegram answers with an error: ``status`` (400, 403, 409...) and the full description."""

    def __init__(self, status: int, description: str, *, violation: bool = True) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        # A 400 is the bot's mistake unless the bot could not have known (e.g. a file's size it was never told).
        self.violation = violation


def bad_request(problem: str) -> ApiError:
    """Return the 400 error Telegram gives for ``problem``."""
    return ApiError(400, f"Bad Request: {problem}")


@dataclass(frozen=True)
class StoredFile:
    """A file the stand-in holds: ids as Telegram issues them, the bytes, and its download path."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str
    file_path: str

    @property
    def size(self) -> int:
        """The size in bytes."""
        return len(self.data)


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as a person sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    pay: bool = False


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat as it stands now (edits applied), from either side, with its Bot API JSON."""

    chat_id: int
    message_id: int
    from_bot: bool
    kind: MessageKind
    date: int
    seq: int
    raw: JSON
    text: str | None = None
    caption: str | None = None
    reply_markup: JSON | None = None
    file: StoredFile | None = None
    thumbnail: StoredFile | None = None
    title: str | None = None
    performer: str | None = None
    duration: int | None = None
    invoice: JSON | None = None
    service: JSON | None = None
    edited: bool = False
    deleted: bool = False

    @property
    def content(self) -> str:
        """The visible text or caption ("" when there is none)."""
        return self.text or self.caption or ""

    @property
    def buttons(self) -> list[Button]:
        """The inline keyboard's buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [
            Button(b["text"], b.get("callback_data"), b.get("url"), bool(b.get("pay"))) for row in rows for b in row
        ]

    def describe(self) -> str:
        """One line for a failure message: id, side, kind, content, buttons, edit and deletion marks."""
        side = "bot " if self.from_bot else "user"
        parts = [f"#{self.message_id} {side} {self.kind}:"]
        if self.title or self.performer:
            parts.append(f"[{self.performer or ''} - {self.title or ''}]")
        if self.invoice:
            parts.append(f"[{self.invoice.get('title')}]")
        if self.service:
            parts.append(", ".join(self.service))
        parts.append(repr(self.content))
        if self.buttons:
            parts.append(
                "buttons: " + " | ".join(f"{b.text}={b.callback_data or b.url or 'pay'}" for b in self.buttons)
            )
        if self.edited:
            parts.append("(edited)")
        if self.deleted:
            parts.append("(deleted)")
        return " ".join(parts)


def render_transcript(messages: list[ChatMessage]) -> str:
    """The chat as readable lines, for assertion messages."""
    return "\n".join(m.describe() for m in messages) or "(no messages)"


@dataclass(frozen=True)
class Event:
    """Something that happened in a chat, for subscribers (a test, or a browser page via SSE)."""

    kind: EventKind
    chat_id: int
    message: ChatMessage


@dataclass(frozen=True)
class Call:
    """One HTTP call the bot made: method, parameters (uploads summarised), answer status and wall time."""

    method: str
    params: dict[str, Any]
    status: int
    time: float
    description: str | None = None


@dataclass(frozen=True)
class PaymentOutcome:
    """How a simulated Stars payment ended: approved (with the charge and receipt) or why not."""

    approved: bool
    error_message: str | None = None
    charge_id: str | None = None
    total_amount: int = 0
    invoice_payload: str | None = None
    receipt: ChatMessage | None = None

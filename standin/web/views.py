"""What the browser page receives for a message: a flat, display-ready JSON view of a ``ChatMessage``.

Texts are the visible texts the stand-in keeps (markup already stripped); the page puts them in the DOM as text,
never as HTML. Files are referenced by URLs under ``/sandbox/api/files/``, never by the bot's download path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from standin.records import JSON, ChatMessage, StoredFile

FILES_PATH = "/sandbox/api/files/"


def message_view(message: ChatMessage) -> JSON:
    """The message as the page draws it: side, kind, text, buttons row by row, media, invoice, service note."""
    view: JSON = {
        "chat_id": message.chat_id,
        "id": message.message_id,
        "seq": message.seq,
        "from_bot": message.from_bot,
        "kind": message.kind,
        "date": message.date,
        "text": message.content,
        "edited": message.edited,
        "deleted": message.deleted,
        "buttons": _button_rows(message.reply_markup),
    }
    if message.file is not None:
        view["file"] = file_view(message.file)
    if message.thumbnail is not None:
        view["thumbnail"] = file_view(message.thumbnail)
    if message.kind == "audio":
        view["audio"] = {"title": message.title, "performer": message.performer, "duration": message.duration}
    invoice = message.raw.get("invoice")
    if message.kind == "invoice" and isinstance(invoice, dict):
        view["invoice"] = {k: invoice.get(k) for k in ("title", "description", "currency", "total_amount")}
    if message.service:
        view["service"] = _service_view(message.service)
    reply = message.raw.get("reply_to_message")
    if isinstance(reply, dict):
        view["reply_to"] = reply.get("message_id")
    return view


def file_view(stored: StoredFile) -> JSON:
    """Name, type, size and the page's URL for a stored file."""
    return {
        "id": stored.file_id,
        "name": stored.file_name or stored.file_path.rsplit("/", 1)[-1],
        "mime": stored.mime_type,
        "size": stored.size,
        "url": FILES_PATH + quote(stored.file_id, safe=""),
    }


def _button_rows(markup: JSON | None) -> list[list[JSON]]:
    rows: Any = (markup or {}).get("inline_keyboard", [])
    return [
        [
            {
                "text": str(button.get("text", "")),
                "callback_data": button.get("callback_data"),
                "url": button.get("url"),
                "pay": bool(button.get("pay")),
            }
            for button in row
        ]
        for row in rows
    ]


def _service_view(service: JSON) -> JSON:
    kind = next(iter(service), "service")
    details = service.get(kind)
    details = details if isinstance(details, dict) else {}
    return {
        "kind": kind,
        "currency": details.get("currency"),
        "total_amount": details.get("total_amount"),
        "invoice_payload": details.get("invoice_payload"),
    }

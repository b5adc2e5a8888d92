"""Rules Telegram enforces beyond the schema: lengths, button data, invoice and command constraints.

Each function checks decoded parameters and raises the ``ApiError`` (400) Telegram would answer with; the
ones about texts also return what the person will see (the text after ``parse_mode`` is applied).
"""

from __future__ import annotations

import re
from typing import Any

from standin.formatting import FormattingError, visible_text
from standin.records import JSON, ApiError, bad_request

MAX_TEXT = 4096
#: Upload limits per file part. The Bot API description (telegram-bot-api.json, sendAudio/sendDocument): "Bots can
#: currently send audio files / files of any type of up to 50 MB in size"; sendPhoto: "The photo must be at most
#: 10 MB in size". Beyond it Telegram answers 413 "Request Entity Too Large" (PITFALLS.md, "Telegram").
MAX_UPLOAD = {"audio": 50 * 2**20, "document": 50 * 2**20, "photo": 10 * 2**20}
MAX_CAPTION = 1024
CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice"}
    | {"upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def upload_size(kind: str, size: int) -> None:
    """Refuse an uploaded file over Telegram's limit for its kind with 413, as Telegram does; 400 when empty."""
    if size > MAX_UPLOAD.get(kind, MAX_UPLOAD["document"]):
        raise ApiError(413, "Request Entity Too Large")
    if size == 0:
        raise bad_request("file must be non-empty")


def message_text(text: str | None, parse_mode: str | None) -> str:
    """Return the visible message text; 400 when empty, longer than 4096 characters or badly formatted."""
    visible = _visible(text or "", parse_mode)
    if not visible.strip():
        raise bad_request("message text is empty")
    if len(visible) > MAX_TEXT:
        raise bad_request("message is too long")
    return visible


def caption(text: str | None, parse_mode: str | None) -> str | None:
    """Return the visible caption (None if absent); 400 when longer than 1024 characters."""
    if text is None:
        return None
    visible = _visible(text, parse_mode)
    if len(visible) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return visible


def inline_keyboard(markup: JSON | None) -> None:
    """Check every inline button has exactly one action and callback data of 1-64 bytes."""
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            actions = [name for name in _BUTTON_ACTIONS if name in button]
            if len(actions) != 1:
                raise bad_request(
                    f"can't parse inline keyboard button: {button.get('text')!r} needs exactly one action"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")


def invoice(params: dict[str, Any]) -> None:
    """Check an invoice: title 1-32, description 1-255, payload 1-128 bytes; Stars: one price, no provider."""
    if not 1 <= len(params["title"]) <= 32:
        raise bad_request("invoice title must be 1-32 characters")
    if not 1 <= len(params["description"]) <= 255:
        raise bad_request("invoice description must be 1-255 characters")
    if not 1 <= len(params["payload"].encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    prices = params["prices"]
    if not prices or any(p["amount"] <= 0 for p in prices):
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    if params["currency"] == "XTR":
        if len(prices) != 1:
            raise bad_request("invoices in Telegram Stars must have exactly one price")
        if params.get("provider_token"):
            raise bad_request("provider_token must be empty for payments in Telegram Stars")
        if params.get("max_tip_amount") or params.get("suggested_tip_amounts"):
            raise bad_request("tips are not supported for payments in Telegram Stars")
    elif not params.get("provider_token"):
        raise bad_request("PAYMENT_PROVIDER_INVALID")


def commands(items: list[JSON]) -> None:
    """Check bot commands: 1-32 of a-z, 0-9, _; descriptions 1-256 characters; at most 100."""
    if len(items) > 100:
        raise bad_request("too many commands")
    for item in items:
        if not _COMMAND.fullmatch(item["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(item["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def chat_action(action: str) -> None:
    """Check the chat action is one Telegram knows."""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")


def _visible(text: str, parse_mode: str | None) -> str:
    try:
        return visible_text(text, parse_mode)
    except FormattingError as error:
        raise bad_request(str(error)) from error

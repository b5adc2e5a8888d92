"""Telegram Mini App ``initData``: checked exactly as Telegram specifies, before anything else is looked at.

``secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)``; ``hash = hex(HMAC_SHA256(secret_key,
data_check_string))`` where ``data_check_string`` is every received field except ``hash``, sorted by key, as
``key=value`` joined by ``\\n`` (PITFALLS.md, "Mini Apps"; Telegram's "Validating data received via the Mini App").
The hash is compared in constant time and ``auth_date`` must not be older than the allowed age.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode


class InvalidInitData(Exception):
    """The initData is missing, malformed, forged, altered or stale; the reason is for logs only."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    """The Telegram user a valid initData speaks for."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None
    auth_date: datetime


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """An initData query string carrying ``fields`` and their hash, as Telegram would hand it to a Mini App."""
    digest = hmac.new(_secret_key(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def validate_init_data(init_data: str, bot_token: str, *, now: datetime, max_age: timedelta) -> WebAppUser:
    """The user ``init_data`` speaks for; InvalidInitData unless its hash and age are right."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise InvalidInitData("not a query string") from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("a field appears twice")
    received = fields.get("hash", "")
    expected = hmac.new(_secret_key(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(received.encode(), expected.encode()):
        raise InvalidInitData("hash mismatch")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise InvalidInitData("auth_date or user missing or malformed") from exc
    if now - auth_date > max_age or auth_date - now > timedelta(minutes=5):
        raise InvalidInitData("stale auth_date")
    return WebAppUser(
        id=user_id,
        first_name=str(user.get("first_name", "")),
        username=user.get("username"),
        language_code=user.get("language_code"),
        auth_date=auth_date,
    )

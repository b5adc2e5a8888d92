"""Invoice payloads: opaque, signed, and small enough for Telegram (≤ 128 bytes).

``v1.<method>.<pack id>.<telegram id>.<nonce>.<signature>`` where the signature is a truncated
HMAC-SHA256 over everything before it. A forged or altered payload fails :func:`verify`; the payload is NOT unique
per payment (Telegram lets an old invoice be paid again), so crediting is keyed by the charge id instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

_VERSION = "v1"


@dataclass(frozen=True, slots=True)
class InvoicePayload:
    """What an invoice was for."""

    method: str  # "stars" or "fiat"
    pack_id: str
    telegram_id: int


class BadPayload(ValueError):
    """The payload was not made by us, or was altered."""


def sign(key: bytes, body: str) -> str:
    """The signature of a payload ``body`` (everything before the last dot): URL-safe base64 of 16 bytes of
    HMAC-SHA256 under ``key``."""
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make(key: bytes, payload: InvoicePayload) -> str:
    """The signed payload string for an invoice."""
    nonce = secrets.token_urlsafe(6)
    body = f"{_VERSION}.{payload.method}.{payload.pack_id}.{payload.telegram_id}.{nonce}"
    return f"{body}.{sign(key, body)}"


def verify(key: bytes, text: str) -> InvoicePayload:
    """The payload's content when its signature is ours; BadPayload otherwise."""
    body, _, signature = text.rpartition(".")
    parts = body.split(".")
    if len(parts) != 5 or parts[0] != _VERSION or not hmac.compare_digest(sign(key, body), signature):
        raise BadPayload("invoice payload signature mismatch")
    _, method, pack_id, telegram_id, _nonce = parts
    try:
        user = int(telegram_id)
    except ValueError:
        raise BadPayload("invoice payload is malformed") from None
    if method not in ("stars", "fiat"):
        raise BadPayload("invoice payload is malformed")
    return InvoicePayload(method, pack_id, user)


def derive_key(secret: bytes) -> bytes:
    """A key for invoice signatures derived from the service secret (never the secret itself)."""
    return hmac.new(secret, b"cloudmusic invoice payload v1", hashlib.sha256).digest()

"""User fingerprints: the key the free quota and the ledger are kept under.

HMAC-SHA256(secret, "telegram:<user id>"), hex. Keyed, so unlike a plain hash of an id (or the MD5 of an IP and a
User-Agent) it cannot be reversed by trying every id without the secret.
"""

from __future__ import annotations

import hashlib
import hmac


def fingerprint(secret: bytes, telegram_id: int) -> str:
    """The fingerprint of a Telegram user under ``secret``."""
    if not secret:
        raise ValueError("the fingerprint secret must not be empty")
    return hmac.new(secret, f"telegram:{telegram_id}".encode(), hashlib.sha256).hexdigest()

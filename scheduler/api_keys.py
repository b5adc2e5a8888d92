"""API keys for third parties: made here (an admin's /apikey new), shown once, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from storage.apikeys import ApiKeyRepository

PREFIX = "cm_"


def key_hash(key: str) -> str:
    """The stored form of ``key`` (a random 256-bit key needs no slow hash: it cannot be guessed)."""
    return hashlib.sha256(key.encode()).hexdigest()


async def issue_key(
    repo: ApiKeyRepository, *, owner_id: int, name: str, admin_id: int, now: datetime
) -> tuple[int, str]:
    """A new key for ``owner_id``: its id and the key itself, which is not kept anywhere."""
    key = PREFIX + secrets.token_urlsafe(32)
    key_id = await repo.create(owner_id=owner_id, name=name, key_hash=key_hash(key), created_by=admin_id, now=now)
    return key_id, key

"""API keys: made by ``scheduler.api_keys`` (the admin desk issues them); the studio API checks their hash."""

from __future__ import annotations

from scheduler.api_keys import PREFIX, issue_key, key_hash

__all__ = ["PREFIX", "issue_key", "key_hash"]

"""Shared helpers for the studio tests: initData signed as Telegram does, and a small API client."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.conftest import TOKEN


def signed_init_data(user_id: int, at: datetime, *, token: str = TOKEN, first_name: str = "Ada", **extra: str) -> str:
    """initData for ``user_id`` signed the way Telegram's documentation spells it out (independent of bot code)."""
    user = json.dumps({"id": user_id, "first_name": first_name, "language_code": "en"}, separators=(",", ":"))
    fields = {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": user, "auth_date": str(int(at.timestamp())), **extra}
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


class Api:
    """Calls ``/api/v1`` of a running bot with one Authorization header."""

    def __init__(self, session: aiohttp.ClientSession, base: str, authorization: str | None) -> None:
        self.session, self.base, self.authorization = session, base + "/api/v1", authorization

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """Status, parsed JSON (or bytes) and the response."""
        sent = dict(headers or {})
        if self.authorization is not None:
            sent["Authorization"] = self.authorization
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        async with self.session.request(method, self.base + path, data=data, headers=sent) as answer:
            payload = await answer.read()
            parsed: Any = json.loads(payload) if answer.content_type == "application/json" else payload
            return answer.status, parsed, answer

"""Anonymous visitors of the public studio page: a signed, HttpOnly session cookie, a free quota keyed on
HMAC-SHA256(secret, IP + User-Agent) (never stored raw), CSRF tokens bound to the session, and /link codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from billing import fingerprint
from storage.web_sessions import WebSession, WebSessionRepository

COOKIE = "cm_session"
COOKIE_MAX_AGE = 365 * 86400
LINK_CODE_TTL = timedelta(minutes=10)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


@dataclass(frozen=True, slots=True)
class Visitor:
    """A web session as the API knows it: its row, and the token its CSRF token is derived from."""

    session: WebSession
    token: str


def _digest(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def sha256(value: str) -> str:
    """The stored form of a session token or link code."""
    return hashlib.sha256(value.encode()).hexdigest()


class WebVisitors:
    """Makes and checks session cookies, CSRF tokens and link codes under one secret."""

    def __init__(self, repo: WebSessionRepository, secret: bytes) -> None:
        self.repo, self._secret = repo, secret

    def session_fingerprint(self, pseudo_id: int) -> str:
        """The ledger key of a web session (id negated): where its bought credits are kept."""
        return fingerprint(self._secret, pseudo_id)

    def quota_fingerprint(self, ip: str, user_agent: str) -> str:
        """The free-quota key of an anonymous visitor: HMAC-SHA256(secret, IP + User-Agent)."""
        return _digest(self._secret, "web", f"{ip}\n{user_agent}")

    def csrf_token(self, visitor: Visitor) -> str:
        """The token a state-changing call of this session must carry in ``X-CSRF-Token``."""
        return _digest(self._secret, "csrf", visitor.token)[:32]

    def csrf_ok(self, visitor: Visitor, sent: str) -> bool:
        """Whether ``sent`` is this session's CSRF token (constant-time)."""
        return hmac.compare_digest(sent.encode(), self.csrf_token(visitor).encode())

    async def start(self, now: datetime) -> tuple[Visitor, str]:
        """A new session and the cookie value (``token.signature``) that carries it."""
        token = secrets.token_urlsafe(24)
        session_id = await self.repo.create(sha256(token), now, self.session_fingerprint)
        signature = _digest(self._secret, "session", token)[:32]
        return Visitor(WebSession(session_id, None), token), f"{token}.{signature}"

    async def from_cookie(self, value: str | None) -> Visitor | None:
        """The session a cookie names, if its signature is right and the session exists."""
        if not value or value.count(".") != 1 or len(value) > 200:
            return None
        token, signature = value.split(".")
        if not hmac.compare_digest(signature.encode(), _digest(self._secret, "session", token)[:32].encode()):
            return None
        session = await self.repo.find(sha256(token))
        return None if session is None else Visitor(session, token)

    async def new_link_code(self, telegram_id: int, fingerprint: str, now: datetime) -> str:
        """A one-time code (valid LINK_CODE_TTL) that joins a web session to ``telegram_id``; stored hashed."""
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        await self.repo.add_code(
            sha256(code), telegram_id=telegram_id, fingerprint=fingerprint, now=now, expires_at=now + LINK_CODE_TTL
        )
        return f"{code[:4]}-{code[4:]}"


def normalize_code(text: str) -> str:
    """A link code as typed (any case, with or without the dash or spaces) in its stored form's input."""
    return "".join(ch for ch in text.upper() if ch.isalnum())

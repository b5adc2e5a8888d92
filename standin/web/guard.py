"""Who may use the sandbox page: same-origin requests to a loopback host name, carrying this run's token.

In sandbox mode anyone who can reach ``/sandbox/api/send`` acts as any simulated person, the first admin
included. So every request to the bot's HTTP server in sandbox mode is checked:

- ``Host`` must name a loopback host (``127.0.0.1``, ``localhost``, ``[::1]``), unless ``SANDBOX_PUBLIC=true``:
  a DNS-rebinding page (``evil.example`` resolving to 127.0.0.1) sends its own host name and gets a 403;
- an ``Origin`` header (browsers send it on every cross-origin request and on same-origin POSTs) must be this
  server's own origin, and ``Sec-Fetch-Site: cross-site`` is refused: no cross-origin POST gets in;
- ``/sandbox/api/…`` needs the token generated at start-up: the ``X-Sandbox-Token`` header (the page reads the
  token from its own ``<meta name="sandbox-token">``), or, for a GET only (the event stream, audio and images,
  which cannot carry headers), the ``HttpOnly; SameSite=Strict`` cookie the page sets. A custom header cannot be
  sent cross-origin without a CORS preflight, which this server never approves.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

API_PREFIX = "/sandbox/api/"
TOKEN_HEADER = "X-Sandbox-Token"
TOKEN_COOKIE = "cloudmusic_sandbox"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def new_token() -> str:
    """A fresh per-run token (256 bits)."""
    return secrets.token_urlsafe(32)


class SandboxGuard:
    """An aiohttp middleware enforcing the rules in the module docstring."""

    def __init__(self, token: str, *, public: bool = False) -> None:
        self.token = token
        self.public = public

    @web.middleware
    async def middleware(self, request: web.Request, handler: RequestHandler) -> web.StreamResponse:
        """Refuse (403 with a JSON reason) what the rules do not allow; pass the rest to ``handler``."""
        problem = self.problem(request)
        if problem is not None:
            return web.json_response({"error": problem}, status=403)
        return await handler(request)

    def problem(self, request: web.Request) -> str | None:
        """Why ``request`` is refused, or None when it may go through."""
        host = request.headers.get("Host", "")
        if not self.public and _host_name(host) not in LOOPBACK_NAMES:
            return "the sandbox answers only to a loopback host name (127.0.0.1 or localhost)"
        origin = request.headers.get("Origin")
        # The host and port must be this server's; the scheme may differ behind a TLS proxy (SANDBOX_PUBLIC).
        if origin is not None and urlsplit(origin).netloc.lower() != host.strip().lower():
            return "cross-origin requests are not allowed"
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            return "cross-site requests are not allowed"
        if request.path.startswith(API_PREFIX) and not self._carries_token(request):
            return "missing or wrong sandbox token: reload the page"
        return None

    def _carries_token(self, request: web.Request) -> bool:
        given = request.headers.get(TOKEN_HEADER)
        if given is None and request.method in ("GET", "HEAD"):
            given = request.cookies.get(TOKEN_COOKIE)
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def set_cookie(self, response: web.Response) -> None:
        """Give the page the token as a cookie its GETs (events, media) carry without script."""
        response.set_cookie(TOKEN_COOKIE, self.token, path=API_PREFIX, httponly=True, samesite="Strict")


def _host_name(host: str) -> str:
    """The host name of a ``Host`` header, without the port (``[::1]:8080`` → ``[::1]``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    """True when ``host`` (HTTP_HOST) listens on loopback only."""
    return host in LOOPBACK_NAMES or host.startswith("127.")

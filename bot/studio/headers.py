"""Security headers on every studio answer: the page and its files under ``/app``, the API under ``/api/``, and
every error among them (401, 404, 405, 422, 429, 500), from one middleware.

- HTML gets a CSP without inline scripts whose ``frame-ancestors`` lets Telegram's web clients embed the Mini App;
  everything else gets ``default-src 'none'; frame-ancestors 'none'`` (JSON, audio and pictures are never framed
  or run). No ``X-Frame-Options``: it can name one origin at most, so it could not allow Telegram's clients.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` everywhere.
- ``Strict-Transport-Security`` only on answers served over https: the connection itself was TLS, or a proxy in
  ``TRUSTED_PROXIES`` says so in ``X-Forwarded-Proto`` (RFC 6797 §7.2: a host must not send it over plain http).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)

#: Telegram's Mini App script comes from telegram.org (it is the bridge to the Telegram client, so it cannot be
#: vendored); Telegram Web (web.telegram.org, incl. its /k/ and /a/ clients) shows Mini Apps in an iframe, so it may
#: frame the page.
PAGE_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' https://telegram.org",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
    )
)
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000"
STUDIO_PATHS = ("/app", "/api/")


def security_headers(trusted_proxies: frozenset[str]) -> Middleware:
    """The middleware that adds the headers to every answer under ``/app`` and ``/api/`` (others pass untouched)."""

    def over_https(request: web.Request) -> bool:
        if request.secure:  # the connection itself is TLS
            return True
        if (request.remote or "") not in trusted_proxies:
            return False
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
        return forwarded == "https"

    def apply(headers: MutableMapping[str, str], content_type: str, https: bool) -> None:
        headers.update(COMMON)
        headers["Content-Security-Policy"] = PAGE_CSP if content_type == "text/html" else OTHER_CSP
        if content_type == "text/html":
            headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if https:
            headers["Strict-Transport-Security"] = HSTS

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(STUDIO_PATHS):
            return await handler(request)
        https = over_https(request)
        try:
            answer = await handler(request)
        except web.HTTPException as exc:  # 404/405 from the router, redirects: raised, still answers
            apply(exc.headers, exc.content_type, https)
            raise
        except Exception:  # aiohttp would answer 500 itself, past this middleware and without the headers
            log.exception("studio request %s %s failed", request.method, request.path)
            answer = web.Response(status=500, text="500: Internal Server Error")
        apply(answer.headers, answer.content_type, https)
        return answer

    return middleware

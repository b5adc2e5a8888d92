"""The studio page at ``/app/``: plain HTML, CSS and JS from ``bot/studio/static`` (no CDN, no build step), with
security headers: a CSP without inline scripts whose ``frame-ancestors`` lets Telegram's web clients embed it."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from bot.texts import default_texts

PAGE_KEYS = "studio.page."  # the catalogs' keys for the page's own words (served as /app/strings.json)
#: Files the page is made of, and their types (anything else under /app/ is 404).
FILES = {"index.html": "text/html", "studio.css": "text/css", "studio.js": "text/javascript"}

#: Telegram's Mini App script comes from telegram.org (it is the bridge to the Telegram client, so it cannot be
#: vendored); Telegram Web (web.telegram.org) shows Mini Apps in an iframe, so it may frame the page.
CSP = "; ".join(
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
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class StudioPage:
    """Serves the page's files from the package (read once)."""

    def __init__(self) -> None:
        folder = resources.files("bot.studio").joinpath("static")
        self._files = {name: folder.joinpath(name).read_bytes() for name in FILES}

    def mount(self, app: web.Application) -> None:
        """Add ``/app`` (redirects to ``/app/``), ``/app/`` and ``/app/<file>`` to ``app``."""
        app.router.add_get("/app", self._redirect)
        app.router.add_get("/app/", self._index)
        app.router.add_get("/app/strings.json", self._strings)  # before /app/{name}, which would take it
        app.router.add_get("/app/{name}", self._file)

    async def _redirect(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect("/app/")

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return self._answer("index.html")

    async def _strings(self, request: web.Request) -> web.StreamResponse:
        """The page's texts (catalog keys ``studio.page.*``) in ``?lang=`` (the Telegram user's language_code, which
        the page reads from initData), else in the browser's ``Accept-Language``, else English."""
        texts = default_texts()
        wanted = request.query.get("lang", "")[:35]
        language = (
            texts.language_for(wanted) if wanted else texts.language_for_header(request.headers.get("Accept-Language"))
        )
        answer = web.json_response(
            {"language": language, "strings": texts.page_strings(language, PAGE_KEYS)}, headers=HEADERS
        )
        answer.headers["Cache-Control"] = "no-cache"
        answer.headers["Vary"] = "Accept-Language"
        return answer

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self._files:
            raise web.HTTPNotFound(headers=HEADERS)
        return self._answer(name)

    def _answer(self, name: str) -> web.Response:
        answer = web.Response(body=self._files[name], content_type=FILES[name], charset="utf-8", headers=HEADERS)
        answer.headers["Cache-Control"] = "no-cache"
        return answer

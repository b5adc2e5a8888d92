"""The studio page at ``/app/``: plain HTML, CSS and JS from ``bot/studio/static`` (no CDN, no build step). Its
security headers (a CSP without inline scripts that lets Telegram's web clients embed it) come from
:mod:`bot.studio.headers`, like every other studio answer's."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from bot.texts import default_texts

PAGE_KEYS = "studio.page."  # the catalogs' keys for the page's own words (served as /app/strings.json)
#: Files the page is made of, and their types (anything else under /app/ is 404).
FILES = {"index.html": "text/html", "studio.css": "text/css", "studio.js": "text/javascript"}


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
        answer = web.json_response({"language": language, "strings": texts.page_strings(language, PAGE_KEYS)})
        answer.headers["Cache-Control"] = "no-cache"
        answer.headers["Vary"] = "Accept-Language"
        return answer

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self._files:
            raise web.HTTPNotFound()
        return self._answer(name)

    def _answer(self, name: str) -> web.Response:
        answer = web.Response(body=self._files[name], content_type=FILES[name], charset="utf-8")
        answer.headers["Cache-Control"] = "no-cache"
        return answer

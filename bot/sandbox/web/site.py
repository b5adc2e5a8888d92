"""``SandboxPage``: mounts the browser chat (page, static files, JSON API, live events) on the bot's HTTP app.

Sandbox mode only: the wiring root mounts it when the bot talks to the built-in stand-in. The page is plain
HTML/CSS/JS from ``bot/sandbox/static/`` (no build step, nothing fetched from elsewhere) under a strict
Content-Security-Policy, so even a bug that put message text into HTML could not run a script.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from bot.sandbox.standin import TelegramStandIn
from bot.sandbox.web.api import SandboxApi, guarded
from bot.sandbox.web.cast import Cast
from bot.sandbox.web.stream import EventStream
from bot.sandbox.web.studio_panel import StudioPanel

STATIC_PATH = "/sandbox/static/"
_TYPES = {"html": "text/html", "js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; style-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class SandboxPage:
    """The sandbox chat page for one stand-in and its cast of simulated people."""

    def __init__(self, standin: TelegramStandIn, cast: Cast) -> None:
        self.standin = standin
        self.cast = cast
        self.api = SandboxApi(standin, cast)
        self.events = EventStream(standin)
        self._static = resources.files("bot.sandbox") / "static"

    def mount(self, app: web.Application) -> None:
        """Register the cast with the stand-in and add the page's routes to ``app`` (before it starts)."""
        self.cast.register(self.standin)
        app.router.add_get("/", self.index)
        app.router.add_get(STATIC_PATH + "{name}", self.static)
        app.router.add_get("/sandbox/api/events", guarded(self.live))
        app.router.add_routes(self.api.routes())
        StudioPanel(self.standin, self.cast).mount(app)  # the menu button's studio Mini App
        app.on_shutdown.append(self._close_streams)

    async def index(self, request: web.Request) -> web.Response:
        """The chat page."""
        return self._file("index.html")

    async def static(self, request: web.Request) -> web.Response:
        """One of the page's own files (script, style sheet, images); 404 for anything else."""
        return self._file(request.match_info["name"])

    async def live(self, request: web.Request) -> web.StreamResponse:
        """``?chat=<id>&chat=<id>``: server-sent events for those chats (a snapshot first)."""
        return await self.events.serve(request, self.api.chat_params(request))

    def _file(self, name: str) -> web.Response:
        extension = name.rsplit(".", 1)[-1]
        resource = self._static / name
        if "/" in name or name.startswith(".") or extension not in _TYPES or not resource.is_file():
            raise web.HTTPNotFound()
        return web.Response(
            body=resource.read_bytes(), content_type=_TYPES[extension], charset="utf-8", headers=_HEADERS
        )

    async def _close_streams(self, app: web.Application) -> None:
        self.events.close_all()

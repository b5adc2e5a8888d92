"""``SandboxPage``: mounts the browser chat (page, static files, JSON API, live events) on the bot's HTTP app.

Sandbox mode only: the wiring root mounts it when the bot talks to the built-in stand-in. The page is plain
HTML/CSS/JS from ``standin/static/`` (no build step, nothing fetched from elsewhere) under a strict
Content-Security-Policy, so even a bug that put message text into HTML could not run a script.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from standin.standin import TelegramStandIn
from standin.web.api import PageTexts, SandboxApi, guarded
from standin.web.cast import Cast
from standin.web.guard import SandboxGuard, new_token
from standin.web.stream import EventStream
from standin.web.studio_panel import StudioPanel
from standin.web.upload import FileUpload

STATIC_PATH = "/sandbox/static/"
TOKEN_PLACEHOLDER = b"__SANDBOX_TOKEN__"  # in index.html's <meta name="sandbox-token">
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

    def __init__(
        self, standin: TelegramStandIn, cast: Cast, texts: PageTexts, *, token: str | None = None, public: bool = False
    ) -> None:
        self.standin = standin
        self.cast = cast
        self.guard = SandboxGuard(token or new_token(), public=public)
        self.api = SandboxApi(standin, cast, texts)
        self.events = EventStream(standin)
        self._static = resources.files("standin") / "static"

    def mount(self, app: web.Application) -> None:
        """Register the cast with the stand-in, guard ``app`` and add the page's routes (before it starts).

        The guard covers every route of ``app``: in sandbox mode the whole server answers only to loopback names.
        """
        self.cast.register(self.standin)
        app.middlewares.append(self.guard.middleware)
        app.router.add_get("/", self.index)
        app.router.add_get(STATIC_PATH + "{name}", self.static)
        app.router.add_get("/sandbox/api/events", guarded(self.live))
        app.router.add_routes(self.api.routes())
        app.router.add_routes(FileUpload(self.standin, self.cast).routes())  # the 📎 button: clips to analyse
        StudioPanel(self.standin, self.cast).mount(app)  # the menu button's studio Mini App
        app.on_shutdown.append(self._close_streams)

    async def index(self, request: web.Request) -> web.Response:
        """The chat page, carrying this run's token (in a meta tag for its API calls, and as a cookie)."""
        response = self._file("index.html")
        assert isinstance(response.body, bytes)
        response.body = response.body.replace(TOKEN_PLACEHOLDER, self.guard.token.encode())
        self.guard.set_cookie(response)
        return response

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

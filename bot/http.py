"""The bot's own HTTP server (aiohttp): health now; metrics, webhooks and the sandbox page join it later."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from storage import Database

log = logging.getLogger(__name__)


class HttpServer:
    """Serves the routes on ``host:port`` (port 0 picks a free one)."""

    def __init__(self, *, host: str, port: int, db: Database) -> None:
        self._host, self._port, self._db = host, port, db
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self._runner: web.AppRunner | None = None
        self.started_at = time.monotonic()

    @property
    def url(self) -> str:
        """The base URL the server listens on."""
        assert self._runner is not None, "not started"
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        """Start listening."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("HTTP server listening on %s", self.url)

    async def stop(self) -> None:
        """Stop listening. Safe to call twice."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        """200 when the database answers, else 503 with the reason."""
        ok = await self._db.ping()
        body = {
            "status": "ok" if ok else "unhealthy",
            "database": "ok" if ok else "unreachable",
            "uptime_s": round(time.monotonic() - self.started_at, 1),
        }
        return web.json_response(body, status=200 if ok else 503)

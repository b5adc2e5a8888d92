"""The bot's own HTTP server (aiohttp): ``/healthz`` here; metrics, webhooks and the sandbox page add routes."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.health import Health

log = logging.getLogger(__name__)


class HttpServer:
    """Serves the routes on ``host:port`` (port 0 picks a free one)."""

    def __init__(self, *, host: str, port: int, health: Health) -> None:
        self._host, self._port = host, port
        self.app = web.Application()
        self.app.router.add_get("/healthz", health.respond)
        self._runner: web.AppRunner | None = None

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

"""Webhook mode: Telegram POSTs updates to ``WEBHOOK_URL`` on the bot's own HTTP server instead of being polled.

Each request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to ``WEBHOOK_SECRET`` (compared in constant
time); otherwise it is refused with 403 and nothing is processed. A body that is not an Update is refused with
400. Accepted updates go straight onto PTB's update queue and the answer is sent at once: handlers run after.
A Stars payment or refund is first written to the payment inbox; if that fails the answer is 503, so Telegram
delivers it again.

Health: the webhook is alive once ``setWebhook`` succeeded and while Telegram's own ``getWebhookInfo`` (read every
``CHECK_EVERY_S``) shows our URL and no delivery error newer than the last update we received.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError

from bot.app import App
from bot.health import Check

log = logging.getLogger(__name__)

#: Writes the payments among some updates to the payment inbox; False when one could not be written.
Receive = Callable[[Sequence[Update]], Awaitable[bool]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an Update is a few kB; Telegram never sends files in it
CHECK_EVERY_S = 60.0


class TelegramWebhook:
    """Registers the webhook with Telegram and serves ``POST <path of url>``; reports its own health."""

    def __init__(self, application: App, *, url: str, secret: str, receive: Receive | None = None) -> None:
        self._app, self.url, self._secret = application, url, secret.encode()
        self._receive = receive  # the payment inbox: must hold a payment before Telegram is answered
        self.path = urlsplit(url).path or "/"
        self.registered = False
        self.received = 0
        self._last_update_at: float | None = None  # wall clock, comparable with Telegram's last_error_date
        self._problem: str | None = None
        self._watch: asyncio.Task[None] | None = None

    def routes(self) -> list[web.RouteDef]:
        """The route to add to the bot's HTTP server (before it starts)."""
        return [web.post(self.path, self.handle)]

    async def register(self) -> None:
        """``setWebhook`` with our URL and secret for every update type; raises ``TelegramError`` if refused."""
        await self._app.bot.set_webhook(self.url, secret_token=self._secret.decode(), allowed_updates=Update.ALL_TYPES)
        self.registered, self._problem = True, None
        log.info("webhook mode: Telegram will POST updates to %s", self.path)
        self._watch = asyncio.create_task(self._watch_forever(), name="webhook-watch")

    async def stop(self) -> None:
        """Stop watching Telegram's view of the webhook (the webhook stays set, so updates wait at Telegram)."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None

    async def handle(self, request: web.Request) -> web.Response:
        """403 without the right secret, 400 for a body that is not an Update, else 200 once it is queued."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request refused: missing or wrong secret token")
            return web.json_response({"error": "forbidden"}, status=403)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "body too large"}, status=413)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an Update")
            update = Update.de_json(data, self._app.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook request refused: %s", type(exc).__name__)
            return web.json_response({"error": "malformed update"}, status=400)
        if self._receive is not None and not await self._receive([update]):
            return web.json_response({"error": "payment inbox unavailable"}, status=503)  # Telegram retries
        await self._app.update_queue.put(update)
        self.received += 1
        self._last_update_at = time.time()
        return web.json_response({"ok": True})

    def status(self) -> Check:
        """Alive once registered and while Telegram reports no newer delivery error than our last update."""
        if not self.registered:
            return Check(False, "webhook not registered")
        if self._problem is not None:
            return Check(False, self._problem)
        return Check(True)

    async def refresh(self) -> None:
        """Read ``getWebhookInfo`` and note whether Telegram still delivers to us."""
        try:
            info = await self._app.bot.get_webhook_info()
        except TelegramError as exc:
            self._problem = f"getWebhookInfo failed ({type(exc).__name__})"
            return
        if info.url != self.url:
            self._problem = "the webhook is no longer set to WEBHOOK_URL"
        elif info.last_error_date is not None and (
            self._last_update_at is None or info.last_error_date.timestamp() > self._last_update_at
        ):
            # Telegram's own words about its failed delivery (e.g. "Connection refused"); never holds a secret.
            self._problem = f"Telegram cannot deliver updates: {info.last_error_message or 'unknown error'}"
        else:
            self._problem = None

    async def _watch_forever(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            await self.refresh()

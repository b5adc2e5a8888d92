"""Inbound HTTP from payment providers: the Stripe webhook and the pages Stripe Checkout returns to."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

from billing import Credited, Payments, StripeSignatureError
from bot.texts import Texts

log = logging.getLogger(__name__)
MAX_BODY = 512 * 1024

Notify = Callable[[Credited], Coroutine[Any, Any, None]]


class StripeWebhook:
    """``POST /stripe/webhook``: verify the signature on the raw body, credit once, answer at once."""

    def __init__(self, payments: Payments, notify: Notify, texts: Texts) -> None:
        self._payments, self._notify, self._texts = payments, notify, texts
        self._tasks: set[asyncio.Task[None]] = set()

    def routes(self) -> list[web.RouteDef]:
        """The routes to add to the bot's HTTP server."""
        return [
            web.post("/stripe/webhook", self.handle),
            web.get("/stripe/success", self._page("payments.stripe_thanks_page")),
            web.get("/stripe/cancel", self._page("payments.stripe_cancel_page")),
        ]

    async def handle(self, request: web.Request) -> web.Response:
        """400 for anything not signed by Stripe; 200 otherwise (unknown event types included)."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "body too large"}, status=413)
        raw = await request.read()
        try:
            outcome = await self._payments.handle_stripe_event(raw, request.headers.get("Stripe-Signature"))
        except StripeSignatureError as exc:
            log.warning("Stripe webhook refused: %s", exc)
            return web.json_response({"error": "invalid signature"}, status=400)
        if outcome.kind == "credited" and outcome.credited is not None:
            # Telegram may be slow: Stripe only needs to hear that we have it.
            task = asyncio.create_task(self._notify(outcome.credited))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({"received": True, "result": outcome.kind})

    async def drain(self) -> None:
        """Wait for notifications still being sent (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _page(self, key: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def page(request: web.Request) -> web.Response:
            return web.Response(text=self._texts.get(None, key), content_type="text/plain", charset="utf-8")

        return page

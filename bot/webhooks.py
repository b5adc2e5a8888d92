"""Inbound HTTP from payment providers: the Stripe webhook and the pages Stripe Checkout returns to."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

from aiohttp import web
from telegram import Bot
from telegram.error import TelegramError

from billing import Payments, StripeOutcome, StripeSignatureError
from bot.delivery import notify_credited
from bot.logs import new_trace_id
from bot.studio.delivery import is_web_visitor
from bot.texts import Texts
from storage import UserRepository

log = logging.getLogger(__name__)
MAX_BODY = 512 * 1024

Notify = Callable[[StripeOutcome], Coroutine[Any, Any, None]]


class StripeNotices:
    """Tells the buyer (and for refunds and disputes made at Stripe, the admins) what a webhook event did."""

    def __init__(self, bot: Bot, texts: Texts, users: UserRepository, admin_ids: Iterable[int]) -> None:
        self._bot, self._texts, self._users, self._admins = bot, texts, users, tuple(sorted(admin_ids))

    async def __call__(self, outcome: StripeOutcome) -> None:
        """Send the messages ``outcome`` calls for; Telegram errors are logged, never raised."""
        if outcome.kind == "credited" and outcome.credited is not None:
            await notify_credited(self._bot, self._texts, self._users, outcome.credited)
        elif outcome.kind in ("pending", "failed") and outcome.telegram_id and outcome.pack:
            key = "payments.stripe_pending" if outcome.kind == "pending" else "payments.stripe_failed"
            await self._tell_user(outcome.telegram_id, key, credits=outcome.pack.credits)
        elif outcome.kind == "reversed" and outcome.reversal is not None:
            await self._reversed(outcome)

    async def _reversed(self, outcome: StripeOutcome) -> None:
        assert outcome.reversal is not None
        reversal, refunded = outcome.reversal, outcome.reversal.refunded
        payment = refunded.payment
        if reversal.kind == "refund" and refunded.already_refunded:
            return  # Stripe echoing a refund made here (/refund): everybody was told then
        values = {
            "reversal": reversal.reversal_id,
            "id": payment.external_id,
            "user": payment.telegram_id,
            "debited": refunded.debited,
            "spent": refunded.already_spent,
            "credits": payment.credits,
            "reason": reversal.reason or "unknown",
        }
        admin_key = "admin.stripe_refunded" if reversal.kind == "refund" else "admin.stripe_disputed"
        for admin_id in self._admins:
            await self._send(admin_id, self._texts.get(None, admin_key, **values))
        if payment.telegram_id and not refunded.already_refunded:
            if reversal.kind == "dispute":
                key = "payments.disputed_user"
            else:
                key = "payments.refunded_user_spent" if refunded.already_spent else "payments.refunded_user"
            await self._tell_user(
                payment.telegram_id, key, charge=payment.external_id, debited=refunded.debited, spent=values["spent"]
            )

    async def _tell_user(self, telegram_id: int, key: str, **values: object) -> None:
        if is_web_visitor(telegram_id):  # a web session has no chat: its page shows the balance
            return
        user = await self._users.get(telegram_id)
        await self._send(telegram_id, self._texts.get(user.language if user else None, key, **values))

    async def _send(self, chat_id: int, text: str) -> None:
        try:
            await self._bot.send_message(chat_id, text)
        except TelegramError as exc:
            log.warning("could not send a Stripe notice to %s: %s", chat_id, exc)


class StripeWebhook:
    """``POST /stripe/webhook``: verify the signature on the raw body, apply the event once, answer at once."""

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
        """400 for anything not signed by Stripe; 500 when applying it failed (nothing was recorded, so Stripe's
        retry applies it afresh); 200 otherwise (unknown event types included)."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "body too large"}, status=413)
        raw = await request.read()
        try:
            outcome = await self._payments.handle_stripe_event(raw, request.headers.get("Stripe-Signature"))
        except StripeSignatureError as exc:
            log.warning("Stripe webhook refused: %s", exc)
            return web.json_response({"error": "invalid signature"}, status=400)
        except Exception:
            trace_id = new_trace_id()
            log.exception("Stripe webhook failed [%s]; nothing recorded, Stripe will retry", trace_id)
            return web.json_response({"error": "temporary failure", "trace_id": trace_id}, status=500)
        if outcome.kind in ("credited", "pending", "failed", "reversed"):
            # Telegram may be slow: Stripe only needs to hear that we have it.
            task = asyncio.create_task(self._notify(outcome))
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

"""The sandbox's menu button for the studio: a Mini App launch URL with valid ``initData`` for a simulated person.

Telegram opens a Mini App at its URL with the launch parameters in the fragment (``#tgWebAppData=<initData>&…``,
which Telegram's ``telegram-web-app.js`` reads); the sandbox does the same, signing ``initData`` with the sandbox
bot's token exactly as Telegram does (:func:`sign_init_data`), so the studio's own check runs.

The panel also plays Telegram's client for ``Telegram.WebApp.openInvoice``: the Mini App posts
``web_app_open_invoice`` with the invoice link's slug, the client shows a payment form and answers
``invoice_closed`` with ``paid``/``cancelled``/``failed``/``pending`` (Telegram's WebApp protocol, as in
https://telegram.org/js/telegram-web-app.js and https://core.telegram.org/bots/webapps#initializing-mini-apps).
``GET /sandbox/api/studio/invoice?slug=`` gives the form its terms (from the bot's ``createInvoiceLink``) and
``POST /sandbox/api/studio/pay`` runs the stand-in's payment flow for the person (pre-checkout, then the receipt).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from aiohttp import web

from standin.standin import TelegramStandIn
from standin.web.api import PAYMENT_WAIT_S
from standin.web.cast import Cast


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """An initData query string carrying ``fields`` and their hash, as Telegram hands it to a Mini App.

    ``secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)``, ``hash = hex(HMAC_SHA256(secret_key,
    data_check_string))``, the check string being every field but ``hash``, sorted, as ``key=value`` lines
    (Telegram's "Validating data received via the Mini App"). The stand-in plays Telegram, so it signs by itself.
    """
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


class StudioPanel:
    """``GET /sandbox/api/studio?user=<id>`` → ``{"url": "/app/#tgWebAppData=…"}`` for that person."""

    def __init__(self, standin: TelegramStandIn, cast: Cast) -> None:
        self._standin, self._cast = standin, cast

    def mount(self, app: web.Application) -> None:
        """Add the route to ``app``."""
        app.router.add_get("/sandbox/api/studio", self.launch)
        app.router.add_get("/sandbox/api/studio/invoice", self.invoice)
        app.router.add_post("/sandbox/api/studio/pay", self.pay)

    async def launch(self, request: web.Request) -> web.Response:
        """The studio's launch URL for the person in ``?user=``; 400 for anyone not in the cast."""
        raw = request.query.get("user", "")
        person = self._cast.person(int(raw)) if raw.isdigit() and len(raw) < 16 else None
        if person is None:
            return web.json_response({"error": f"unknown user {raw[:20]!r}"}, status=400)
        # The person's app language as it is now (the page may have switched it), as Telegram puts it in initData.
        language = self._standin.world.users.get(person.user_id, {}).get("language_code") or person.language_code
        user = {"id": person.user_id, "first_name": person.name, "language_code": language or "en"}
        fields = {
            "query_id": f"SANDBOX{person.user_id}",
            "user": json.dumps(user, separators=(",", ":")),
            "auth_date": str(int(time.time())),
        }
        init_data = sign_init_data(fields, self._standin.world.token)
        launch = urlencode({"tgWebAppData": init_data, "tgWebAppVersion": "8.0", "tgWebAppPlatform": "web"})
        return web.json_response({"url": f"/app/#{launch}"}, headers={"Cache-Control": "no-store"})

    async def invoice(self, request: web.Request) -> web.Response:
        """The terms of the invoice link ``?slug=`` for the payment form; 404 for a link the bot never made."""
        terms = self._standin.commerce.links.get(request.query.get("slug", ""))
        if terms is None:
            return web.json_response({"error": "no such invoice link"}, status=404)
        total = sum(int(price["amount"]) for price in terms["prices"])
        summary = {"title": terms["title"], "description": terms["description"], "currency": terms["currency"]}
        return web.json_response({**summary, "total_amount": total}, headers={"Cache-Control": "no-store"})

    async def pay(self, request: web.Request) -> web.Response:
        """``{user_id, slug}``: the person pays the invoice link; ``{"status": "paid"}`` or ``"failed"`` (and why)."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        user_id = body.get("user_id") if isinstance(body, dict) else None
        slug = body.get("slug") if isinstance(body, dict) else None
        if not isinstance(user_id, int) or self._cast.person(user_id) is None or not isinstance(slug, str):
            return web.json_response({"error": "user_id (a person of the cast) and slug are required"}, status=400)
        if slug not in self._standin.commerce.links:
            return web.json_response({"status": "failed", "error_message": "no such invoice link"})
        outcome = await self._standin.pay_invoice_link(user_id, f"https://t.me/${slug}", timeout=PAYMENT_WAIT_S)
        status = "paid" if outcome.approved else "failed"
        return web.json_response({"status": status, "error_message": outcome.error_message})

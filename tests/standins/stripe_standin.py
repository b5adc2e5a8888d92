"""A Stripe API stand-in on 127.0.0.1: Checkout Sessions and refunds, plus webhook events signed with the
official library's helper (``stripe.WebhookSignature.generate_signature_header``)."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import stripe
from aiohttp import web

API_KEY = "sk_test_cloudmusic_standin_key"
WEBHOOK_SECRET = "whsec_cloudmusic_standin_secret"


@dataclass
class Recorded:
    """One request the stand-in received."""

    method: str
    path: str
    form: dict[str, str]
    idempotency_key: str | None


@dataclass
class StripeStandIn:
    """The subset of the Stripe API CloudMusic uses."""

    api_key: str = API_KEY
    webhook_secret: str = WEBHOOK_SECRET
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0  # answer the next N API calls with a 500
    _by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        app = web.Application()
        app.router.add_post("/v1/checkout/sessions", self._create_session)
        app.router.add_post("/v1/refunds", self._refund)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> StripeStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _record(self, request: web.Request) -> tuple[dict[str, str], web.Response | None]:
        form = {k: str(v) for k, v in (await request.post()).items()}
        key = request.headers.get("Idempotency-Key")
        self.requests.append(Recorded(request.method, request.path, form, key))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return form, web.json_response(
                {"error": {"type": "invalid_request_error", "message": "bad key"}}, status=401
            )
        if self.fail_next > 0:
            self.fail_next -= 1
            return form, web.json_response({"error": {"type": "api_error", "message": "boom"}}, status=500)
        return form, None

    async def _create_session(self, request: web.Request) -> web.Response:
        form, refusal = await self._record(request)
        if refusal is not None:
            return refusal
        key = request.headers.get("Idempotency-Key")
        if key and key in self._by_key:
            return web.json_response(self._by_key[key])
        number = next(self._ids)
        session = {
            "id": f"cs_test_{number}",
            "object": "checkout.session",
            "url": f"{self.base_url}/pay/cs_test_{number}",
            "mode": form.get("mode"),
            "payment_status": "unpaid",
            "status": "open",
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "amount_total": int(form.get("line_items[0][price_data][unit_amount]", "0")),
            "currency": form.get("line_items[0][price_data][currency]", "usd"),
            "payment_intent": f"pi_test_{number}",
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
        }
        self.sessions[session["id"]] = session
        if key:
            self._by_key[key] = session
        return web.json_response(session)

    async def _refund(self, request: web.Request) -> web.Response:
        form, refusal = await self._record(request)
        if refusal is not None:
            return refusal
        refund = {
            "id": f"re_test_{next(self._ids)}",
            "object": "refund",
            "status": "succeeded",
            "payment_intent": form.get("payment_intent"),
        }
        self.refunds.append(refund)
        return web.json_response(refund)

    def completed_event(
        self,
        session_id: str,
        *,
        event_id: str | None = None,
        paid: bool = True,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, str]:
        """A signed ``checkout.session.completed`` webhook for a session: (raw body, Stripe-Signature header)."""
        session = dict(self.sessions[session_id], payment_status="paid" if paid else "unpaid", status="complete")
        event = {
            "id": event_id or f"evt_test_{next(self._ids)}",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": session},
        }
        return self.sign(event, timestamp=timestamp, secret=secret)

    def sign(
        self, event: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """Serialise and sign any event."""
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(
            body, secret or self.webhook_secret, timestamp=timestamp if timestamp is not None else int(time.time())
        )
        return body.encode(), header

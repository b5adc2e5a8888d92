"""A Stripe API stand-in on 127.0.0.1: Checkout Sessions and refunds, plus webhook events signed with the
official library's helper (``stripe.WebhookSignature.generate_signature_header``).

Objects are built from Stripe's own example objects: ``stripe_fixtures.json`` holds the ``charge``, ``dispute``,
``refund``, ``checkout.session`` and ``event`` resources copied unchanged from stripe-mock
(github:stripe/stripe-mock, commit a7c7c338db2bd998ceb8b75ee3b713a43bafa85d, ``embedded/openapi/fixtures3.json``,
MIT licence, Copyright (c) 2014- Stripe, Inc.); the stand-in only overrides ids, amounts and states.

Behaviours copied from Stripe because CloudMusic relies on them:

- a delayed payment method: ``checkout.session.completed`` with ``payment_status=unpaid``, then
  ``checkout.session.async_payment_succeeded`` (``paid``) or ``checkout.session.async_payment_failed``;
- refunds and disputes made in the Dashboard arrive as ``charge.refunded`` (``amount_refunded``, ``refunded``,
  the refunds list) and ``charge.dispute.created`` (a dispute naming its charge and payment intent);
- a second refund of a fully refunded charge is refused: 400, ``invalid_request_error`` with code
  ``charge_already_refunded`` (stripe-python maps it to ``InvalidRequestError`` carrying ``code``);
- an ``Idempotency-Key`` reused with the same parameters replays the first answer; reused with different
  parameters it is refused: 400 with error type ``idempotency_error`` (stripe-python raises ``IdempotencyError``).

The hosted Checkout page, for the sandbox (``SANDBOX_HOSTED=true``): a session's ``url`` is
``GET /pay/{session_id}``, a page with one Pay button; paying (``POST /pay/{session_id}``, or :meth:`pay`)
completes the session and, when ``webhook_url`` is set, delivers the signed ``checkout.session.completed`` there
as Stripe would.
"""

from __future__ import annotations

import copy
import html
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import stripe
from aiohttp import web

API_KEY = "sk_test_cloudmusic_standin_key"
WEBHOOK_SECRET = "whsec_cloudmusic_standin_secret"
FIXTURES: dict[str, dict[str, Any]] = json.loads((Path(__file__).parent / "stripe_fixtures.json").read_text())


def fixture(name: str, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of stripe-mock's example ``name`` object with ``overrides`` applied."""
    return copy.deepcopy(FIXTURES[name]) | overrides


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
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # by payment intent id
    refunds: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0  # answer the next N API calls with a 500 (a transport failure: not remembered per key)
    _by_key: dict[str, tuple[str, dict[str, str], int, dict[str, Any]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    base_url: str = ""
    webhook_url: str | None = None  # where :meth:`pay` delivers the completed event (the bot's /stripe/webhook)

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        app = web.Application()
        app.router.add_post("/v1/checkout/sessions", self._create_session)
        app.router.add_post("/v1/refunds", self._refund)
        app.router.add_get("/pay/{session_id}", self._checkout_page)
        app.router.add_post("/pay/{session_id}", self._checkout_pay)
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

    # --- the API ----------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request, create: Any) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        key = request.headers.get("Idempotency-Key")
        self.requests.append(Recorded(request.method, request.path, form, key))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided.")
        if self.fail_next > 0:
            self.fail_next -= 1
            return _error(500, "api_error", "boom")
        if key and key in self._by_key:
            path, first_form, status, body = self._by_key[key]
            if (path, first_form) != (request.path, form):
                return _error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used "
                    f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                )
            return web.json_response(body, status=status, headers={"Idempotent-Replayed": "true"})
        status, body = create(form)
        if key:
            self._by_key[key] = (request.path, form, status, body)
        return web.json_response(body, status=status)

    async def _create_session(self, request: web.Request) -> web.Response:
        return await self._handle(request, self._new_session)

    async def _refund(self, request: web.Request) -> web.Response:
        return await self._handle(request, self._new_refund)

    def _new_session(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        number = next(self._ids)
        session = fixture(
            "checkout.session",
            id=f"cs_test_{number}",
            url=f"{self.base_url}/pay/cs_test_{number}",
            mode=form.get("mode"),
            payment_status="unpaid",
            status="open",
            client_reference_id=form.get("client_reference_id"),
            metadata={k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            amount_total=int(form.get("line_items[0][price_data][unit_amount]", "0")),
            amount_subtotal=int(form.get("line_items[0][price_data][unit_amount]", "0")),
            currency=form.get("line_items[0][price_data][currency]", "usd"),
            payment_intent=f"pi_test_{number}",
            success_url=form.get("success_url"),
            cancel_url=form.get("cancel_url"),
        )
        self.sessions[session["id"]] = session
        return 200, session

    def _new_refund(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        intent = form.get("payment_intent", "")
        charge = self.charges.get(intent)
        if charge is None:
            return _error_body(400, "invalid_request_error", f"No such payment_intent: '{intent}'", "resource_missing")
        if charge["refunded"]:
            return _error_body(
                400,
                "invalid_request_error",
                f"Charge {charge['id']} has already been refunded.",
                "charge_already_refunded",
            )
        amount = int(form.get("amount") or charge["amount"] - charge["amount_refunded"])
        return 200, self._apply_refund(charge, amount)

    def _apply_refund(self, charge: dict[str, Any], amount: int) -> dict[str, Any]:
        refund = fixture(
            "refund",
            id=f"re_test_{next(self._ids)}",
            amount=amount,
            charge=charge["id"],
            currency=charge["currency"],
            payment_intent=charge["payment_intent"],
            status="succeeded",
            created=int(time.time()),
        )
        self.refunds.append(refund)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].insert(0, refund)  # newest first, as Stripe lists them
        return refund

    # --- the hosted Checkout page (the sandbox's card payments) ---------------------------------------------------

    async def pay(self, session_id: str) -> int:
        """The buyer pays ``session_id``: the signed completed event goes to ``webhook_url``; its HTTP status.

        KeyError for an unknown session; RuntimeError when no webhook URL is set.
        """
        if self.webhook_url is None:
            raise RuntimeError("the Stripe stand-in has no webhook_url to deliver the payment to")
        body, signature = self.completed_event(session_id)
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        async with aiohttp.ClientSession() as http, http.post(self.webhook_url, data=body, headers=headers) as answer:
            return answer.status

    async def _checkout_page(self, request: web.Request) -> web.Response:
        session = self.sessions.get(request.match_info["session_id"])
        if session is None:
            return web.Response(status=404, text="No such checkout session.")
        amount = f"{int(session['amount_total']) / 100:.2f} {str(session['currency']).upper()}"
        page = (
            "<!doctype html><meta charset=utf-8><title>Checkout (stand-in)</title>"
            f"<h1>Pay {html.escape(amount)}</h1><p>A stand-in for Stripe Checkout: no card is charged.</p>"
            f"<form method=post><button type=submit>Pay {html.escape(amount)}</button></form>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _checkout_pay(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        if session_id not in self.sessions:
            return web.Response(status=404, text="No such checkout session.")
        if self.sessions[session_id].get("payment_status") == "paid":
            return web.Response(text="Already paid. You can close this page.")
        status = await self.pay(session_id)
        if status != 200:
            return web.Response(status=502, text=f"The shop did not accept the payment notice ({status}).")
        return web.Response(text="Paid. You can close this page and go back to the chat.")

    # --- what the buyer and the Dashboard do, as signed webhooks --------------------------------------------

    def _settle(self, session_id: str, payment_status: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        session.update(payment_status=payment_status, status="complete")
        intent = session["payment_intent"]
        if payment_status == "paid" and intent not in self.charges:
            self.charges[intent] = fixture(
                "charge",
                id=f"ch_test_{next(self._ids)}",
                amount=session["amount_total"],
                amount_captured=session["amount_total"],
                captured=True,
                currency=session["currency"],
                payment_intent=intent,
                metadata=dict(session["metadata"]),
                refunds={"object": "list", "data": [], "has_more": False, "url": "/v1/refunds"},
            )
        return copy.deepcopy(session)

    def completed_event(
        self,
        session_id: str,
        *,
        event_id: str | None = None,
        paid: bool = True,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, str]:
        """A signed ``checkout.session.completed``; ``paid=False`` is a delayed method still in progress."""
        session = self._settle(session_id, "paid" if paid else "unpaid")
        return self.sign(
            self.event("checkout.session.completed", session, event_id), timestamp=timestamp, secret=secret
        )

    def async_payment_event(
        self, session_id: str, *, succeeded: bool, event_id: str | None = None
    ) -> tuple[bytes, str]:
        """The outcome of a delayed payment: ``checkout.session.async_payment_succeeded`` or ``…_failed``."""
        session = self._settle(session_id, "paid" if succeeded else "unpaid")
        kind = "succeeded" if succeeded else "failed"
        return self.sign(self.event(f"checkout.session.async_payment_{kind}", session, event_id))

    def dashboard_refund(
        self, session_id: str, *, amount: int | None = None, event_id: str | None = None
    ) -> tuple[bytes, str]:
        """Refund a session's charge in the Dashboard (in full unless ``amount``): the ``charge.refunded`` event."""
        charge = self.charges[self.sessions[session_id]["payment_intent"]]
        if charge["refunded"]:
            raise ValueError(f"charge {charge['id']} is already refunded")
        self._apply_refund(charge, amount if amount is not None else charge["amount"] - charge["amount_refunded"])
        return self.charge_refunded_event(session_id, event_id=event_id)

    def charge_refunded_event(self, session_id: str, *, event_id: str | None = None) -> tuple[bytes, str]:
        """``charge.refunded`` for the session's charge as it stands (Stripe sends it for API refunds too)."""
        charge = self.charges[self.sessions[session_id]["payment_intent"]]
        return self.sign(self.event("charge.refunded", copy.deepcopy(charge), event_id))

    def dispute_event(self, session_id: str, *, event_id: str | None = None) -> tuple[bytes, str]:
        """The buyer disputes the charge with their bank: ``charge.dispute.created``."""
        charge = self.charges[self.sessions[session_id]["payment_intent"]]
        charge["disputed"] = True
        dispute = fixture(
            "dispute",
            id=f"dp_test_{next(self._ids)}",
            amount=charge["amount"],
            charge=charge["id"],
            currency=charge["currency"],
            payment_intent=charge["payment_intent"],
            reason="fraudulent",
            status="needs_response",
            created=int(time.time()),
        )
        return self.sign(self.event("charge.dispute.created", dispute, event_id))

    def event(self, kind: str, data_object: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        """An event shaped like stripe-mock's example ``event`` around ``data_object``."""
        return fixture(
            "event",
            id=event_id or f"evt_test_{next(self._ids)}",
            type=kind,
            created=int(time.time()),
            data={"object": data_object},
            api_version="2026-10-28.clover",
            pending_webhooks=1,
        )

    def sign(
        self, event: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """Serialise and sign any event."""
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(
            body, secret or self.webhook_secret, timestamp=timestamp if timestamp is not None else int(time.time())
        )
        return body.encode(), header


def _error_body(status: int, kind: str, message: str, code: str | None = None) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"type": kind, "message": message} | ({"code": code} if code else {})
    return status, {"error": error}


def _error(status: int, kind: str, message: str, code: str | None = None) -> web.Response:
    status, body = _error_body(status, kind, message, code)
    return web.json_response(body, status=status)

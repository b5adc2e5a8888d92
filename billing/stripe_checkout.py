"""Stripe Checkout through the official library's async API, and webhook signature checks on the raw body.

Errors::

    StripeCheckoutError       creating a session or a refund failed (Stripe down, bad key); safe message
    ├── StripeAlreadyRefunded the charge was already refunded (e.g. in the Dashboard): code charge_already_refunded
    └── StripeNoSuchPayment   Stripe has no such payment intent: code resource_missing
    StripeSignatureError      a webhook's signature is missing, wrong or stale, or its body is not an event
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import stripe

from billing.packs import CreditPack

log = logging.getLogger(__name__)
CURRENCY = "usd"  # every Checkout Session is priced in US dollars (CreditPack.usd_cents)
TOLERANCE_S = 300  # Stripe's default: a signature older than five minutes is refused as a replay


class StripeCheckoutError(Exception):
    """Stripe could not create the session or refund."""


class StripeAlreadyRefunded(StripeCheckoutError):
    """Stripe refused the refund because the charge was already refunded in full."""


class StripeNoSuchPayment(StripeCheckoutError):
    """Stripe refused the refund because it has no such payment intent (code ``resource_missing``)."""


class StripeSignatureError(Exception):
    """The webhook is not from Stripe (bad, missing or stale signature, or not an event)."""


@dataclass(frozen=True, slots=True)
class StripeSession:
    """A Checkout Session to send the user to."""

    id: str
    url: str


@dataclass(frozen=True, slots=True)
class StripeEvent:
    """The parts of a verified webhook event that crediting and reversals need.

    ``object_id`` is the event object's id: a Checkout Session (``cs_…``), a charge (``ch_…``) or a dispute
    (``dp_…``). ``reversal_id`` names one refund or dispute: the newest refund of a ``charge.refunded`` (Stripe
    lists a charge's refunds newest first), or the dispute's id.
    """

    event_id: str
    type: str
    session_id: str = ""
    payment_status: str = ""
    pack_id: str | None = None
    telegram_id: int | None = None
    fingerprint: str | None = None
    amount_total: int = 0
    currency: str = ""
    payment_intent: str | None = None
    object_id: str = ""
    reversal_id: str | None = None
    reason: str = ""


class StripeCheckout:
    """Creates Checkout Sessions and refunds, verifies webhooks. One Stripe client per event loop."""

    def __init__(
        self,
        api_key: str,
        webhook_secret: str | None,
        *,
        success_url: str,
        cancel_url: str,
        api_base: str | None = None,
    ) -> None:
        self._api_key, self._webhook_secret, self._api_base = api_key, webhook_secret, api_base
        self._success_url, self._cancel_url = success_url, cancel_url
        self._clients: dict[int, tuple[asyncio.AbstractEventLoop, stripe.StripeClient, stripe.HTTPXClient]] = {}

    def _client(self) -> stripe.StripeClient:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(id(loop))
        if entry is None or entry[0] is not loop:
            http = stripe.HTTPXClient(timeout=20)
            bases: Any = {"api": self._api_base} if self._api_base else None
            client = stripe.StripeClient(self._api_key, base_addresses=bases, http_client=http, max_network_retries=2)
            entry = self._clients[id(loop)] = (loop, client, http)
        return entry[1]

    async def aclose(self) -> None:
        """Close the HTTP clients of this event loop."""
        for key, (loop, _, http) in list(self._clients.items()):
            if loop is asyncio.get_running_loop():
                await http.close_async()  # type: ignore[no-untyped-call]
                del self._clients[key]

    async def create_session(
        self, pack: CreditPack, telegram_id: int, fingerprint: str, idempotency_key: str
    ) -> StripeSession:
        """A Checkout Session for ``pack`` paid by card; the fingerprint and pack travel in the session."""
        metadata = {"pack_id": pack.id, "telegram_id": str(telegram_id), "credits": str(pack.credits)}
        params: Any = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": CURRENCY,
                        "unit_amount": pack.usd_cents,
                        "product_data": {"name": f"CloudMusic · {pack.credits} credits"},
                    },
                }
            ],
            "client_reference_id": fingerprint,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": self._success_url,
            "cancel_url": self._cancel_url,
        }
        try:
            session = await self._client().v1.checkout.sessions.create_async(
                params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            log.error("Stripe Checkout Session creation failed: %s", exc.user_message or type(exc).__name__)
            raise StripeCheckoutError("could not create a Checkout Session") from exc
        if not session.url:
            raise StripeCheckoutError("Stripe returned a session without a URL")
        return StripeSession(session.id, session.url)

    async def refund(self, payment_intent: str) -> str:
        """Refund a payment in full; returns the refund id.

        ``StripeAlreadyRefunded`` when it already was: refunded in the Dashboard (Stripe refuses), or by an earlier
        call with the same idempotency key (Stripe replays that call's answer, header ``Idempotent-Replayed``).
        """
        try:
            refund = await self._client().v1.refunds.create_async(
                {"payment_intent": payment_intent}, options={"idempotency_key": f"refund:{payment_intent}"}
            )
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":  # refunded in the Dashboard (or by a dispute's loss)
                log.warning("Stripe says %s was already refunded", payment_intent)
                raise StripeAlreadyRefunded("the payment was already refunded") from exc
            if exc.code == "resource_missing":  # https://docs.stripe.com/error-codes#resource-missing
                log.error("Stripe has no payment intent %s to refund", payment_intent)
                raise StripeNoSuchPayment("no such payment intent") from exc
            log.error("Stripe refund of %s failed: %s", payment_intent, exc.user_message or type(exc).__name__)
            raise StripeCheckoutError("the refund failed") from exc
        except stripe.StripeError as exc:
            log.error("Stripe refund of %s failed: %s", payment_intent, exc.user_message or type(exc).__name__)
            raise StripeCheckoutError("the refund failed") from exc
        response = refund.last_response
        if response is not None and response.headers.get("idempotent-replayed") == "true":
            # Stripe replayed an earlier answer to this key: that call refunded the payment, this one did nothing.
            log.warning("Stripe replayed the refund of %s: it was refunded before", payment_intent)
            raise StripeAlreadyRefunded("the payment was already refunded (an earlier refund request)")
        return str(refund.id)

    def verify(self, raw_body: bytes, signature: str | None) -> StripeEvent:
        """Check the ``Stripe-Signature`` over the raw body and read the event; StripeSignatureError otherwise."""
        if not self._webhook_secret:
            raise StripeSignatureError("STRIPE_WEBHOOK_SECRET is not set")
        try:
            text = raw_body.decode("utf-8")
            stripe.WebhookSignature.verify_header(text, signature, self._webhook_secret, TOLERANCE_S)
            return _event(json.loads(text))
        except (
            stripe.SignatureVerificationError,
            UnicodeDecodeError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
        ) as exc:
            raise StripeSignatureError(type(exc).__name__) from exc


def _event(event: dict[str, Any]) -> StripeEvent:
    """Read the fields CloudMusic uses from an event; KeyError/TypeError/ValueError when it is not an event.

    Field names follow Stripe's example objects (stripe-mock ``embedded/openapi/fixtures3.json``): a Checkout
    Session has ``payment_status``, ``amount_total``, ``currency``, ``client_reference_id``, ``metadata`` and
    ``payment_intent``; a charge has ``amount``, ``amount_refunded``, ``refunded``, ``payment_intent`` and
    ``refunds.data``; a dispute has ``amount``, ``charge``, ``payment_intent`` and ``reason``.
    """
    data = event["data"]["object"]
    if not isinstance(data, dict):
        raise TypeError("data.object is not an object")
    metadata = data.get("metadata") or {}
    kind = str(event["type"])
    object_id = str(data.get("id", ""))
    reversal_id: str | None = None
    if kind == "charge.refunded":
        refunds = (data.get("refunds") or {}).get("data") or []
        # Without the refunds list (not expanded), the cumulative refunded amount still names this refund.
        reversal_id = str(refunds[0]["id"]) if refunds else f"{object_id}:{data.get('amount_refunded')}"
    elif kind.startswith("charge.dispute."):
        reversal_id = object_id
    amount = data.get("amount_total") if kind.startswith("checkout.session.") else data.get("amount")
    return StripeEvent(
        event_id=str(event["id"]),
        type=kind,
        session_id=object_id if kind.startswith("checkout.session.") else "",
        payment_status=str(data.get("payment_status") or ""),
        pack_id=metadata.get("pack_id"),
        telegram_id=_user_id(metadata.get("telegram_id")),
        fingerprint=data.get("client_reference_id"),
        amount_total=int(amount or 0),
        currency=str(data.get("currency") or "").lower(),
        payment_intent=data.get("payment_intent"),
        object_id=object_id,
        reversal_id=reversal_id,
        reason=str(data.get("reason") or ""),
    )


def _user_id(value: object) -> int | None:
    """The Telegram user id from Stripe metadata, or None when it is missing or not a number."""
    try:
        return int(str(value)) if value else None
    except ValueError:
        return None

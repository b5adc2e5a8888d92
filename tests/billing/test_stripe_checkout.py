"""``StripeCheckout`` and the Stripe stand-in through the official library: the parts of Stripe's contract that
CloudMusic relies on (idempotency keys, refusing a second refund, the shape of webhook events)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import stripe

from billing import StripeAlreadyRefunded, StripeCheckout, parse_packs
from standin.stripe_standin import API_KEY, FIXTURES, WEBHOOK_SECRET, StripeStandIn

(PACK,) = parse_packs("10:50:1.99")


@pytest.fixture
async def standin() -> AsyncIterator[StripeStandIn]:
    async with StripeStandIn() as running:
        yield running


@pytest.fixture
async def checkout(standin: StripeStandIn) -> AsyncIterator[StripeCheckout]:
    client = StripeCheckout(
        API_KEY,
        WEBHOOK_SECRET,
        success_url="https://x.test/ok",
        cancel_url="https://x.test/no",
        api_base=standin.base_url,
    )
    yield client
    await client.aclose()


async def test_a_reused_idempotency_key_replays_the_same_request_and_refuses_different_parameters(
    standin: StripeStandIn,
) -> None:
    client = stripe.StripeClient(API_KEY, base_addresses={"api": standin.base_url}, http_client=stripe.HTTPXClient())
    params: Any = {"mode": "payment", "success_url": "https://x.test/ok", "client_reference_id": "fp-1"}
    first = await client.v1.checkout.sessions.create_async(params, options={"idempotency_key": "key-1"})
    again = await client.v1.checkout.sessions.create_async(dict(params), options={"idempotency_key": "key-1"})
    assert again.id == first.id and len(standin.sessions) == 1
    with pytest.raises(stripe.IdempotencyError) as refused:
        await client.v1.checkout.sessions.create_async(
            params | {"client_reference_id": "fp-2"}, options={"idempotency_key": "key-1"}
        )
    assert refused.value.http_status == 400 and "same parameters" in str(refused.value.user_message)
    assert len(standin.sessions) == 1


async def test_refunding_a_charge_already_refunded_in_the_dashboard_raises_already_refunded(
    standin: StripeStandIn, checkout: StripeCheckout
) -> None:
    session = await checkout.create_session(PACK, 1001, "fp-1", "checkout:1001:a")
    standin.completed_event(session.id)
    intent = standin.sessions[session.id]["payment_intent"]
    standin.dashboard_refund(session.id)
    with pytest.raises(StripeAlreadyRefunded):
        await checkout.refund(intent)
    assert len(standin.refunds) == 1


async def test_an_api_refund_then_a_second_one_is_refused_like_stripe(
    standin: StripeStandIn, checkout: StripeCheckout
) -> None:
    session = await checkout.create_session(PACK, 1001, "fp-1", "checkout:1001:b")
    standin.completed_event(session.id)
    intent = standin.sessions[session.id]["payment_intent"]
    refund_id = await checkout.refund(intent)
    assert refund_id.startswith("re_") and standin.charges[intent]["refunded"]
    with pytest.raises(StripeAlreadyRefunded):  # the same idempotency key replays the first answer: nothing new
        await checkout.refund(intent)
    assert len(standin.refunds) == 1
    client = stripe.StripeClient(API_KEY, base_addresses={"api": standin.base_url}, http_client=stripe.HTTPXClient())
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.refunds.create_async({"payment_intent": intent})  # no key: a new request
    assert refused.value.code == "charge_already_refunded"


async def test_webhook_events_carry_the_fields_of_stripes_example_objects(
    standin: StripeStandIn, checkout: StripeCheckout
) -> None:
    session = await checkout.create_session(PACK, 1001, "fp-1", "checkout:1001:c")
    bodies = [
        standin.completed_event(session.id, paid=False),
        standin.async_payment_event(session.id, succeeded=True),
        standin.dashboard_refund(session.id, amount=50),
        standin.dispute_event(session.id),
    ]
    events = [checkout.verify(body, signature) for body, signature in bodies]
    assert [e.type for e in events] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "charge.refunded",
        "charge.dispute.created",
    ]
    for (body, _), kind in zip(bodies, ["checkout.session", "checkout.session", "charge", "dispute"], strict=True):
        obj = json.loads(body)["data"]["object"]
        assert set(FIXTURES[kind]) <= set(obj), f"{kind} lacks fields of Stripe's example object"
        assert set(FIXTURES["event"]) <= set(json.loads(body))
    assert (events[0].payment_status, events[1].payment_status) == ("unpaid", "paid")
    intent = standin.sessions[session.id]["payment_intent"]
    assert {e.payment_intent for e in events} == {intent}
    assert events[2].reversal_id == standin.refunds[0]["id"] and events[2].amount_total == 199
    assert events[3].reversal_id is not None and events[3].reversal_id.startswith("dp_")
    assert (events[1].pack_id, events[1].telegram_id, events[1].fingerprint) == ("10", 1001, "fp-1")

"""The payment-provider contract (issue 14 item 5), held by Telegram Stars and Stripe against the project's
stand-ins: a charge is refunded once; a second refund, or one of a charge refunded outside the bot (Stripe's
Dashboard, or an earlier refund whose bookkeeping did not finish), is ``AlreadyRefundedAtProvider``; an unknown
charge is ``UnknownCharge``; an outage is ``ProviderUnavailable`` and changes nothing, so the retry refunds once.

Like the engine contract suite, every test runs against every provider; a new provider joins by adding a harness.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import LabeledPrice, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, PreCheckoutQueryHandler

from billing import StripeCheckout, parse_packs
from billing.providers import (
    AlreadyRefundedAtProvider,
    PaymentProvider,
    ProviderUnavailable,
    StarsProvider,
    StripeProvider,
    UnknownCharge,
)
from bot.star_refunds import star_refunder
from standin import TelegramStandIn
from standin.stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn
from storage import Payment

ADA = 1001
TOKEN = "123456:TEST-TOKEN"
(PACK,) = parse_packs("10:50:1.99")
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@dataclass
class Harness:
    """One provider and the means to play its side: make a real charge, refund it outside the bot, fail."""

    provider: PaymentProvider
    charge: Callable[[], Awaitable[Payment]]
    refund_outside: Callable[[Payment], Awaitable[None]]
    refunds_made: Callable[[Payment], int]  # how many refunds the provider made of this charge
    outage: Callable[[], None]  # the provider fails the next refund request(s)
    recover: Callable[[], None]


def payment(provider: Any, external_id: str, payment_intent: str | None = None) -> Payment:
    """The payment row the bot would hold for a charge."""
    return Payment(
        1, provider, external_id, ADA, "fp-ada", PACK.id, PACK.credits, 50, "XTR", "paid", NOW, payment_intent
    )


@pytest.fixture
async def stars() -> AsyncIterator[Harness]:
    """Stars through a real PTB Application on the Telegram stand-in; it approves every pre-checkout."""
    async with TelegramStandIn(token=TOKEN) as standin:
        standin.add_user(ADA, first_name="Ada", language_code="en")
        app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(TOKEN).base_url(standin.base_url).base_file_url(standin.file_base_url).build()
        )

        async def approve(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.pre_checkout_query is not None
            await update.pre_checkout_query.answer(ok=True)

        app.add_handler(PreCheckoutQueryHandler(approve))
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)

        async def charge() -> Payment:
            invoice = await app.bot.send_invoice(ADA, "10 credits", "Ten", "pack:10", "XTR", [LabeledPrice("P", 50)])
            outcome = await standin.pay_invoice(ADA, invoice.message_id)
            assert outcome.approved and outcome.charge_id is not None
            return payment("stars", outcome.charge_id)

        async def refund_outside(paid: Payment) -> None:
            assert await app.bot.refund_star_payment(ADA, paid.external_id)

        def refunds_made(paid: Payment) -> int:
            return sum(
                c.method == "refundStarPayment"
                and c.status == 200
                and c.params.get("telegram_payment_charge_id") == paid.external_id
                for c in standin.calls
            )

        def outage() -> None:
            standin.inject_fault("refundStarPayment", "502", times=100)

        def recover() -> None:
            standin.faults.clear()

        try:
            yield Harness(StarsProvider(star_refunder(app.bot)), charge, refund_outside, refunds_made, outage, recover)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()


@pytest.fixture
async def stripe() -> AsyncIterator[Harness]:
    """Stripe through ``StripeCheckout`` (the official library) on the Stripe stand-in."""
    async with StripeStandIn() as standin:
        checkout = StripeCheckout(
            API_KEY,
            WEBHOOK_SECRET,
            success_url="https://x.test/ok",
            cancel_url="https://x.test/no",
            api_base=standin.base_url,
        )

        async def charge() -> Payment:
            session = await checkout.create_session(PACK, ADA, "fp-ada", f"checkout:{ADA}:{len(standin.sessions)}")
            standin.completed_event(session.id)  # the buyer pays: the session's charge exists
            return payment("stripe", session.id, standin.sessions[session.id]["payment_intent"])

        async def refund_outside(paid: Payment) -> None:
            standin.dashboard_refund(paid.external_id)

        def refunds_made(paid: Payment) -> int:
            return sum(r["payment_intent"] == paid.payment_intent for r in standin.refunds)

        def outage() -> None:
            standin.fail_next = 100  # more than the library's retries

        def recover() -> None:
            standin.fail_next = 0

        try:
            yield Harness(StripeProvider(checkout), charge, refund_outside, refunds_made, outage, recover)
        finally:
            await checkout.aclose()


@pytest.fixture(params=["stars", "stripe"])
def harness(request: pytest.FixtureRequest) -> Harness:
    """Each contract test runs once per provider."""
    found: Harness = request.getfixturevalue(request.param)
    return found


async def test_a_charge_is_refunded_once(harness: Harness) -> None:
    paid = await harness.charge()
    assert harness.refunds_made(paid) == 0
    await harness.provider.refund(paid)
    assert harness.refunds_made(paid) == 1


async def test_a_second_refund_is_refused_as_already_refunded_and_refunds_nothing_more(harness: Harness) -> None:
    paid = await harness.charge()
    await harness.provider.refund(paid)
    with pytest.raises(AlreadyRefundedAtProvider):
        await harness.provider.refund(dataclasses.replace(paid))
    assert harness.refunds_made(paid) == 1


async def test_an_unknown_charge_is_unknown(harness: Harness) -> None:
    paid = await harness.charge()
    unknown = dataclasses.replace(
        paid, external_id="ch-unknown", payment_intent="pi_unknown" if paid.payment_intent else None
    )
    with pytest.raises(UnknownCharge):
        await harness.provider.refund(unknown)
    assert harness.refunds_made(paid) == 0


async def test_a_charge_refunded_outside_the_bot_is_already_refunded(harness: Harness) -> None:
    """The partial state a crash leaves (the money back, the credits not yet taken): the retry must say so."""
    paid = await harness.charge()
    await harness.refund_outside(paid)
    with pytest.raises(AlreadyRefundedAtProvider):
        await harness.provider.refund(paid)
    assert harness.refunds_made(paid) == 1


async def test_an_outage_refunds_nothing_and_the_retry_refunds_once(harness: Harness) -> None:
    paid = await harness.charge()
    harness.outage()
    with pytest.raises(ProviderUnavailable):
        await harness.provider.refund(paid)
    assert harness.refunds_made(paid) == 0
    harness.recover()
    await harness.provider.refund(paid)
    assert harness.refunds_made(paid) == 1

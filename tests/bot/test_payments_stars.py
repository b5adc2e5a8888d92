"""Telegram Stars end to end: /buy → invoice → pre-checkout → successful_payment → credits; refunds; support."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from standin import ChatMessage
from storage import LedgerRepository, PaymentRepository
from tests.conftest import ADA, BOB, LiveBot

ADMIN = 4242


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"free_daily_quota": 0, "admin_ids": frozenset({ADMIN})}


async def invoice_for(live_bot: LiveBot, user_id: int, pack: str = "10") -> ChatMessage:
    menu = await live_bot.ask(user_id, "/buy", "Credit packs")
    await live_bot.standin.press_button(user_id, menu.message_id, f"pack:{pack}")
    return await live_bot.reply(user_id, lambda m: m.kind == "invoice")


async def paid_balance(live_bot: LiveBot, user_id: int) -> int:
    services = live_bot.runtime.services
    return await LedgerRepository(live_bot.runtime.core.db).balance(services.fingerprint(user_id), "paid")


async def test_buy_shows_every_pack_in_stars(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(ADA, "/buy", "Credit packs")
    assert [b.callback_data for b in menu.buttons] == ["pack:10", "pack:50", "pack:200"]
    assert "10 credits — 50 Stars" in menu.buttons[0].text


async def test_a_stars_purchase_credits_once_and_confirms_the_balance(live_bot: LiveBot) -> None:
    invoice = await invoice_for(live_bot, ADA)
    shown = invoice.raw["invoice"]  # what the person sees in Telegram
    assert (shown["currency"], shown["total_amount"], shown["title"]) == ("XTR", 50, "10 CloudMusic credits")
    outcome = await live_bot.standin.pay_invoice(ADA, invoice.message_id)
    assert outcome.approved and outcome.receipt is not None
    confirmation = await live_bot.reply(ADA, lambda m: "Payment received" in m.content)
    assert "10 credits added" in confirmation.content and "10 paid credits" in confirmation.content
    for _ in range(9):  # Telegram re-sends an update the bot did not confirm, e.g. after a crash
        live_bot.standin.redeliver(outcome.receipt)
    await live_bot.settled()
    assert await paid_balance(live_bot, ADA) == 10
    confirmations = [m for m in live_bot.standin.transcript(ADA) if "Payment received" in m.content]
    assert len(confirmations) == 1
    payments = await PaymentRepository(live_bot.runtime.core.db).for_user(ADA)
    assert [(p.provider, p.external_id, p.credits) for p in payments] == [("stars", outcome.charge_id, 10)]


async def test_the_quota_buy_button_opens_the_packs_and_paid_credits_then_make_tracks(live_bot: LiveBot) -> None:
    blocked = await live_bot.ask(ADA, "ambient 2s", "used today's 0 free tracks")
    await live_bot.standin.press_button(ADA, blocked.message_id, "buy")
    menu = await live_bot.reply(ADA, lambda m: "Credit packs" in m.content)
    await live_bot.standin.press_button(ADA, menu.message_id, "pack:10")
    invoice = await live_bot.reply(ADA, lambda m: m.kind == "invoice")
    assert (await live_bot.standin.pay_invoice(ADA, invoice.message_id)).approved
    await live_bot.reply(ADA, lambda m: "Payment received" in m.content)
    await live_bot.say(ADA, "ambient 2s")
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)
    assert await paid_balance(live_bot, ADA) == 9


async def test_a_forged_payload_is_refused_at_pre_checkout(live_bot: LiveBot) -> None:
    bot = live_bot.runtime.application.bot
    genuine = await invoice_for(live_bot, ADA)
    assert genuine.invoice is not None
    forged = await bot.send_invoice(
        ADA,
        "200 credits",
        "forged",
        payload="v1.stars.200.1001.nonce.forgedsignature",
        currency="XTR",
        prices=[{"label": "x", "amount": 1}],
    )  # type: ignore[list-item]
    outcome = await live_bot.standin.pay_invoice(ADA, forged.message_id)
    assert not outcome.approved and outcome.error_message and "not valid" in outcome.error_message
    assert await paid_balance(live_bot, ADA) == 0


async def test_someone_elses_invoice_is_refused(live_bot: LiveBot) -> None:
    adas = await invoice_for(live_bot, ADA)
    assert adas.invoice is not None
    # Bob replays Ada's payload on an invoice in his own chat.
    payload = [c for c in live_bot.standin.calls if c.method == "sendInvoice"][-1].params["payload"]
    bobs = await live_bot.runtime.application.bot.send_invoice(
        BOB,
        "10 credits",
        "replayed",
        payload=payload,
        currency="XTR",
        prices=[{"label": "x", "amount": 50}],  # type: ignore[list-item]
    )
    outcome = await live_bot.standin.pay_invoice(BOB, bobs.message_id)
    assert not outcome.approved
    assert await paid_balance(live_bot, BOB) == 0


async def test_a_banned_user_cannot_pay(live_bot: LiveBot) -> None:
    invoice = await invoice_for(live_bot, ADA)
    await live_bot.runtime.services.users.set_banned(ADA, True)
    outcome = await live_bot.standin.pay_invoice(ADA, invoice.message_id)
    assert not outcome.approved and "can't make purchases" in (outcome.error_message or "")


@pytest.mark.parametrize(
    "bot_settings", [{"free_daily_quota": 0, "admin_ids": frozenset({ADMIN}), "max_active_jobs": 100}]
)
async def test_concurrent_payments_and_spending_keep_the_ledger_consistent(live_bot: LiveBot) -> None:
    invoices = [await invoice_for(live_bot, ADA) for _ in range(3)]
    outcomes = await asyncio.gather(
        *(live_bot.standin.pay_invoice(ADA, inv.message_id) for inv in invoices),
        *(live_bot.say(ADA, f"spend {i} 1s") for i in range(12)),
    )
    assert sum(1 for o in outcomes if getattr(o, "approved", False)) == 3
    confirmed = lambda _: sum("Payment received" in x.content for x in live_bot.standin.transcript(ADA)) == 3  # noqa: E731
    await live_bot.standin.wait_for(ADA, confirmed, timeout=10, since=0)
    await live_bot.settled()  # every prompt has been admitted or refused
    services = live_bot.runtime.services
    async with asyncio.timeout(30):  # and every accepted generation has finished
        while await services.studio.jobs.active_for_user(ADA):
            await asyncio.sleep(0.05)
    fingerprint = services.fingerprint(ADA)
    entries = await LedgerRepository(live_bot.runtime.core.db).entries(fingerprint)
    bought = sum(e.amount for e in entries if e.kind == "purchase")
    held = sum(e.amount for e in entries if e.bucket == "paid" and e.kind in ("reserve", "release"))
    balance = await paid_balance(live_bot, ADA)
    assert bought == 30 and balance == bought + held >= 0, "balance = purchases − credits held or spent by jobs"
    jobs = await services.studio.jobs.for_user(ADA, limit=100)
    assert -held == sum(1 for j in jobs if j.funding == "paid" and j.status in ("queued", "running", "delivered"))


async def test_admin_refund_takes_back_unspent_credits_and_tells_the_user(live_bot: LiveBot) -> None:
    live_bot.standin.add_user(ADMIN, first_name="Admin")
    invoice = await invoice_for(live_bot, ADA)
    outcome = await live_bot.standin.pay_invoice(ADA, invoice.message_id)
    await live_bot.reply(ADA, lambda m: "Payment received" in m.content)
    for index in range(3):
        await live_bot.say(ADA, f"paid track {index} 1s")
        await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)
    report = await live_bot.ask(ADMIN, f"/refund {outcome.charge_id}", "Refunded payment")
    assert "7 unused credits taken back; 3 of 10 had already been spent" in report.content
    assert any(c.method == "refundStarPayment" for c in live_bot.standin.calls)
    told = await live_bot.standin.wait_for(ADA, lambda m: "was refunded" in m.content, since=0)
    assert "7 unused credits were removed; 3 had already been used" in told.content
    await live_bot.settled()  # the refunded_payment service message included
    assert len([m for m in live_bot.standin.transcript(ADA) if "was refunded" in m.content]) == 1
    assert await paid_balance(live_bot, ADA) == 0
    again = await live_bot.ask(ADMIN, f"/refund {outcome.charge_id}", "already refunded")
    assert again.kind == "text"


async def test_refund_is_an_unknown_command_for_everyone_else(live_bot: LiveBot) -> None:
    reply = await live_bot.ask(ADA, "/refund stxs123", "don't know the command")
    assert "/refund" in reply.content
    assert not any(c.method == "refundStarPayment" for c in live_bot.standin.calls)


async def test_refund_of_an_unknown_id_and_without_an_id(live_bot: LiveBot) -> None:
    live_bot.standin.add_user(ADMIN, first_name="Admin")
    assert "Usage" in (await live_bot.ask(ADMIN, "/refund", "Usage")).content
    assert "No payment" in (await live_bot.ask(ADMIN, "/refund nope", "No payment")).content


async def test_paysupport_and_terms_answer(live_bot: LiveBot) -> None:
    assert "payment" in (await live_bot.ask(ADA, "/paysupport", "Payment help")).content
    assert "Credits do not expire" in (await live_bot.ask(ADA, "/terms", "Terms of sale")).content


async def test_pre_checkout_is_answered_while_a_flood_wait_holds_every_other_call(live_bot: LiveBot) -> None:
    invoice = await invoice_for(live_bot, ADA)
    calls = live_bot.standin.calls
    # Telegram answers a message with 429 and retry_after: PTB's rate limiter then pauses every call until it ends.
    live_bot.standin.inject_fault("sendMessage", "429", retry_after=6)
    await live_bot.say(ADA, "/help")
    async with asyncio.timeout(10):
        while not any(c.method == "sendMessage" and c.status == 429 for c in calls):
            await asyncio.sleep(0.01)
    flood = next(i for i, c in enumerate(calls) if c.method == "sendMessage" and c.status == 429)
    outcome = await live_bot.standin.pay_invoice(ADA, invoice.message_id)
    assert outcome.approved
    await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, timeout=15, since=0)
    answered = next(i for i, c in enumerate(calls) if c.method == "answerPreCheckoutQuery" and c.status == 200)
    resumed = next(i for i, c in enumerate(calls) if i > flood and c.method == "sendMessage" and c.status == 200)
    assert flood < answered < resumed, "the pre-checkout answer must not wait for the flood wait to end"


async def test_the_receipt_balance_and_admin_user_show_the_payment_id_that_refund_takes(live_bot: LiveBot) -> None:
    live_bot.standin.add_user(ADMIN, first_name="Admin")
    outcome = await live_bot.standin.pay_invoice(ADA, (await invoice_for(live_bot, ADA)).message_id)
    assert outcome.charge_id is not None
    receipt = await live_bot.reply(ADA, lambda m: "Payment received" in m.content)
    assert f"Payment id: {outcome.charge_id}" in receipt.content
    balance = await live_bot.ask(ADA, "/balance", "Free tracks left")
    assert outcome.charge_id in balance.content and "10 credits" in balance.content
    user = await live_bot.ask(ADMIN, f"/user {ADA}", "Payments")
    assert outcome.charge_id in user.content
    report = await live_bot.ask(ADMIN, f"/refund {outcome.charge_id}", "Refunded payment")
    assert outcome.charge_id in report.content
    balance = await live_bot.ask(ADA, "/balance", "Free tracks left")
    assert f"{outcome.charge_id}" in balance.content and "refunded" in balance.content

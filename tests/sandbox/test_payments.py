"""The Stars flow against a polling PTB Application: pre-checkout, approval or refusal, receipt, refund."""

from __future__ import annotations

import pytest
from telegram import LabeledPrice, Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler, ContextTypes, MessageHandler, PreCheckoutQueryHandler, filters

from standin import TelegramStandIn
from tests.sandbox.conftest import ADA, App, StartApp, build_app


def shop(standin: TelegramStandIn, approve: bool, receipts: list[str]) -> App:
    """A tiny Stars shop: /buy sends an invoice, pre-checkouts are approved or refused, receipts thanked."""

    async def buy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_invoice(
            update.effective_chat.id, "10 tracks", "Ten generations", "pack:10", "XTR", [LabeledPrice("Pack", 50)]
        )

    async def pre_checkout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.pre_checkout_query is not None
        if approve:
            await update.pre_checkout_query.answer(ok=True)
        else:
            await update.pre_checkout_query.answer(ok=False, error_message="Sold out, sorry")

    async def paid(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.successful_payment is not None
        receipts.append(update.message.successful_payment.telegram_payment_charge_id)
        await update.message.reply_text("Thanks! 10 tracks added.")

    app = build_app(standin)
    app.add_handler(CommandHandler("buy", buy))
    app.add_handler(PreCheckoutQueryHandler(pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid))
    return app


async def _invoice_id(standin: TelegramStandIn) -> int:
    await standin.send_text(ADA, "/buy")
    return (await standin.wait_for(ADA, lambda m: m.kind == "invoice")).message_id


async def test_an_approved_payment_posts_a_receipt_the_bot_sees(standin: TelegramStandIn, polling: StartApp) -> None:
    receipts: list[str] = []
    app = await polling(shop(standin, approve=True, receipts=receipts))
    events = standin.subscribe()

    outcome = await standin.pay_invoice(ADA, await _invoice_id(standin))
    await standin.wait_for(ADA, lambda m: m.content.startswith("Thanks"))
    again = await standin.pay_invoice(ADA, await _invoice_id(standin))  # a new invoice: the paid one is a receipt

    assert outcome.approved and outcome.total_amount == 50 and outcome.invoice_payload == "pack:10"
    assert receipts[0] == outcome.charge_id and again.charge_id != outcome.charge_id
    assert outcome.receipt is not None and outcome.receipt.service is not None
    assert await app.bot.refund_star_payment(ADA, outcome.charge_id or "")
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_ALREADY_REFUNDED"):
        await app.bot.refund_star_payment(ADA, outcome.charge_id or "")
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_NOT_FOUND"):
        await app.bot.refund_star_payment(ADA, "stxs-unknown")
    refunds = [m for m in standin.transcript(ADA) if m.service and "refunded_payment" in m.service]
    assert len(refunds) == 1 and refunds[0].service is not None
    assert refunds[0].service["refunded_payment"]["telegram_payment_charge_id"] == outcome.charge_id
    assert [v.problem for v in standin.violations] == ["CHARGE_ALREADY_REFUNDED", "CHARGE_NOT_FOUND"]
    kinds = [events.queue.get_nowait().kind for _ in range(events.queue.qsize())]
    assert kinds.count("payment") == 2 and kinds.count("refund") == 1


async def test_a_refused_pre_checkout_declines_without_a_receipt(standin: TelegramStandIn, polling: StartApp) -> None:
    receipts: list[str] = []
    await polling(shop(standin, approve=False, receipts=receipts))

    outcome = await standin.pay_invoice(ADA, await _invoice_id(standin))

    assert not outcome.approved and outcome.error_message == "Sold out, sorry" and outcome.charge_id is None
    assert receipts == [] and not any(m.kind == "service" for m in standin.transcript(ADA))
    assert standin.violations == []


async def test_a_bot_that_never_answers_the_pre_checkout_loses_the_sale(standin: TelegramStandIn) -> None:
    standin.world.add_user(2002, "Bo", None, None)
    invoice = await standin.commerce.send_invoice(
        {
            "chat_id": 2002,
            "title": "t",
            "description": "d",
            "payload": "p",
            "currency": "XTR",
            "prices": [{"label": "x", "amount": 1}],
        }
    )

    outcome = await standin.pay_invoice(2002, invoice["message_id"], timeout=0.05)

    assert not outcome.approved and "answerPreCheckoutQuery" in (outcome.error_message or "")
    assert [next(k for k in u if k != "update_id") for u in standin.pending_updates] == ["pre_checkout_query"]


async def test_an_invoice_link_can_be_paid_like_an_invoice(standin: TelegramStandIn, polling: StartApp) -> None:
    receipts: list[str] = []
    app = await polling(shop(standin, approve=True, receipts=receipts))
    link = await app.bot.create_invoice_link("Pack", "Ten tracks", "link:10", "XTR", [LabeledPrice("Pack", 75)])

    outcome = await standin.pay_invoice_link(ADA, link)
    await standin.wait_for(ADA, lambda m: m.content.startswith("Thanks"))

    assert outcome.approved and (outcome.total_amount, outcome.invoice_payload) == (75, "link:10")
    assert receipts == [outcome.charge_id] and standin.violations == []


async def test_a_paid_invoice_message_cannot_be_paid_again(standin: TelegramStandIn, polling: StartApp) -> None:
    receipts: list[str] = []
    await polling(shop(standin, approve=True, receipts=receipts))
    invoice = await _invoice_id(standin)
    first = await standin.pay_invoice(ADA, invoice)
    await standin.wait_for(ADA, lambda m: m.content.startswith("Thanks"))
    pre_checkouts = len(standin.calls)
    second = await standin.pay_invoice(ADA, invoice)
    assert first.approved and not second.approved and "already paid" in (second.error_message or "")
    assert second.charge_id is None and receipts == [first.charge_id]
    assert not any("pre_checkout_query" in u for u in standin.pending_updates), "the bot is not asked"
    assert not any(c.method == "answerPreCheckoutQuery" for c in standin.calls[pre_checkouts:])
    assert standin.commerce.paid_invoices == {(ADA, invoice): first.charge_id}

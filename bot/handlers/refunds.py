"""Admin ``/refund <payment id>``: refund at the provider, then take back the pack's unused credits."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from billing import StripeAlreadyRefunded, StripeCheckoutError
from bot.context import BotContext
from bot.handlers.admin import audit
from bot.handlers.common import language_of
from bot.logs import new_trace_id

log = logging.getLogger(__name__)


async def refund_command(update: Update, context: BotContext) -> None:
    """Refunds a Stars charge (refundStarPayment) or a Stripe payment, and reports what happened to the credits."""
    await audit(update, context, "refund")
    message, t, payments = update.effective_message, context.services.texts, context.services.payments
    assert message is not None
    language = language_of(update, context)
    if len(context.args or []) != 1:
        await message.reply_text(t.get(language, "refund.usage"))
        return
    wanted = (context.args or [""])[0]
    payment = await payments.records.find_any(wanted)
    if payment is None or payment.status == "refunded":
        await message.reply_text(
            t.get(language, "refund.not_found" if payment is None else "refund.already", id=wanted)
        )
        return
    try:
        if payment.provider == "stars":
            await context.bot.refund_star_payment(payment.telegram_id or 0, payment.external_id)
        elif payment.provider == "stripe" and payments.stripe is not None and payment.payment_intent:
            await payments.stripe.refund(payment.payment_intent)
        else:
            await message.reply_text(t.get(language, "refund.unsupported"))
            return
    except StripeAlreadyRefunded:  # refunded in Stripe's Dashboard: the money is back, take the credits back too
        done = await payments.refund(payment)
        if done.already_refunded:  # Stripe's charge.refunded webhook got here first
            await message.reply_text(t.get(language, "refund.already", id=wanted))
            return
        await message.reply_text(
            t.get(
                language,
                "refund.already_at_provider",
                id=wanted,
                provider=payment.provider,
                debited=done.debited,
                spent=done.already_spent,
                credits=payment.credits,
            )
        )
        return
    except (TelegramError, StripeCheckoutError) as exc:
        trace_id = new_trace_id()
        log.error("refund of %s failed [%s]: %s", payment.external_id, trace_id, exc)
        await message.reply_text(t.get(language, "refund.failed", id=wanted, trace_id=trace_id))
        return
    result = await payments.refund(payment)
    final = await payments.records.find(payment.provider, payment.external_id) or payment
    debited = final.refunded_credits or 0
    key = "refund.done_spent" if debited < payment.credits else "refund.done"
    await message.reply_text(
        t.get(
            language,
            key,
            id=wanted,
            provider=payment.provider,
            debited=debited,
            spent=payment.credits - debited,
            credits=payment.credits,
        )
    )
    if not result.already_refunded and payment.telegram_id:  # else Telegram's refund message already told them
        user = await context.services.users.get(payment.telegram_id)
        user_key = "payments.refunded_user_spent" if result.already_spent else "payments.refunded_user"
        await context.bot.send_message(
            payment.telegram_id,
            t.get(
                user.language if user else None,
                user_key,
                charge=payment.external_id,
                debited=result.debited,
                spent=result.already_spent,
            ),
        )

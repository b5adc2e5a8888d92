"""Admin ``/refund <payment id>``: one call to ``billing.refunds.Refunds``, then its report rendered."""

from __future__ import annotations

from telegram import Update

from billing.refunds import BuyerNotice
from bot.context import BotContext
from bot.handlers.admin import audit
from bot.handlers.common import language_of


async def refund_command(update: Update, context: BotContext) -> None:
    """Refunds a Stars charge or a Stripe payment, and reports what happened to the credits."""
    await audit(update, context, "refund")
    message, t, refunds = update.effective_message, context.services.texts, context.services.refunds
    assert message is not None and refunds is not None
    language = language_of(update, context)
    if len(context.args or []) != 1:
        await message.reply_text(t.get(language, "refund.usage"))
        return
    report = await refunds.refund((context.args or [""])[0])
    await message.reply_text(t.get(language, report.key, **report.fields))
    if report.notice is not None:
        await tell_buyer(context, report.notice)


async def tell_buyer(context: BotContext, notice: BuyerNotice) -> None:
    """Sends the buyer the refund notice in their own language."""
    user = await context.services.users.get(notice.telegram_id)
    text = context.services.texts.get(user.language if user else None, notice.key, **notice.fields)
    await context.bot.send_message(notice.telegram_id, text)

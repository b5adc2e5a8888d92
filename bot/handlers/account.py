"""``/balance`` and ``/cancel``."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.context import BotContext
from bot.handlers.common import requester, reset_values

RECENT_PAYMENTS = 3


async def balance_command(update: Update, context: BotContext) -> None:
    """Free tracks left today, paid credits, when the free quota resets, and the ids of the last payments."""
    who, language = await requester(update, context)
    services = context.services
    balance = await services.studio.balance(who)
    values = reset_values(balance, services.clock(), services.quota.timezone)
    text = services.texts.get(
        language,
        "balance.text",
        free_left=balance.free_left,
        free_quota=balance.free_quota,
        paid=balance.paid,
        **values,
    ) + await _recent_payments(context, who.telegram_id, language)
    await context.bot.send_message(who.chat_id, text, parse_mode=ParseMode.HTML)


async def _recent_payments(context: BotContext, telegram_id: int, language: str) -> str:
    """The user's last payments with the ids /paysupport and /refund take ("" when there are none)."""
    t = context.services.texts
    payments = await context.services.payments.records.for_user(telegram_id, limit=RECENT_PAYMENTS)
    lines = [
        t.get(
            language,
            "balance.payment_line",
            id=html.escape(p.external_id),
            credits=p.credits,
            date=f"{p.created_at:%Y-%m-%d}",
            refunded=t.get(language, "balance.payment_refunded") if p.status == "refunded" else "",
        )
        for p in payments
    ]
    return t.get(language, "balance.payments", lines="\n".join(lines)) if lines else ""


async def cancel_command(update: Update, context: BotContext) -> None:
    """Cancels the user's track in the works; its credit is released (the status message says so).

    Once its track is being sent it can no longer be canceled, and the user is told so."""
    who, language = await requester(update, context)
    job = await context.services.studio.cancel(who)
    if job is None:
        await context.bot.send_message(who.chat_id, context.services.texts.get(language, "cancel.none"))
    elif job.active:  # its track is being sent: canceling now would leave the user with the track and the credit
        await context.bot.send_message(who.chat_id, context.services.texts.get(language, "cancel.too_late"))

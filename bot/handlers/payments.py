"""Buying credits: /buy, Stars invoices (and a provider's fiat invoices), Stripe links, pre-checkout, receipts,
refund messages and /terms (/paysupport: ``support``). Every rule lives in ``billing.Payments``; this module
only translates."""

from __future__ import annotations

from typing import Literal

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update

from bot.callbacks import PACK, CardPack, FiatPack, StarsPack, unpack_any
from bot.context import BotContext
from bot.errors_map import answers_errors
from bot.handlers.common import language_of, requester
from compose.studio import Requester


def _packs_keyboard(context: BotContext, language: str) -> InlineKeyboardMarkup:
    t, payments, selling = context.services.texts, context.services.payments, context.services.selling
    rows = []
    for pack in payments.packs:
        row = [
            InlineKeyboardButton(
                t.get(language, "buy.pack_stars", credits=pack.credits, stars=pack.stars),
                callback_data=StarsPack(pack.id).pack(),
            )
        ]
        if payments.fiat_currency and selling.in_telegram:
            row.append(
                InlineKeyboardButton(
                    t.get(
                        language,
                        "buy.pack_fiat",
                        credits=pack.credits,
                        price=pack.usd,
                        currency=selling.currency,
                    ),
                    callback_data=FiatPack(pack.id).pack(),
                )
            )
        if payments.stripe is not None and selling.in_telegram:
            row.append(
                InlineKeyboardButton(
                    t.get(language, "buy.pack_card", credits=pack.credits, usd=pack.usd),
                    callback_data=CardPack(pack.id).pack(),
                )
            )
        rows.append(row)
    return InlineKeyboardMarkup(rows)


async def buy_command(update: Update, context: BotContext) -> None:
    """Shows the packs as buttons (Stars; a provider's currency and card when configured)."""
    who, language = await requester(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await context.bot.send_message(
        who.chat_id, context.services.texts.get(language, "buy.title"), reply_markup=_packs_keyboard(context, language)
    )


@answers_errors  # a PaymentError or StripeCheckoutError is answered as an alert with its text
async def pack_button(update: Update, context: BotContext) -> None:
    """A Stars or fiat pack button sends an invoice; a card pack button sends a Stripe Checkout link."""
    query = update.callback_query
    assert query is not None and query.data is not None
    pressed = unpack_any(query.data, *PACK)  # registered with their pattern, so it unpacks
    who, language = await requester(update, context)
    # An old fiat or card button: Stars only now.
    if not isinstance(pressed, StarsPack) and not context.services.selling.in_telegram:
        await query.answer(context.services.texts.get(language, "buy.stars_only"), show_alert=True)
        return
    if isinstance(pressed, CardPack):
        await _send_card_link(context, query, who, language, pressed.pack_id)
        return
    method: Literal["stars", "fiat"] = "fiat" if isinstance(pressed, FiatPack) else "stars"
    await _send_invoice(context, query, who, language, pressed.pack_id, method)


async def _send_card_link(
    context: BotContext, query: CallbackQuery, who: Requester, language: str, pack_id: str
) -> None:
    """A Stripe Checkout link for the pack; the press id makes a repeated press reuse the same session."""
    t = context.services.texts
    session = await context.services.payments.stripe_session(pack_id, who.telegram_id, who.fingerprint, query.id)
    pack = context.services.payments.pack(pack_id)
    assert pack is not None
    button = InlineKeyboardButton(t.get(language, "buy.card_button", usd=pack.usd), url=session.url)
    await query.answer()
    await context.bot.send_message(
        who.chat_id,
        t.get(language, "buy.card_link", usd=pack.usd, credits=pack.credits),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def _send_invoice(
    context: BotContext,
    query: CallbackQuery,
    who: Requester,
    language: str,
    pack_id: str,
    method: Literal["stars", "fiat"],
) -> None:
    """A signed invoice for the pack in Stars, or in the payment provider's currency."""
    t = context.services.texts
    invoice = context.services.payments.invoice(pack_id, who.telegram_id, method=method)
    await query.answer()
    token = context.services.selling.provider_token
    credits = invoice.pack.credits
    await context.bot.send_invoice(
        who.chat_id,
        title=t.get(language, "buy.invoice_title", credits=credits),
        description=t.get(language, "buy.invoice_description", credits=credits),
        payload=invoice.payload,
        currency=invoice.currency,
        prices=[LabeledPrice(t.get(language, "buy.invoice_label", credits=credits), invoice.amount)],
        provider_token=token.get_secret_value() if method == "fiat" and token else None,
    )


@answers_errors  # PreCheckoutRefused declines the query with its text
async def pre_checkout(update: Update, context: BotContext) -> None:
    """Approves only our own signed payload for this user, a real pack at its price, and a user who is not banned."""
    query = update.pre_checkout_query
    assert query is not None
    user = await context.services.users.get(query.from_user.id)
    payments, banned = context.services.payments, bool(user and user.banned)
    payments.check_pre_checkout(
        query.invoice_payload, query.currency, query.total_amount, query.from_user.id, banned=banned
    )
    await query.answer(ok=True)


async def successful_payment(update: Update, context: BotContext) -> None:
    """Credits the pack once per charge id, from the payment inbox, and confirms with the receipt (once)."""
    assert context.services.stars is not None
    await context.services.stars.settle_update(update)


async def refunded_payment(update: Update, context: BotContext) -> None:
    """Telegram reports a Stars refund: take the pack's unused credits back (once) and tell the user."""
    assert context.services.stars is not None
    await context.services.stars.settle_update(update)


async def terms_command(update: Update, context: BotContext) -> None:
    """The terms of sale."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        context.services.texts.get(language_of(update, context), "payments.terms")
    )

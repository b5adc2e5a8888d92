"""The studio inside Telegram: its Mini App URL, the bot's menu button, and Stars invoice links for it."""

from __future__ import annotations

from telegram import Bot, LabeledPrice, MenuButtonWebApp, WebAppInfo

from billing import Payments
from bot.texts import Texts


async def set_menu_button(bot: Bot, texts: Texts, url: str) -> None:
    """Make the bot's default menu button open the studio."""
    await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(texts.get(None, "studio.menu"), WebAppInfo(url)))


async def stars_invoice_link(
    bot: Bot, payments: Payments, texts: Texts, *, pack_id: str, telegram_id: int, language: str | None
) -> str:
    """A createInvoiceLink link selling a pack in Stars, with the same signed payload as the chat's invoices (so
    it is checked and credited by the same exactly-once path); PaymentError for an unknown pack."""
    invoice = payments.invoice(pack_id, telegram_id, method="stars")
    credits = invoice.pack.credits
    return await bot.create_invoice_link(
        title=texts.get(language, "buy.invoice_title", credits=credits),
        description=texts.get(language, "buy.invoice_description", credits=credits),
        payload=invoice.payload,
        currency=invoice.currency,
        prices=[LabeledPrice(texts.get(language, "buy.invoice_label", credits=credits), invoice.amount)],
    )  # fmt: skip

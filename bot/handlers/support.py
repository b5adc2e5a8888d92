"""``/support`` and ``/paysupport``: the user's next message goes to every admin, free; an admin's reply goes back.

Support mode lives in the database (``storage.support``), so it survives a restart, and the intake handler runs in
an early handler group: while a user is in support mode, what they write is never taken as a prompt.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from billing import Balance
from bot.callbacks import SupportCancel
from bot.clip import clip
from bot.context import BotContext
from bot.handlers.common import language_of, requester
from bot.texts import Texts
from scheduler.support import SupportDesk
from storage import Payment

log = logging.getLogger(__name__)

#: Runs after the metrics counter (group -10) and before the handlers of group 0, so it can stop a prompt.
SUPPORT_GROUP = -1
_LEAVE = "/cancel"
#: Commands whose words would be composed: in support mode they are the support message instead.
_COMPOSING = ("/generate",)


async def support_command(update: Update, context: BotContext) -> None:
    """Asks for the message to send to the admins; the user's next message goes to them."""
    await _open(update, context, "support")


async def paysupport_command(update: Update, context: BotContext) -> None:
    """What Telegram requires of bots that sell: help with a payment, through the same support path."""
    await _open(update, context, "payment")


async def cancel_button(update: Update, context: BotContext) -> None:
    """Leaves support mode."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    await context.services.support.take(update.effective_user.id)
    texts, language = context.services.texts, language_of(update, context)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(texts.get(language, "support.canceled"))


async def intake(update: Update, context: BotContext) -> None:
    """In support mode, the user's message goes to the admins; an admin's reply to one goes back to its author."""
    message, sender = update.effective_message, update.effective_user
    if message is None or sender is None:
        return
    repo = context.services.support
    if await _admin_answered(context, repo, message, sender.id):
        raise ApplicationHandlerStop
    if await repo.pending(sender.id) is None:
        return
    first = (message.text or "").split(maxsplit=1)
    command = first[0].split("@")[0].lower() if first else ""
    if command.startswith("/") and command not in _COMPOSING and command != _LEAVE:
        return  # /terms, /balance, /support…: answered as usual, support mode stays open
    if await _take_message(update, context, repo, message, sender, command):
        raise ApplicationHandlerStop


async def _admin_answered(context: BotContext, repo: SupportDesk, message: Message, sender_id: int) -> bool:
    """An admin's reply to a support message goes back to its author: True when this message was one."""
    if sender_id in context.services.admins and message.reply_to_message is not None:
        author = await repo.author(sender_id, message.reply_to_message.message_id)
        if author is not None:
            await _answer_user(context, message, author)
            return True
    return False


async def _take_message(
    update: Update, context: BotContext, repo: SupportDesk, message: Message, sender: User, command: str
) -> bool:
    """Leaves support mode (/cancel), asks for words, or sends the message to the admins; True when handled here."""
    texts, language = context.services.texts, language_of(update, context)
    if command == _LEAVE:
        await repo.take(sender.id)
        await message.reply_text(texts.get(language, "support.canceled"))
        return True
    words = message.text or message.caption
    if not words or not words.strip():
        await message.reply_text(texts.get(language, "support.text_only"), reply_markup=_cancel_markup(context, update))
        return True
    topic = await repo.take(sender.id)
    if topic is None:  # a second message raced the first and lost: the first one went to support
        return False
    delivered = await _to_admins(update, context, sender, topic, words)
    await message.reply_text(texts.get(language, "support.sent" if delivered else "support.unavailable"))
    return True


async def _open(update: Update, context: BotContext, topic: str) -> None:
    who, language = await requester(update, context)
    services = context.services
    await services.support.open(who.telegram_id, topic)
    text = services.texts.get(language, f"support.ask_{topic}")
    await context.bot.send_message(who.chat_id, text, reply_markup=_cancel_markup(context, update))


def _cancel_markup(context: BotContext, update: Update) -> InlineKeyboardMarkup:
    label = context.services.texts.get(language_of(update, context), "support.cancel_button")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=SupportCancel().pack())]])


async def _to_admins(update: Update, context: BotContext, sender: User, topic: str, words: str) -> int:
    """Send the message with who wrote it, their balance and recent payments to every admin; how many got it."""
    services = context.services
    user, _ = await requester(update, context)
    balance = await services.studio.credits.balance(user.fingerprint)
    payments = await services.support.recent_payments(sender.id)
    return await _send_to_admins(
        context, sender.id, _admin_note(services.texts, sender, topic, balance, payments, words)
    )


def _admin_note(texts: Texts, sender: User, topic: str, balance: Balance, payments: list[Payment], words: str) -> str:
    """What the admins read (in English): who wrote, their balance and last payments, then the words."""
    listed = "; ".join(
        f"#{p.id} {p.provider} {p.amount} {p.currency} {p.status} {p.created_at:%Y-%m-%d}" for p in payments
    )
    header = texts.get(
        "en",
        "support.to_admin",
        topic=topic,
        name=sender.full_name,
        username=f" @{sender.username}" if sender.username else "",
        id=sender.id,
        free_left=balance.free_left,
        paid=balance.paid,
        payments=listed or "—",
    )
    return clip(f"{header}\n\n{words}")


async def _send_to_admins(context: BotContext, sender_id: int, text: str) -> int:
    """Send ``text`` to every admin, remembering each copy so a reply to it reaches the user; how many got it."""
    services = context.services
    delivered = 0
    for admin_id in sorted(services.support.admin_ids):
        try:
            sent = await context.bot.send_message(admin_id, text)
        except TelegramError as exc:
            log.warning("support message from %s not delivered to admin %s: %s", sender_id, admin_id, exc)
            continue
        await services.support.record_copy(admin_id, sent.message_id, sender_id)
        delivered += 1
    if not delivered:
        log.error("support message from user %s reached no admin (ADMIN_IDS=%s)", sender_id, services.admins)
    return delivered


async def _answer_user(context: BotContext, message: Message, author: int) -> None:
    """The admin's reply goes to the user who wrote; the admin is told whether it arrived."""
    services = context.services
    stored = await services.users.get(author)
    language = stored.language if stored else None
    words = message.text or message.caption or ""
    texts = services.texts
    try:
        await context.bot.send_message(author, clip(texts.get(language, "support.answer", text=words)))
    except TelegramError as exc:
        log.warning("support answer to %s not delivered: %s", author, exc)
        await message.reply_text(texts.get("en", "support.answer_failed", id=author))
        return
    await message.reply_text(texts.get("en", "support.answer_sent", id=author))

"""Small helpers shared by handlers: who is talking, remembering them, and answering a submission."""

from __future__ import annotations

import html
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from billing import Balance, Decision
from bot.callbacks import Buy
from bot.context import BotContext
from compose.studio import Requester
from scheduler.queue import Submission
from storage import User


async def remember(update: Update, context: BotContext, start_payload: str | None = None) -> tuple[User, bool]:
    """Record the sender as seen now; returns the stored user and whether this is their first contact."""
    sender = update.effective_user
    assert sender is not None  # handlers using this are registered for user updates only
    services = context.services
    return await services.users.seen(
        telegram_id=sender.id,
        fingerprint=services.fingerprint(sender.id),
        first_name=sender.first_name,
        username=sender.username,
        language=services.texts.language_for(sender.language_code),
        now=services.clock(),
        start_payload=start_payload,
    )


async def requester(update: Update, context: BotContext) -> tuple[Requester, str]:
    """The sender as the studio knows them, and their language."""
    user, _ = await remember(update, context)
    assert update.effective_chat is not None
    who = Requester(user.telegram_id, update.effective_chat.id, user.fingerprint, user.banned)
    return who, user.language


#: Where ``language.load_language`` puts the sender's /language choice for the handlers of one update.
CHOSEN_LANGUAGE = "chosen_language"


def language_of(update: Update, context: BotContext) -> str | None:
    """The sender's language: their /language choice, else Telegram's ``language_code``, if any."""
    chosen = context.user_data.get(CHOSEN_LANGUAGE) if context.user_data is not None else None
    if isinstance(chosen, str):
        return chosen
    return update.effective_user.language_code if update.effective_user else None


def reset_values(balance: Balance, now: datetime, zone: str) -> dict[str, object]:
    """Placeholders describing when the free quota resets: time, zone, hours and minutes from now."""
    left = max(0, int((balance.resets_at - now).total_seconds()))
    return {"time": f"{balance.resets_at:%H:%M}", "zone": zone, "hours": left // 3600, "minutes": left % 3600 // 60}


async def answer_submission(context: BotContext, chat_id: int, language: str, submission: Submission) -> None:
    """Tell the user why a prompt was not queued (a queued one is announced by the queue itself)."""
    texts, services = context.services.texts, context.services
    decision = submission.admission.decision
    if decision in (Decision.ALLOW_FREE, Decision.ALLOW_PAID):
        return
    markup = None
    if decision is Decision.BLOCK_QUOTA:
        values = reset_values(submission.admission.balance, services.clock(), services.quota.timezone)
        text = texts.get(language, "quota.blocked", quota=submission.admission.balance.free_quota, **values)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(texts.get(language, "button.buy"), callback_data=Buy().pack())]]
        )
    elif decision is Decision.BLOCK_PAID_ONLY:
        admission = submission.admission
        text = texts.get(language, "quota.paid_only", cost=admission.cost, paid=admission.balance.paid)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(texts.get(language, "button.buy"), callback_data=Buy().pack())]]
        )
    elif decision is Decision.BLOCK_BUSY:
        position = await services.studio.active_position(submission.admission.active_job_ids)
        key = "quota.busy" if position > 0 else "quota.busy_running"
        text = texts.get(language, key, position=position)
    else:
        text = texts.get(language, "error.banned")
    await context.bot.send_message(chat_id, text, reply_markup=markup, parse_mode=ParseMode.HTML)


def escape(text: str) -> str:
    """HTML-escape user text for parse_mode=HTML."""
    return html.escape(text)

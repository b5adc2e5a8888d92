"""/start (with an optional deep-link payload) and /help."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from billing.referrals import PAYLOAD_PREFIX
from bot.commands import ADMIN_COMMANDS, PUBLIC_COMMANDS
from bot.context import BotContext
from bot.handlers import demo, teaser
from bot.handlers.common import language_of, remember
from bot.handlers.inline import START_PARAMETER
from storage import User


async def start(update: Update, context: BotContext) -> None:
    """Greets the user: what the bot does, the free quota, how to buy; notes a deep-link payload."""
    payload = context.args[0] if context.args else None
    user, first_time = await remember(update, context, start_payload=payload)
    if context.services.referrals is not None:  # an invitation counts only on a first contact
        await context.services.referrals.record(user.telegram_id, payload, first_contact=first_time)
    from_teaser = await teaser.teaser_for(context, payload)  # "Make yours" under a channel teaser
    assert update.effective_message is not None
    reply = _greeting(context, user, first_time, payload, from_teaser is not None)
    await update.effective_message.reply_text(reply, parse_mode=ParseMode.HTML)
    if from_teaser is not None:
        await teaser.offer(update, context, from_teaser, user.language)
    elif first_time:  # the first minute: hear what it does, then one tap to make one's own
        await demo.play_demo(context, update.effective_message.chat_id, user.language)


def _greeting(context: BotContext, user: User, first_time: bool, payload: str | None, from_teaser: bool) -> str:
    """Welcome (or welcome back) with the free quota; an unknown deep-link payload is noted."""
    texts, quota = context.services.texts, context.services.quota
    key = "start.welcome" if first_time or payload else "start.returning"
    reply = texts.get(
        user.language,
        key,
        name=html.escape(user.first_name),
        quota=quota.free_daily,
        zone=quota.timezone,
    )
    if payload and not from_teaser and not payload.startswith(PAYLOAD_PREFIX) and payload != START_PARAMETER:
        reply += "\n\n" + texts.get(user.language, "start.deep_link", payload=html.escape(payload[:64]))
    return reply


async def help_command(update: Update, context: BotContext) -> None:
    """Lists every command with its description."""
    texts, language = context.services.texts, language_of(update, context)
    lines = [f"/{name} — {html.escape(texts.get(language, f'command.{name}'))}" for name in PUBLIC_COMMANDS]
    body = texts.get(language, "help.text", commands="\n".join(lines)) + "\n\n" + texts.get(language, "help.params")
    if update.effective_user is not None and update.effective_user.id in context.services.admins:
        admin = [f"/{name} — {html.escape(texts.get(language, f'command.{name}'))}" for name in ADMIN_COMMANDS]
        body += "\n\n" + texts.get(language, "help.admin", commands="\n".join(admin))
    assert update.effective_message is not None
    await update.effective_message.reply_text(body, parse_mode=ParseMode.HTML)

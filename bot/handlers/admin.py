"""Admin commands: /stats, /user, /grant, /ban, /unban, /broadcast (with confirmation), /batch, /engine.

They are registered only for ``ADMIN_IDS`` (anyone else gets the unknown-command answer), and every use is written
to the audit table first.
"""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.callbacks import BroadcastDecision
from bot.clip import clip, clip_lines
from bot.context import BotContext
from bot.handlers.common import language_of, requester
from scheduler.admin import MAX_GRANT
from scheduler.intake import IntakeError

log = logging.getLogger(__name__)
MAX_BATCH = 10
MAX_BROADCAST = 4000


async def audit(update: Update, context: BotContext, action: str) -> None:
    """Write who did what, when, with which arguments."""
    assert update.effective_user is not None
    arguments = " ".join(context.args or []) if update.callback_query is None else (update.callback_query.data or "")
    await context.services.admin.audit(update.effective_user.id, action, arguments)


async def _reply(update: Update, context: BotContext, key: str, **values: object) -> None:
    assert update.effective_message is not None
    text = context.services.texts.get(language_of(update, context), key, **values)
    # Whole lines only, so an HTML tag is never cut in half (/stats, /user, /batch grow with the data).
    await update.effective_message.reply_text(clip_lines(text.split("\n")), parse_mode=ParseMode.HTML)


def _user_id(context: BotContext) -> int | None:
    args = context.args or []
    return _number(args[0]) if args else None


def _number(text: str) -> int | None:
    """``text`` as an integer, or None: int() decides ("²".isdigit() is True, but int("²") raises)."""
    try:
        return int(text)
    except ValueError:
        return None


async def stats_command(update: Update, context: BotContext) -> None:
    """Users, generations by engine and outcome, failure rate, revenue, cost, queue depth, popular genres."""
    await audit(update, context, "stats")
    s = await context.services.admin.stats()
    none = context.services.texts.get(language_of(update, context), "admin.none")
    generations = ", ".join(f"{engine}/{status} {n}" for (engine, status), n in sorted(s.generations.items()))
    by_card = context.services.texts.get(language_of(update, context), "admin.stripe_none")
    stripe = ", ".join(f"{cents / 100:.2f} {currency}" for currency, cents in s.stripe_revenue.items()) or by_card
    await _reply(
        update,
        context,
        "admin.stats",
        users_total=s.users_total,
        users_new_24h=s.users_new_24h,
        active_24h=s.active_24h,
        active_7d=s.active_7d,
        generations=generations or none,
        failure_rate=f"{s.failure_rate:.1%}",
        stars=s.stars_revenue,
        stripe=stripe,
        cost=f"{s.engine_cost_usd:.4f}",
        queue=", ".join(f"{e} {n}" for e, n in s.queue_depth.items()) or "0",
        genres=", ".join(f"{g} {n}" for g, n in s.top_genres) or none,
    )
    if context.services.referrals is not None:
        count, paid = await context.services.referrals.rewarded()
        await _reply(update, context, "admin.stats_referrals", count=count, credits=paid)


async def user_command(update: Update, context: BotContext) -> None:
    """Balance, generations, payments and flags of one user."""
    await audit(update, context, "user")
    services, telegram_id = context.services, _user_id(context)
    if telegram_id is None:
        await _reply(update, context, "admin.usage.user")
        return
    report = await services.admin.user_report(telegram_id)
    if report is None:
        await _reply(update, context, "admin.unknown_user", id=telegram_id)
        return
    t, language = services.texts, language_of(update, context)
    user, balance, jobs, payments = report.user, report.balance, report.jobs, report.payments
    await _reply(
        update,
        context,
        "admin.user",
        name=html.escape(user.first_name),
        id=telegram_id,
        username=f", @{html.escape(user.username)}" if user.username else "",
        language=user.language,
        since=f"{user.created_at:%Y-%m-%d}",
        seen=f"{user.last_seen_at:%Y-%m-%d %H:%M}",
        banned=t.get(language, "admin.yes" if user.banned else "admin.no"),
        blocked=t.get(language, "admin.yes" if user.blocked_at else "admin.no"),
        free_left=balance.free_left,
        paid=balance.paid,
        jobs=", ".join(f"{status} {n}" for status, n in sorted(jobs.items())) or "0",
        payments="".join(
            f"\n• <code>{html.escape(p.external_id)}</code> {p.provider} {p.amount} {p.currency} ({p.status})"
            for p in payments
        )
        or "0",
    )


async def grant_command(update: Update, context: BotContext) -> None:
    """Gives paid credits to a user, with an optional reason, and tells them."""
    await audit(update, context, "grant")
    args, services = context.args or [], context.services
    telegram_id = _user_id(context)
    amount = _number(args[1]) if len(args) >= 2 else None
    if telegram_id is None or amount is None or not 1 <= amount <= MAX_GRANT:
        await _reply(update, context, "admin.usage.grant")
        return
    credits, reason = amount, " ".join(args[2:])[:200]
    assert update.effective_user is not None
    granted = await services.admin.grant(telegram_id, credits, by=update.effective_user.id, reason=reason)
    if granted is None:
        await _reply(update, context, "admin.unknown_user", id=telegram_id)
        return
    user = granted.user
    await _reply(update, context, "admin.granted", credits=credits, id=telegram_id, balance=granted.balance)
    suffix = f" ({reason})" if reason else ""
    await context.bot.send_message(
        telegram_id, services.texts.get(user.language, "admin.granted_user", credits=credits, reason=suffix)
    )


async def ban_command(update: Update, context: BotContext) -> None:
    """``/ban <id>`` refuses the user's generations and purchases; ``/unban <id>`` lifts it."""
    assert update.effective_message is not None and update.effective_message.text is not None
    banning = update.effective_message.text.split()[0].split("@")[0].lower() == "/ban"
    await audit(update, context, "ban" if banning else "unban")
    telegram_id = _user_id(context)
    if telegram_id is None:
        await _reply(update, context, "admin.usage.ban")
    elif not await context.services.admin.set_banned(telegram_id, banning):
        await _reply(update, context, "admin.unknown_user", id=telegram_id)
    else:
        await _reply(update, context, "admin.banned" if banning else "admin.unbanned", id=telegram_id)


async def broadcast_command(update: Update, context: BotContext) -> None:
    """Prepares a broadcast and asks the admin to confirm it."""
    await audit(update, context, "broadcast")
    message, services = update.effective_message, context.services
    assert message is not None and message.text is not None and update.effective_user is not None
    text = message.text.partition(" ")[2].strip()
    if not text or len(text) > MAX_BROADCAST:
        await _reply(update, context, "admin.usage.broadcast")
        return
    broadcast_id, count = await services.admin.prepare_broadcast(update.effective_user.id, text)
    t, language = services.texts, language_of(update, context)
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.get(language, "admin.broadcast_send", count=count),
                    callback_data=BroadcastDecision("ok", broadcast_id).pack(),
                ),
                InlineKeyboardButton(
                    t.get(language, "admin.broadcast_cancel"),
                    callback_data=BroadcastDecision("no", broadcast_id).pack(),
                ),
            ]
        ]
    )
    preview = clip(t.get(language, "admin.broadcast_confirm", count=count, text=text))
    await message.reply_text(preview, reply_markup=buttons)


async def broadcast_button(update: Update, context: BotContext) -> None:
    """Confirms (sends in the background, then reports) or cancels a prepared broadcast, once."""
    query, services = update.callback_query, context.services
    assert query is not None and query.data is not None
    if not services.admin.is_admin(query.from_user.id):
        await query.answer(services.texts.get(language_of(update, context), "callback.expired"))
        return
    await audit(update, context, "broadcast-confirm")
    payload = BroadcastDecision.unpack(query.data)  # registered with its pattern, so it unpacks
    decision = payload.decision
    record = await services.admin.decide_broadcast(payload.broadcast, send=decision == "ok")
    await query.answer()
    if record is None:
        return  # already sent or canceled: a second press does nothing
    t, language = services.texts, language_of(update, context)
    if decision != "ok":
        await query.edit_message_text(t.get(language, "admin.broadcast_canceled"))
        return
    reach = (await services.admin.broadcast_counts(record.id)).get(None, 0)
    await query.edit_message_text(t.get(language, "admin.broadcast_sending", count=reach))
    services.broadcasts.start(record)  # recorded as it goes: a restart resumes it


async def batch_command(update: Update, context: BotContext) -> None:
    """Queues several house-paid generations (``/batch a | b | c``) and reports each."""
    await audit(update, context, "batch")
    message = update.effective_message
    assert message is not None and message.text is not None
    prompts = [p.strip() for p in message.text.partition(" ")[2].split("|") if p.strip()]
    if not prompts or len(prompts) > MAX_BATCH:
        await _reply(update, context, "admin.usage.batch", limit=MAX_BATCH)
        return
    who, language = await requester(update, context)
    t, lines, queued = context.services.texts, [], 0
    for prompt, outcome in await context.services.studio.batch(who, prompts):
        if isinstance(outcome, IntakeError):
            reason = t.get(language, outcome.key, **outcome.values)
            lines.append(
                t.get(language, "admin.batch_line_bad", prompt=html.escape(prompt[:60]), reason=html.escape(reason))
            )
        else:
            queued += 1
            lines.append(t.get(language, "admin.batch_line_ok", job=outcome.id, prompt=html.escape(prompt[:60])))
    await _reply(
        update, context, "admin.batch_queued", queued=queued, refused=len(prompts) - queued, lines="\n".join(lines)
    )


async def engine_command(update: Update, context: BotContext) -> None:
    """Each engine: health, workers, queue, and its models with licence and capabilities."""
    await audit(update, context, "engine")
    services, t, language = context.services, context.services.texts, language_of(update, context)
    queue, depth = services.studio.queue, await services.studio.jobs.queue_depth()
    for name, engine in queue.engines.items():
        health = await engine.health()
        models = []
        for model in engine.models():
            caps = model.capabilities
            features = "".join(
                f", {flag}"
                for flag, on in (("loop", caps.can_loop), ("continue", caps.can_continue), ("stems", caps.stems))
                if on
            )
            models.append(
                t.get(
                    language,
                    "admin.engine_model",
                    id=html.escape(model.id),
                    licence=model.license.id,
                    commercial=t.get(language, "admin.commercial" if caps.commercial_use else "admin.noncommercial"),
                    max=f"{caps.max_duration:g}",
                    features=features,
                )
            )
        state = (
            t.get(language, "admin.engine_ok")
            if health.ok
            else t.get(language, "admin.engine_down", detail=html.escape(health.detail))
        )
        await _reply(
            update,
            context,
            "admin.engine",
            name=name,
            health=state,
            workers=queue.workers(name),
            queued=depth.get(name, 0),
            models="\n".join(models),
        )

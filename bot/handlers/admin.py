"""Admin commands: /stats, /user, /grant, /ban, /unban, /broadcast (with confirmation), /batch, /engine.

They are registered only for ``ADMIN_IDS`` (anyone else gets the unknown-command answer), and every use is written
to the audit table first. Each handler reads its arguments with ``bot.admin_args`` (arguments that do not fit get
the command's usage text, through :func:`answers_usage`), makes one call to ``scheduler.admin.AdminDesk`` (or the
studio, for /batch) and renders the answer with the render helpers at the end of this module.
"""

from __future__ import annotations

import functools
import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.admin_args import BadArguments, ban_args, batch_args, broadcast_args, grant_args, is_ban, user_args
from bot.callbacks import BroadcastDecision
from bot.clip import clip, clip_lines
from bot.context import BotContext
from bot.errors_map import Handler
from bot.handlers.common import language_of, requester
from bot.texts import Texts
from compose.intake import IntakeError
from scheduler.admin import EngineStatus, UserReport
from storage import Job, Stats

log = logging.getLogger(__name__)


async def audit(update: Update, context: BotContext, action: str) -> None:
    """Write who did what, when, with which arguments."""
    assert update.effective_user is not None
    arguments = " ".join(context.args or []) if update.callback_query is None else (update.callback_query.data or "")
    await context.services.admin.audit(update.effective_user.id, action, arguments)


async def _reply(update: Update, context: BotContext, key: str, **values: object) -> None:
    assert update.effective_message is not None
    # Whole lines only, so an HTML tag is never cut in half (/stats, /user, /batch grow with the data).
    await update.effective_message.reply_text(
        clip_lines(_text(update, context, key, **values).split("\n")), parse_mode=ParseMode.HTML
    )


def _text(update: Update, context: BotContext, key: str, **values: object) -> str:
    """The catalog text ``key`` in the sender's language."""
    return context.services.texts.get(language_of(update, context), key, **values)


def answers_usage(handler: Handler) -> Handler:
    """Wraps an admin handler: arguments that do not fit (:class:`BadArguments`) get the command's usage text."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> None:
        try:
            await handler(update, context)
        except BadArguments as exc:
            await _reply(update, context, exc.key, **exc.values)

    return wrapper


async def stats_command(update: Update, context: BotContext) -> None:
    """Users, generations by engine and outcome, failure rate, revenue, cost, queue depth, popular genres."""
    await audit(update, context, "stats")
    overview, texts, language = (
        await context.services.admin.overview(),
        context.services.texts,
        language_of(update, context),
    )
    await _reply(update, context, "admin.stats", **stats_fields(texts, language, overview.stats))
    if overview.referrals is not None:
        count, paid = overview.referrals
        await _reply(update, context, "admin.stats_referrals", count=count, credits=paid)


@answers_usage
async def user_command(update: Update, context: BotContext) -> None:
    """Balance, generations, payments and flags of one user."""
    await audit(update, context, "user")
    telegram_id = user_args(context.args or [])
    report = await context.services.admin.user_report(telegram_id)
    if report is None:
        await _reply(update, context, "admin.unknown_user", id=telegram_id)
        return
    await _reply(
        update, context, "admin.user", **user_fields(context.services.texts, language_of(update, context), report)
    )


@answers_usage
async def grant_command(update: Update, context: BotContext) -> None:
    """Gives paid credits to a user, with an optional reason, and tells them."""
    await audit(update, context, "grant")
    grant, services = grant_args(context.args or []), context.services
    assert update.effective_user is not None
    granted = await services.admin.grant(
        grant.telegram_id, grant.credits, by=update.effective_user.id, reason=grant.reason
    )
    if granted is None:
        await _reply(update, context, "admin.unknown_user", id=grant.telegram_id)
        return
    await _reply(update, context, "admin.granted", credits=grant.credits, id=grant.telegram_id, balance=granted.balance)
    suffix = f" ({grant.reason})" if grant.reason else ""
    told = services.texts.get(granted.user.language, "admin.granted_user", credits=grant.credits, reason=suffix)
    await context.bot.send_message(grant.telegram_id, told)


@answers_usage
async def ban_command(update: Update, context: BotContext) -> None:
    """``/ban <id>`` refuses the user's generations and purchases; ``/unban <id>`` lifts it."""
    assert update.effective_message is not None and update.effective_message.text is not None
    text = update.effective_message.text
    await audit(update, context, "ban" if is_ban(text) else "unban")
    ban = ban_args(text, context.args or [])
    if not await context.services.admin.set_banned(ban.telegram_id, ban.banning):
        await _reply(update, context, "admin.unknown_user", id=ban.telegram_id)
    else:
        await _reply(update, context, "admin.banned" if ban.banning else "admin.unbanned", id=ban.telegram_id)


@answers_usage
async def broadcast_command(update: Update, context: BotContext) -> None:
    """Prepares a broadcast and asks the admin to confirm it."""
    await audit(update, context, "broadcast")
    message, services = update.effective_message, context.services
    assert message is not None and message.text is not None and update.effective_user is not None
    text = broadcast_args(message.text)
    broadcast_id, count = await services.admin.prepare_broadcast(update.effective_user.id, text)
    buttons = broadcast_keyboard(services.texts, language_of(update, context), broadcast_id, count)
    await message.reply_text(
        clip(_text(update, context, "admin.broadcast_confirm", count=count, text=text)), reply_markup=buttons
    )


async def broadcast_button(update: Update, context: BotContext) -> None:
    """Confirms (sends in the background, then reports) or cancels a prepared broadcast, once."""
    query, services = update.callback_query, context.services
    assert query is not None and query.data is not None
    if not services.admin.is_admin(query.from_user.id):
        await query.answer(_text(update, context, "callback.expired"))
        return
    await audit(update, context, "broadcast-confirm")
    payload = BroadcastDecision.unpack(query.data)  # registered with its pattern, so it unpacks
    confirmed = await services.admin.confirm_broadcast(payload.broadcast, send=payload.decision == "ok")
    await query.answer()
    if confirmed is None:
        return  # already sent or canceled: a second press does nothing
    key = "admin.broadcast_sending" if confirmed.sending else "admin.broadcast_canceled"
    await query.edit_message_text(_text(update, context, key, count=confirmed.reach))
    if confirmed.sending:
        services.broadcasts.start(confirmed.broadcast)  # recorded as it goes: a restart resumes it


@answers_usage
async def batch_command(update: Update, context: BotContext) -> None:
    """Queues several house-paid generations (``/batch a | b | c``) and reports each."""
    await audit(update, context, "batch")
    message = update.effective_message
    assert message is not None and message.text is not None
    prompts = batch_args(message.text)
    who, language = await requester(update, context)
    results = await context.services.studio.batch(who, prompts)
    queued = sum(not isinstance(outcome, IntakeError) for _, outcome in results)
    lines = "\n".join(batch_lines(context.services.texts, language, results))
    await _reply(update, context, "admin.batch_queued", queued=queued, refused=len(prompts) - queued, lines=lines)


async def engine_command(update: Update, context: BotContext) -> None:
    """Each engine: health, workers, queue, and its models with licence and capabilities."""
    await audit(update, context, "engine")
    texts, language = context.services.texts, language_of(update, context)
    for status in await context.services.admin.engines():
        await _reply(update, context, "admin.engine", **engine_fields(texts, language, status))


# Render helpers: catalog placeholders from the desk's answers (no update, no calls).


def stats_fields(t: Texts, language: str | None, s: Stats) -> dict[str, object]:
    """The placeholders of ``admin.stats``."""
    none = t.get(language, "admin.none")
    generations = ", ".join(f"{engine}/{status} {n}" for (engine, status), n in sorted(s.generations.items()))
    stripe = ", ".join(f"{cents / 100:.2f} {currency}" for currency, cents in s.stripe_revenue.items())
    return {
        "users_total": s.users_total,
        "users_new_24h": s.users_new_24h,
        "active_24h": s.active_24h,
        "active_7d": s.active_7d,
        "generations": generations or none,
        "failure_rate": f"{s.failure_rate:.1%}",
        "stars": s.stars_revenue,
        "stripe": stripe or t.get(language, "admin.stripe_none"),
        "cost": f"{s.engine_cost_usd:.4f}",
        "queue": ", ".join(f"{e} {n}" for e, n in s.queue_depth.items()) or "0",
        "genres": ", ".join(f"{g} {n}" for g, n in s.top_genres) or none,
    }


def user_fields(t: Texts, language: str | None, report: UserReport) -> dict[str, object]:
    """The placeholders of ``admin.user``."""
    user, balance = report.user, report.balance
    payments = "".join(
        f"\n• <code>{html.escape(p.external_id)}</code> {p.provider} {p.amount} {p.currency} ({p.status})"
        for p in report.payments
    )
    return {
        "name": html.escape(user.first_name),
        "id": user.telegram_id,
        "username": f", @{html.escape(user.username)}" if user.username else "",
        "language": user.language,
        "since": f"{user.created_at:%Y-%m-%d}",
        "seen": f"{user.last_seen_at:%Y-%m-%d %H:%M}",
        "banned": t.get(language, "admin.yes" if user.banned else "admin.no"),
        "blocked": t.get(language, "admin.yes" if user.blocked_at else "admin.no"),
        "free_left": balance.free_left,
        "paid": balance.paid,
        "jobs": ", ".join(f"{status} {n}" for status, n in sorted(report.jobs.items())) or "0",
        "payments": payments or "0",
    }


def broadcast_keyboard(t: Texts, language: str | None, broadcast_id: int, count: int) -> InlineKeyboardMarkup:
    """Send to ``count`` people, or cancel."""
    send = InlineKeyboardButton(
        t.get(language, "admin.broadcast_send", count=count), callback_data=BroadcastDecision("ok", broadcast_id).pack()
    )
    cancel = InlineKeyboardButton(
        t.get(language, "admin.broadcast_cancel"), callback_data=BroadcastDecision("no", broadcast_id).pack()
    )
    return InlineKeyboardMarkup([[send, cancel]])


def batch_lines(t: Texts, language: str | None, results: list[tuple[str, Job | IntakeError]]) -> list[str]:
    """One line per /batch prompt: its job, or why it was refused."""
    lines = []
    for prompt, outcome in results:
        shown = html.escape(prompt[:60])
        if isinstance(outcome, IntakeError):
            reason = html.escape(t.get(language, outcome.key, **outcome.values))
            lines.append(t.get(language, "admin.batch_line_bad", prompt=shown, reason=reason))
        else:
            lines.append(t.get(language, "admin.batch_line_ok", job=outcome.id, prompt=shown))
    return lines


def engine_fields(t: Texts, language: str | None, status: EngineStatus) -> dict[str, object]:
    """The placeholders of ``admin.engine``: health, workers, queue and one line per model."""
    models = []
    for model in status.models:
        caps = model.capabilities
        flags = (("loop", caps.can_loop), ("continue", caps.can_continue), ("stems", caps.stems))
        models.append(
            t.get(
                language,
                "admin.engine_model",
                id=html.escape(model.id),
                licence=model.license.id,
                commercial=t.get(language, "admin.commercial" if caps.commercial_use else "admin.noncommercial"),
                max=f"{caps.max_duration:g}",
                features="".join(f", {flag}" for flag, on in flags if on),
            )
        )
    health = status.health
    shown = (
        t.get(language, "admin.engine_ok")
        if health.ok
        else t.get(language, "admin.engine_down", detail=html.escape(health.detail))
    )
    return {
        "name": status.name,
        "health": shown,
        "workers": status.workers,
        "queued": status.queued,
        "models": "\n".join(models),
    }

"""Builds the python-telegram-bot objects: the Bot (transport) and the Application (handlers, typed context)."""

from __future__ import annotations

import functools
import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import callbacks as cb
from bot.commands import ADMIN_COMMANDS, PUBLIC_COMMANDS
from bot.context import BotContext, CloudMusicApplication
from bot.errors_map import Handler
from bot.handlers import (
    account,
    admin,
    apikeys,
    demo,
    errors,
    fallback,
    generate,
    guided,
    history,
    inline,
    invite,
    language,
    link,
    listen,
    payments,
    presets,
    refunds,
    song,
    song_steps,
    start,
    studio,
    support,
    teaser,
    tracks,
)
from bot.observed_limiter import ErrorObserver, ObservedRateLimiter, shared_limits
from bot.payment_inbox import InboxBot
from bot.services import Services

log = logging.getLogger(__name__)

#: How many updates may be processed at once, so one slow conversation never stalls the others.
CONCURRENT_UPDATES = 64

App = Application[Any, Any, Any, Any, Any, Any]


def build_bot(
    token: str,
    *,
    base_url: str,
    base_file_url: str,
    on_api_error: ErrorObserver | None = None,
    rate_share: float = 1.0,
) -> InboxBot:
    """The Bot API client: pooled HTTP, a separate long-poll connection, Telegram's flood limits respected.

    ``on_api_error`` hears of every call (but getUpdates) that raises a ``TelegramError``, retries included;
    ``rate_share`` is this process's fraction of those limits (bot replicas share them).
    """
    return InboxBot(  # an ExtBot whose polled updates reach the payment inbox before they are confirmed
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        request=HTTPXRequest(connection_pool_size=128, read_timeout=30.0, write_timeout=60.0),
        get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=10.0),
        # pre-checkout answers skip its queue
        rate_limiter=ObservedRateLimiter(on_api_error, max_retries=3, **shared_limits(rate_share)),
    )


def build_application(
    services: Services, bot: ExtBot[int], *, error_reporter: errors.ErrorReporter | None = None
) -> App:
    """An Application around ``bot`` whose handlers reach ``services`` as ``context.services``.

    ``error_reporter`` hears of every unhandled error with its trace id (the admins' alerts).
    """
    app = (
        ApplicationBuilder()
        .application_class(CloudMusicApplication, kwargs={"services": services})
        .bot(bot)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
        .build()
    )
    commands = {
        "start": start.start,
        "help": start.help_command,
        "generate": generate.generate_command,
        "presets": presets.presets_command,
        "history": history.history_command,
        "balance": account.balance_command,
        "cancel": account.cancel_command,
        "buy": payments.buy_command,
        "paysupport": support.paysupport_command,
        "support": support.support_command,
        "terms": payments.terms_command,
        "language": language.language_command,
        "invite": invite.invite_command,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=filters.ChatType.PRIVATE))
    # Admin commands: for anyone else they fall through to the unknown-command answer, revealing nothing.
    admins = filters.User(user_id=services.admins, allow_empty=False) & filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("refund", refunds.refund_command, filters=admins))
    app.add_handler(CommandHandler("teaser", teaser.teaser_command, filters=admins))
    admin_commands: dict[str, Handler] = {  # some are wrapped (answers_usage): one callable type for all
        "stats": admin.stats_command,
        "user": admin.user_command,
        "grant": admin.grant_command,
        "ban": admin.ban_command,
        "unban": admin.ban_command,
        "broadcast": admin.broadcast_command,
        "batch": admin.batch_command,
        "engine": admin.engine_command,
    }
    for name, admin_handler in admin_commands.items():
        app.add_handler(CommandHandler(name, admin_handler, filters=admins))
    app.add_handler(CommandHandler("apikey", apikeys.apikey_command, filters=admins))
    app.add_handler(CommandHandler("studio", studio.studio_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("link", link.link_command, filters=filters.ChatType.PRIVATE))
    # Songs with vocals (issue 17); /engine for users comes after the admins' /engine, which wins for admins.
    app.add_handler(CommandHandler("song", song.song_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("engine", song.engine_list_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("lyrics", song.lyrics_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(admin.broadcast_button, pattern=cb.BroadcastDecision.pattern()))
    app.add_handler(PreCheckoutQueryHandler(payments.pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, payments.successful_payment))
    app.add_handler(MessageHandler(filters.StatusUpdate.REFUNDED_PAYMENT, payments.refunded_payment))
    app.add_handler(CallbackQueryHandler(guided.guided_button, pattern=cb.pattern_of(*cb.GUIDED)))
    app.add_handler(CallbackQueryHandler(presets.preset_button, pattern=cb.PresetChoice.pattern()))
    app.add_handler(CallbackQueryHandler(tracks.track_button, pattern=cb.pattern_of(*cb.TRACK)))
    app.add_handler(CallbackQueryHandler(history.history_button, pattern=cb.pattern_of(*cb.HISTORY)))
    app.add_handler(CallbackQueryHandler(payments.buy_command, pattern=cb.Buy.pattern()))
    app.add_handler(CallbackQueryHandler(payments.pack_button, pattern=cb.pattern_of(*cb.PACK)))
    app.add_handler(CallbackQueryHandler(teaser.compose_button, pattern=cb.TeaserCompose.pattern()))
    app.add_handler(CallbackQueryHandler(support.cancel_button, pattern=cb.SupportCancel.pattern()))
    if services.listening is not None:
        clips = filters.AUDIO | filters.VOICE | filters.VIDEO | filters.VIDEO_NOTE
        clips |= filters.Document.AUDIO | filters.Document.VIDEO
        for extension in ("mp3", "wav", "m4a", "ogg", "oga", "opus", "flac", "aac", "mp4", "mov", "webm", "mkv"):
            clips |= filters.Document.FileExtension(extension)  # clients may send these as octet-stream
        app.add_handler(MessageHandler(clips & filters.ChatType.PRIVATE, listen.listen_message))
        app.add_handler(CallbackQueryHandler(listen.listen_button, pattern=cb.Listen.pattern()))
    app.add_handler(CallbackQueryHandler(language.language_button, pattern=cb.Language.pattern()))
    app.add_handler(InlineQueryHandler(inline.inline_query))
    app.add_handler(CallbackQueryHandler(demo.example_button, pattern=cb.Example.pattern()))
    app.add_handler(CallbackQueryHandler(song.song_button, pattern=cb.SongDecision.pattern()))
    app.add_handler(CallbackQueryHandler(song.lyrics_button, pattern=cb.LyricsChoice.pattern()))
    app.add_handler(CallbackQueryHandler(song_steps.step_button, pattern=cb.SongStep.pattern()))
    app.add_handler(CallbackQueryHandler(fallback.expired_button))
    # Within a group the first matching handler wins, so the fallbacks go last.
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, fallback.unknown_command))
    # A plain message answers a /song step waiting in the database, else it is a prompt (generate.prompt_message).
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, song_steps.typed_answer))
    app.add_handler(
        MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL & filters.ChatType.PRIVATE, fallback.unreadable)
    )
    # Support mode (state in the database) is checked before any handler can take a message as a prompt.
    not_payment = ~filters.SUCCESSFUL_PAYMENT & ~filters.StatusUpdate.REFUNDED_PAYMENT & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & not_payment, support.intake), group=support.SUPPORT_GROUP)
    # Before every other handler, in a group of its own (a group runs only its first match): the /language choice.
    app.add_handler(TypeHandler(Update, language.load_language), group=-100)
    app.add_error_handler(functools.partial(errors.on_error, reporter=error_reporter))
    return app


async def _post_init(app: App) -> None:
    """Publishes the command menu, description and short description in every language that has a catalog.

    Admins get their own menu with the admin commands too (``BotCommandScopeChat``); nobody else sees them.
    """
    services: Services = app.services  # type: ignore[attr-defined]
    texts = services.texts
    for code in texts.languages:
        language_code = None if code == "en" else code  # English is the default for every other language
        public = [BotCommand(name, texts.get(code, f"command.{name}")) for name in PUBLIC_COMMANDS]
        await app.bot.set_my_commands(public, language_code=language_code)
        await app.bot.set_my_description(texts.get(code, "bot.description"), language_code=language_code)
        await app.bot.set_my_short_description(texts.get(code, "bot.short_description"), language_code=language_code)
        admin = public + [BotCommand(name, texts.get(code, f"command.{name}")) for name in ADMIN_COMMANDS]
        for admin_id in services.admins:
            try:
                await app.bot.set_my_commands(admin, scope=BotCommandScopeChat(admin_id), language_code=language_code)
            except BadRequest as exc:  # "chat not found": the admin has not started the bot yet
                log.warning("could not publish the admin menu for %s: %s", admin_id, exc)

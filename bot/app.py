"""Builds the python-telegram-bot Application: transport, typed context, handlers, menu commands."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.context import BotContext, CloudMusicApplication
from bot.handlers import errors, fallback, start
from bot.services import Services

#: How many updates may be processed at once, so one slow conversation never stalls the others.
CONCURRENT_UPDATES = 64


def build_application(services: Services, *, token: str, base_url: str, base_file_url: str) -> Application:  # type: ignore[type-arg]
    """An Application wired to ``services`` that talks to the Bot API at ``base_url``."""
    context_types = ContextTypes(context=BotContext)
    app = (
        ApplicationBuilder()
        .application_class(CloudMusicApplication, kwargs={"services": services})
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .context_types(context_types)
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .get_updates_read_timeout(40)
        .post_init(_post_init)
        .build()
    )
    app.add_handler(CommandHandler("start", start.start))
    app.add_handler(CommandHandler("help", start.help_command))
    # Within a group the first matching handler wins, so the fallbacks go last.
    app.add_handler(MessageHandler(filters.COMMAND, fallback.unknown_command))
    app.add_handler(
        MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL & filters.ChatType.PRIVATE, fallback.unreadable)
    )
    app.add_error_handler(errors.on_error)
    return app


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    """Publishes the command menu in every language that has a catalog."""
    texts = app.services.texts  # type: ignore[attr-defined]
    for language in texts.languages:
        commands = [BotCommand(name, texts.get(language, f"command.{name}")) for name in start.PUBLIC_COMMANDS]
        await app.bot.set_my_commands(commands, language_code=None if language == "en" else language)

"""``/language``: pick the language the bot speaks; the choice is stored and wins over Telegram's language."""

from __future__ import annotations

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import Language
from bot.commands import ADMIN_COMMANDS, PUBLIC_COMMANDS
from bot.context import BotContext
from bot.handlers.common import CHOSEN_LANGUAGE, language_of, remember


async def load_language(update: Update, context: BotContext) -> None:
    """Runs before every handler: puts the sender's stored /language choice where ``language_of`` finds it."""
    if update.effective_user is None or context.user_data is None:
        return
    chosen = await context.services.users.chosen_language(update.effective_user.id)
    if chosen is None:
        context.user_data.pop(CHOSEN_LANGUAGE, None)
    else:
        context.user_data[CHOSEN_LANGUAGE] = chosen


async def language_command(update: Update, context: BotContext) -> None:
    """Offers every language with a catalog, each named in itself."""
    await remember(update, context)
    texts = context.services.texts
    buttons = [
        InlineKeyboardButton(texts.get(code, "language.name"), callback_data=Language(code).pack())
        for code in texts.languages
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        texts.get(language_of(update, context), "language.choose"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def language_button(update: Update, context: BotContext) -> None:
    """``lang:<code>`` stores the choice and confirms it in the chosen language."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    texts = context.services.texts
    code = Language.unpack(query.data).code
    if code not in texts.languages:
        await query.answer(texts.get(language_of(update, context), "callback.expired"))
        return
    await remember(update, context)
    await context.services.users.choose_language(update.effective_user.id, code)
    context.services.delivery.forget_language(update.effective_user.id)  # track captions follow at once
    if context.user_data is not None:
        context.user_data[CHOSEN_LANGUAGE] = code
    await query.answer()
    await publish_menu(context, update.effective_user.id, code)  # before the confirmation, which is the last word
    await query.edit_message_text(texts.get(code, "language.set"))


async def publish_menu(context: BotContext, chat_id: int, language: str) -> None:
    """This person's own command menu in their chosen language (a per-chat scope; admins keep their commands)."""
    texts, admins = context.services.texts, context.services.admins
    names = PUBLIC_COMMANDS + (ADMIN_COMMANDS if chat_id in admins else ())
    commands = [BotCommand(name, texts.get(language, f"command.{name}")) for name in names]
    await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))

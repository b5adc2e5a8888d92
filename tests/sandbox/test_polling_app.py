"""A real PTB Application polls the stand-in: messages, commands and button presses reach its handlers."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from standin import TelegramStandIn
from tests.sandbox.conftest import ADA, StartApp, build_app


async def test_echo_handler_answers_a_users_text(standin: TelegramStandIn, polling: StartApp) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(f"echo: {update.message.text}")

    app = build_app(standin)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await polling(app)

    await standin.send_text(ADA, "hello there")
    reply = await standin.wait_for(ADA, lambda m: m.kind == "text")

    assert reply.text == "echo: hello there"
    assert [m.from_bot for m in standin.transcript(ADA)] == [False, True]
    assert standin.violations == []


async def test_command_handler_gets_the_command_and_its_argument(standin: TelegramStandIn, polling: StartApp) -> None:
    seen: list[list[str]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(list(context.args or []))
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "<b>Welcome</b> to CloudMusic", parse_mode="HTML")

    app = build_app(standin)
    app.add_handler(CommandHandler("start", start))
    await polling(app)

    await standin.send_text(ADA, "/start@CloudMusicBot teaser_5")
    reply = await standin.wait_for(ADA, lambda m: "Welcome" in m.content)

    assert seen == [["teaser_5"]]
    assert reply.text == "Welcome to CloudMusic"
    assert standin.violations == []


async def test_button_press_reaches_the_callback_query_handler(standin: TelegramStandIn, polling: StartApp) -> None:
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Play", callback_data="play:7")]])
        await update.message.reply_text("Pick one", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Playing")
        await query.edit_message_text(f"You chose {query.data}")

    app = build_app(standin)
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(pressed))
    await polling(app)

    await standin.send_text(ADA, "/menu")
    offer = await standin.wait_for(ADA, lambda m: m.content == "Pick one")
    query_id = await standin.press_button(ADA, offer.message_id, "play:7")
    edited = await standin.wait_for(ADA, lambda m: m.edited)

    assert edited.message_id == offer.message_id
    assert edited.text == "You chose play:7" and edited.buttons == []
    assert standin.callback_answer(query_id) == {"callback_query_id": query_id, "text": "Playing"}
    assert standin.violations == []

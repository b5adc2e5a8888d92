"""The first minute: a demo track under the greeting and three example prompts that compose on a tap."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.callbacks import Example
from bot.context import BotContext
from bot.handlers.common import language_of
from bot.handlers.compose import compose
from bot.texts import Texts
from scheduler.delivery import TrackFiles

log = logging.getLogger(__name__)

#: Example name → (its button's text key, the prompt it composes). Prompts stay in the engine's words.
EXAMPLES = {
    "house": ("start.example_house", "sunny house 124 bpm 30s"),
    "lofi": ("start.example_lofi", "lo-fi for studying 75 bpm 30s"),
    "techno": ("start.example_techno", "dark techno 128 bpm 30s"),
}


def examples_keyboard(texts: Texts, language: str | None) -> InlineKeyboardMarkup:
    """One button per example; each says it costs one free track."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.get(language, key), callback_data=Example(name).pack())]
            for name, (key, _) in EXAMPLES.items()
        ]
    )


async def play_demo(context: BotContext, chat_id: int, language: str) -> None:
    """Sends the demo track with the example buttons; if it can't be played, the buttons alone."""
    texts, demo = context.services.texts, context.services.demo
    markup = examples_keyboard(texts, language)
    caption = texts.get(language, "start.demo_caption")

    async def send(audio: TrackFiles | str) -> str:
        if isinstance(audio, str):
            message = await context.bot.send_audio(chat_id, audio=audio, caption=caption, reply_markup=markup)
        else:
            mp3, cover = await asyncio.gather(audio.read(audio.mp3), audio.read(audio.cover))
            message = await context.bot.send_audio(
                chat_id,
                audio=InputFile(mp3, filename="cloudmusic-demo.mp3"),
                title=audio.title,
                performer=audio.performer,
                duration=audio.duration,
                thumbnail=InputFile(cover, filename="cover.jpg"),
                caption=caption,
                reply_markup=markup,
            )
        if message.audio is None:
            raise RuntimeError("sendAudio returned no audio")
        return message.audio.file_id

    try:
        if demo is None:
            raise RuntimeError("no demo track configured")
        if await demo.play(send):
            return
        log.info("/start without the demo: a worker renders it as it starts (WORKERS_IN_BOT=false), not yet")
    except Exception:  # the demo is a courtesy: the examples still work without it
        log.warning("could not play the demo track", exc_info=True)
    await context.bot.send_message(chat_id, texts.get(language, "start.examples"), reply_markup=markup)


async def example_button(update: Update, context: BotContext) -> None:
    """``try:<example>`` composes that example's prompt like a typed one (one free track or credit)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    example = EXAMPLES.get(Example.unpack(query.data).name)
    if example is None:
        await query.answer(context.services.texts.get(language_of(update, context), "callback.expired"))
        return
    await query.answer()
    await compose(update, context, example[1])

"""``/presets``: one-tap templates for common needs."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import PresetChoice
from bot.context import BotContext
from bot.handlers.common import language_of
from bot.handlers.compose import compose


@dataclass(frozen=True, slots=True)
class Preset:
    """A template: the prompt the engine gets and its fixed parameters; its label is ``preset.<id>``."""

    id: str
    prompt: str
    duration: float
    bpm: float | None = None
    loop: bool = False


PRESETS = (
    Preset("intro", "inspiring cinematic video intro", 15),
    Preset("speech", "calm ambient background for speech", 60),
    Preset("transition", "energetic electronic transition", 15, bpm=128),
    Preset("lofi", "lo-fi hip hop study beat", 30, loop=True),
    Preset("techno", "driving DJ techno", 30, bpm=128, loop=True),
)
BY_ID = {preset.id: preset for preset in PRESETS}


async def presets_command(update: Update, context: BotContext) -> None:
    """Lists the templates as buttons."""
    language, t = language_of(update, context), context.services.texts
    buttons = [
        [InlineKeyboardButton(t.get(language, f"preset.{p.id}"), callback_data=PresetChoice(p.id).pack())]
        for p in PRESETS
    ]
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        t.get(language, "presets.title"), reply_markup=InlineKeyboardMarkup(buttons)
    )


async def preset_button(update: Update, context: BotContext) -> None:
    """Composes the chosen template."""
    query = update.callback_query
    assert query is not None and query.data is not None
    preset = BY_ID.get(PresetChoice.unpack(query.data).preset)
    if preset is None:
        await query.answer(context.services.texts.get(language_of(update, context), "callback.expired"))
        return
    await query.answer()
    await compose(update, context, preset.prompt, duration=preset.duration, bpm=preset.bpm, loop=preset.loop or None)

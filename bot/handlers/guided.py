"""Guided mode: genre → mood → length → confirm, all in one message of inline buttons.

The choices travel in the callback data (``gm:<step>:<genre>:<mood>:<seconds>``, well under Telegram's 64 bytes),
so nothing is stored and an old keyboard still works after a restart.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.handlers.common import language_of
from bot.handlers.compose import compose

GENRES = ("techno", "house", "lo-fi", "ambient", "synthwave", "drum & bass", "trap", "cinematic", "jazzy")
MOODS = ("dark", "uplifting", "calm", "energetic", "dreamy", "sad", "epic")
#: The lengths guided mode may offer; only those the engine can make are shown.
LENGTHS = (15, 30, 60, 120, 180)
# The engine reads English words; the person reads their own language (``genre.<slug>`` / ``mood.<slug>``).
_GENRE_SLUGS = ("techno", "house", "lofi", "ambient", "synthwave", "dnb", "trap", "cinematic", "jazzy")


def lengths_for(max_duration: float) -> tuple[int, ...]:
    """The guided lengths an engine making at most ``max_duration`` seconds allows (at least the shortest)."""
    return tuple(s for s in LENGTHS if s <= max_duration) or LENGTHS[:1]


def genre_label(context: BotContext, language: str | None, index: int) -> str:
    """A genre's name in the person's language."""
    return context.services.texts.get(language, f"genre.{_GENRE_SLUGS[index]}")


def mood_label(context: BotContext, language: str | None, index: int) -> str:
    """A mood's name in the person's language."""
    return context.services.texts.get(language, f"mood.{MOODS[index]}")


def _rows(buttons: list[InlineKeyboardButton], per_row: int = 3) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _keyboard(
    context: BotContext, language: str | None, step: str, genre: int = 0, mood: int = 0
) -> InlineKeyboardMarkup:
    t = context.services.texts
    if step == "genre":
        labels = [genre_label(context, language, i) for i in range(len(GENRES))]
        rows = _rows([InlineKeyboardButton(g, callback_data=f"gm:m:{i}") for i, g in enumerate(labels)])
    elif step == "mood":
        labels = [mood_label(context, language, i) for i in range(len(MOODS))]
        rows = _rows([InlineKeyboardButton(m, callback_data=f"gm:l:{genre}:{i}") for i, m in enumerate(labels)], 4)
    elif step == "length":
        allowed = lengths_for(context.services.studio.capabilities.max_duration)
        buttons = [
            InlineKeyboardButton(t.get(language, "guided.seconds", seconds=s), callback_data=f"gm:c:{genre}:{mood}:{s}")
            for s in allowed
        ]
        rows = _rows(buttons)
    else:
        rows = []
    nav = [InlineKeyboardButton(t.get(language, "guided.close"), callback_data="gm:x")]
    if step != "genre":
        nav.insert(0, InlineKeyboardButton(t.get(language, "guided.back"), callback_data="gm:g"))
    return InlineKeyboardMarkup([*rows, nav])


async def open_guided(update: Update, context: BotContext) -> None:
    """Shows the genre choice."""
    language = language_of(update, context)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        context.services.texts.get(language, "guided.genre"), reply_markup=_keyboard(context, language, "genre")
    )


async def guided_button(update: Update, context: BotContext) -> None:
    """Advances the guided mode by one step; the last step composes the track."""
    query = update.callback_query
    assert query is not None and query.data is not None
    language, t = language_of(update, context), context.services.texts
    step, *values = query.data.split(":")[1:]
    try:
        numbers = [int(v) for v in values]
        genre = GENRES[numbers[0]] if numbers else ""
        mood = MOODS[numbers[1]] if len(numbers) > 1 else ""
        genre_text = genre_label(context, language, numbers[0]) if numbers else ""
        mood_text = mood_label(context, language, numbers[1]) if len(numbers) > 1 else ""
    except (ValueError, IndexError):
        await query.answer(t.get(language, "callback.expired"))
        return
    await query.answer()
    try:  # a second tap on the same button asks for the edit already made: Telegram says "not modified"
        if step == "g":
            await query.edit_message_text(
                t.get(language, "guided.genre"), reply_markup=_keyboard(context, language, "genre")
            )
        elif step == "m":
            await query.edit_message_text(
                t.get(language, "guided.mood", genre=genre_text),
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(context, language, "mood", numbers[0]),
            )
        elif step == "l":
            await query.edit_message_text(
                t.get(language, "guided.length", genre=genre_text, mood=mood_text),
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(context, language, "length", numbers[0], numbers[1]),
            )
        elif (
            step == "c"
            and len(numbers) == 3
            and numbers[2] in lengths_for(context.services.studio.capabilities.max_duration)
        ):
            # The menu becomes a one-line record of the choice instead of still asking "How long?".
            summary = t.get(language, "guided.summary", genre=genre_text, mood=mood_text, seconds=numbers[2])
            await query.edit_message_text(summary, reply_markup=None)
            await compose(update, context, f"{mood} {genre}", duration=float(numbers[2]), genre=genre, mood=mood)
        else:
            await query.edit_message_text(t.get(language, "guided.cancelled"))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise

"""Guided mode: genre → mood → (engine) → length → compose, all in one message of inline buttons.

The choices travel in the callback data (``gm:<step>:<genre>:<mood>:<seconds>[:<model>]``, well under Telegram's
64 bytes), so nothing is stored and an old keyboard still works after a restart. The engine step is shown only when
more than one model is offered: each with its price, licence and what it can do, the user's /engine default first
and ticked; the chosen model's key travels to the job and its price is on the summary line. The genre step also
offers "🎤 Song" (``gm:s``), which asks for a song with vocals step by step (``bot.handlers.song_steps``).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.callbacks import (
    GUIDED,
    GuidedClose,
    GuidedCompose,
    GuidedEngine,
    GuidedGenres,
    GuidedLength,
    GuidedMood,
    GuidedSong,
    unpack_any,
)
from bot.context import BotContext
from bot.handlers.common import language_of, requester
from bot.handlers.compose import compose
from bot.handlers.song import offer_lines, preferred_offer, start_song
from engines.catalogue import Offer

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


def _engine_step(context: BotContext) -> bool:
    """Whether guided mode asks for the engine: only when more than one model is offered."""
    catalogue = context.services.studio.catalogue
    return catalogue is not None and len(catalogue.offers) > 1


def _keyboard(
    context: BotContext,
    language: str | None,
    step: str,
    genre: int = 0,
    mood: int = 0,
    offer: Offer | None = None,
    default: Offer | None = None,
) -> InlineKeyboardMarkup:
    t = context.services.texts
    if step == "genre":
        labels = [genre_label(context, language, i) for i in range(len(GENRES))]
        rows = _rows([InlineKeyboardButton(g, callback_data=GuidedMood(i).pack()) for i, g in enumerate(labels)])
        if context.services.studio.catalogue is not None:  # songs need the catalogue's vocal models (issue 17)
            rows.append([InlineKeyboardButton(t.get(language, "guided.song"), callback_data=GuidedSong().pack())])
    elif step == "mood":
        labels = [mood_label(context, language, i) for i in range(len(MOODS))]
        next_step = GuidedEngine if _engine_step(context) else GuidedLength
        buttons = [InlineKeyboardButton(m, callback_data=next_step(genre, i).pack()) for i, m in enumerate(labels)]
        rows = _rows(buttons, 4)
    elif step == "engine":
        catalogue = context.services.studio.catalogue
        offers = sorted(catalogue or (), key=lambda o: o is not default)  # the user's default first
        rows = [
            [
                InlineKeyboardButton(
                    t.get(
                        language,
                        "guided.engine_default" if o is default else "guided.engine_option",
                        key=o.key,
                        cost=o.cost,
                    ),
                    callback_data=GuidedLength(genre, mood, o.key).pack(),
                )
            ]
            for o in offers
        ]
    elif step == "length":
        caps = context.services.studio.capabilities if offer is None else offer.capabilities
        key = None if offer is None else offer.key
        buttons = [
            InlineKeyboardButton(
                t.get(language, "guided.seconds", seconds=s), callback_data=GuidedCompose(genre, mood, s, key).pack()
            )
            for s in lengths_for(caps.max_duration)
        ]
        rows = _rows(buttons)
    else:
        rows = []
    nav = [InlineKeyboardButton(t.get(language, "guided.close"), callback_data=GuidedClose().pack())]
    if step != "genre":
        nav.insert(0, InlineKeyboardButton(t.get(language, "guided.back"), callback_data=GuidedGenres().pack()))
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
    language, t, studio = language_of(update, context), context.services.texts, context.services.studio
    pressed = unpack_any(query.data, *GUIDED)  # registered with their pattern, so it unpacks
    step, numbers = pressed.prefix.removeprefix("gm:"), list[int]()
    key: str | None = None
    match pressed:
        case GuidedMood(genre=genre_index):
            numbers = [genre_index]
        case GuidedEngine(genre=genre_index, mood=mood_index):
            numbers = [genre_index, mood_index]
        case GuidedLength(genre=genre_index, mood=mood_index, engine=key):
            numbers = [genre_index, mood_index]
        case GuidedCompose(genre=genre_index, mood=mood_index, seconds=seconds_value, engine=key):
            numbers = [genre_index, mood_index, seconds_value]
    try:
        genre = GENRES[numbers[0]] if numbers else ""
        mood = MOODS[numbers[1]] if len(numbers) > 1 else ""
        genre_text = genre_label(context, language, numbers[0]) if numbers else ""
        mood_text = mood_label(context, language, numbers[1]) if len(numbers) > 1 else ""
    except IndexError:  # an index past the lists
        expired = True
    else:  # or the engine step's choice (a catalogue key) is no longer offered
        expired = key is not None and not studio.offers(key)
    if expired:
        await query.answer(t.get(language, "callback.expired"))
        return
    offer = studio.offer(key) if key is not None else None
    await query.answer()
    caps = studio.capabilities if offer is None else offer.capabilities
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
        elif step == "e" and len(numbers) == 2 and studio.catalogue is not None:
            who, _ = await requester(update, context)
            default = await preferred_offer(context, who.telegram_id, vocal=False)
            lines = [t.get(language, "guided.engine", genre=genre_text, mood=mood_text)]
            lines += offer_lines(context, language or "en", studio.catalogue)
            await query.edit_message_text(
                "\n".join(lines),
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(context, language, "engine", numbers[0], numbers[1], default=default),
            )
        elif step == "l" and len(numbers) == 2:
            await query.edit_message_text(
                t.get(language, "guided.length", genre=genre_text, mood=mood_text),
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(context, language, "length", numbers[0], numbers[1], offer=offer),
            )
        elif step == "c" and len(numbers) == 3 and numbers[2] in lengths_for(caps.max_duration):
            # The menu becomes a one-line record of the choice instead of still asking "How long?".
            seconds = numbers[2]
            if offer is None:
                summary = t.get(language, "guided.summary", genre=genre_text, mood=mood_text, seconds=seconds)
            else:
                summary = t.get(
                    language,
                    "guided.summary_engine",
                    genre=genre_text,
                    mood=mood_text,
                    seconds=seconds,
                    model=offer.key,
                    cost=offer.cost,
                )
            await query.edit_message_text(summary, reply_markup=None)
            engine = None if offer is None else offer.key
            await compose(
                update, context, f"{mood} {genre}", duration=float(seconds), genre=genre, mood=mood, engine=engine
            )
        elif step == "s":
            await query.edit_message_text(t.get(language, "guided.song_opened"), reply_markup=None)
            who, user_language = await requester(update, context)
            await start_song(context, who.telegram_id, who.chat_id, user_language)
        else:
            await query.edit_message_text(t.get(language, "guided.cancelled"))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise

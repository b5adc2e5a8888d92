"""Guided mode: genre → mood → (engine) → length → compose, all in one message of inline buttons.

The choices travel in the callback data (``gm:<step>:<genre>:<mood>:<seconds>[:<model>]``, well under Telegram's
64 bytes), so nothing is stored and an old keyboard still works after a restart. The engine step is shown only when
more than one model is offered: each with its price, licence and what it can do, the user's /engine default first
and ticked; the chosen model's key travels to the job and its price is on the summary line. The genre step also
offers "🎤 Song" (``gm:s``), which asks for a song with vocals step by step (``bot.handlers.song_steps``).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.callbacks import (
    GUIDED,
    CallbackData,
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


@dataclass(frozen=True, slots=True)
class _Choice:
    """What a guided button carries so far: its step, the indices, the genre and mood (words for the engine, labels
    for the person) and the chosen offer (None: the service's default engine)."""

    step: str
    numbers: list[int]
    genre: str
    mood: str
    genre_text: str
    mood_text: str
    offer: Offer | None
    lengths: tuple[int, ...]  # the lengths the chosen engine can make


def _choice(context: BotContext, language: str | None, pressed: CallbackData) -> _Choice | None:
    """The pressed button's choice, or None when it is stale: an index past the lists, or an engine (a catalogue
    key) no longer offered."""
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
    studio = context.services.studio
    try:
        genre, mood = (GENRES[numbers[0]] if numbers else ""), (MOODS[numbers[1]] if len(numbers) > 1 else "")
        genre_text = genre_label(context, language, numbers[0]) if numbers else ""
        mood_text = mood_label(context, language, numbers[1]) if len(numbers) > 1 else ""
    except IndexError:
        return None
    if key is not None and not studio.offers(key):
        return None
    offer = studio.offer(key) if key is not None else None
    caps = studio.capabilities if offer is None else offer.capabilities
    return _Choice(step, numbers, genre, mood, genre_text, mood_text, offer, lengths_for(caps.max_duration))


async def guided_button(update: Update, context: BotContext) -> None:
    """Advances the guided mode by one step; the last step composes the track."""
    query = update.callback_query
    assert query is not None and query.data is not None
    language = language_of(update, context)
    choice = _choice(context, language, unpack_any(query.data, *GUIDED))  # registered with their pattern
    if choice is None:
        await query.answer(context.services.texts.get(language, "callback.expired"))
        return
    await query.answer()
    try:  # a second tap on the same button asks for the edit already made: Telegram says "not modified"
        await _step(update, context, query, choice, language)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _step(
    update: Update, context: BotContext, query: CallbackQuery, choice: _Choice, language: str | None
) -> None:
    """Shows the next step in the same message, or composes (the last step), or opens a song."""
    studio, count = context.services.studio, len(choice.numbers)
    if choice.step == "c" and count == 3 and choice.numbers[2] in choice.lengths:
        await _compose(update, context, query, choice, language)
    elif choice.step == "s":
        await query.edit_message_text(context.services.texts.get(language, "guided.song_opened"), reply_markup=None)
        who, user_language = await requester(update, context)
        await start_song(context, who.telegram_id, who.chat_id, user_language)
    elif choice.step == "e" and count == 2 and studio.catalogue is not None:
        who, _ = await requester(update, context)
        default = await preferred_offer(context, who.telegram_id, vocal=False)
        text, keyboard = _engine_screen(context, language, choice, default)
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    else:
        text, markup, mode = _screen(context, language, choice)
        await query.edit_message_text(text, parse_mode=mode, reply_markup=markup)


def _screen(
    context: BotContext, language: str | None, choice: _Choice
) -> tuple[str, InlineKeyboardMarkup | None, str | None]:
    """The genre, mood or length step (text, keyboard, parse mode); anything else closes guided mode."""
    t, numbers = context.services.texts, choice.numbers
    if choice.step == "g":
        return t.get(language, "guided.genre"), _keyboard(context, language, "genre"), None
    if choice.step == "m":
        markup = _keyboard(context, language, "mood", numbers[0])
        return t.get(language, "guided.mood", genre=choice.genre_text), markup, ParseMode.HTML
    if choice.step == "l" and len(numbers) == 2:
        text = t.get(language, "guided.length", genre=choice.genre_text, mood=choice.mood_text)
        markup = _keyboard(context, language, "length", numbers[0], numbers[1], offer=choice.offer)
        return text, markup, ParseMode.HTML
    return t.get(language, "guided.cancelled"), None, None


def _engine_screen(
    context: BotContext, language: str | None, choice: _Choice, default: Offer | None
) -> tuple[str, InlineKeyboardMarkup]:
    """The engine step: every model on offer with its price, the user's default first."""
    catalogue = context.services.studio.catalogue
    assert catalogue is not None
    lines = [context.services.texts.get(language, "guided.engine", genre=choice.genre_text, mood=choice.mood_text)]
    lines += offer_lines(context, language or "en", catalogue)
    numbers = choice.numbers
    return "\n".join(lines), _keyboard(context, language, "engine", numbers[0], numbers[1], default=default)


async def _compose(
    update: Update, context: BotContext, query: CallbackQuery, choice: _Choice, language: str | None
) -> None:
    """The last step: the menu becomes a one-line record of the choice instead of still asking "How long?", and
    the track is composed."""
    t, offer, seconds = context.services.texts, choice.offer, choice.numbers[2]
    values = {"genre": choice.genre_text, "mood": choice.mood_text, "seconds": seconds}
    if offer is None:
        summary = t.get(language, "guided.summary", **values)
    else:
        summary = t.get(language, "guided.summary_engine", **values, model=offer.key, cost=offer.cost)
    await query.edit_message_text(summary, reply_markup=None)
    engine = None if offer is None else offer.key
    mood, genre = choice.mood, choice.genre
    await compose(update, context, f"{mood} {genre}", duration=float(seconds), genre=genre, mood=mood, engine=engine)

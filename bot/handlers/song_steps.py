"""``/song`` asked step by step (and guided mode's "🎤 Song"): style, then lyrics — pasted, written by the AI
writer, or an explicit instrumental — then the confirm button with the price.

Each answer is a plain message, so the step a user is at lives in the database (``song_drafts.stage``), never in
the process: any replica takes the next answer, and a restart loses nothing. A step left alone for an hour is
forgotten, and the user's next message is a prompt again. Buttons carry only the draft id (``sg:ai|in:<id>``).
"""

from __future__ import annotations

import html
from datetime import timedelta

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.callbacks import SongDecision, SongStep
from bot.context import BotContext
from bot.errors_map import tells_errors
from bot.handlers import generate
from bot.handlers.common import requester
from bot.handlers.song import confirm_draft, preferred_offer, write_lyrics
from compose import intake as intake_rules
from compose.intake import IntakeError
from compose.songs import MAX_LYRIC_LINE_CHARS, MAX_LYRIC_LINES, MAX_LYRICS_CHARS, MAX_THEME_CHARS, check_lyrics
from compose.studio import Requester
from storage.songs import SongDraft, SongDraftRepository

#: How long a step waits for its answer before the user's messages are prompts again.
STEP_TTL = timedelta(hours=1)


@tells_errors  # an answer a step refuses is told; the step keeps waiting for the next, nothing is lost
async def typed_answer(update: Update, context: BotContext) -> None:
    """A plain message answers the step the user's song draft waits for; without one it is a prompt."""
    message = update.effective_message
    assert message is not None and message.text is not None
    sender = update.effective_user
    draft = await _waiting(context, sender.id) if sender is not None else None
    if draft is None:
        await generate.prompt_message(update, context)
        return
    who, language = await requester(update, context)
    if draft.stage == "style":
        await _take_style(context, who.chat_id, language, draft, message.text)
    elif draft.stage == "lyrics" or "\n" in message.text.strip():  # lines pasted for a theme are lyrics
        await _take_lyrics(context, who.chat_id, language, draft, message.text)
    else:
        await _take_theme(context, who.chat_id, language, draft, message.text)


async def _waiting(context: BotContext, telegram_id: int) -> SongDraft | None:
    """The draft waiting for this user's answer; one waiting longer than ``STEP_TTL`` is dropped (None)."""
    drafts = context.services.drafts
    draft = await drafts.waiting(telegram_id)
    if draft is not None and context.services.clock() - draft.created_at > STEP_TTL:
        await drafts.drop_waiting(draft.telegram_id)
        return None
    return draft


async def _take_style(context: BotContext, chat_id: int, language: str, draft: SongDraft, text: str) -> None:
    style, _, rest = text.strip().partition("\n")
    style = style.strip()
    parsed = intake_rules.parse(style)  # IntakeError for an empty or malformed style
    studio = context.services.studio
    offer = studio.offer(parsed.engine) if parsed.engine is not None else studio.offer(draft.offer)
    intake_rules.check(parsed, offer.capabilities if offer is not None else studio.capabilities)
    moved = await context.services.drafts.advance(
        draft, "lyrics", style=style, offer=offer.key if offer is not None else None, now=context.services.clock()
    )
    if moved is None:  # a second message raced this one and took the step
        return
    if rest.strip():  # the style and the lyrics in one message: both answers at once
        await _take_lyrics(context, chat_id, language, moved, rest)
        return
    await _ask_lyrics(context, chat_id, language, moved)


async def _ask_lyrics(context: BotContext, chat_id: int, language: str, draft: SongDraft) -> None:
    """Step 2: paste lyrics, ✍️ the AI writer, or 🎹 an instrumental."""
    t, services = context.services.texts, context.services
    catalogue = services.studio.catalogue
    rows = []
    if catalogue is not None and catalogue.vocal:
        text = t.get(
            language,
            "song.step_lyrics",
            style=html.escape(draft.style),
            chars=MAX_LYRICS_CHARS,
            lines=MAX_LYRIC_LINES,
            line=MAX_LYRIC_LINE_CHARS,
        )
        if services.lyrics is not None and services.lyrics.available:
            rows.append(
                [
                    InlineKeyboardButton(
                        t.get(language, "song.button_write"), callback_data=SongStep("ai", draft.id).pack()
                    )
                ]
            )
        else:
            text += "\n\n" + t.get(language, "song.step_no_writer")
    else:
        text = t.get(language, "song.step_lyrics_none", style=html.escape(draft.style))
    rows.append(
        [InlineKeyboardButton(t.get(language, "song.button_no_vocals"), callback_data=SongStep("in", draft.id).pack())]
    )
    rows.append(
        [InlineKeyboardButton(t.get(language, "song.button_cancel"), callback_data=SongDecision("no", draft.id).pack())]
    )
    await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def _take_lyrics(context: BotContext, chat_id: int, language: str, draft: SongDraft, lyrics: str) -> None:
    studio = context.services.studio
    if studio.catalogue is None or not studio.catalogue.vocal:
        raise IntakeError("song.step_no_vocals")
    check_lyrics(lyrics)
    offer = studio.offer(draft.offer)
    if offer is None or not offer.capabilities.vocals:
        raise IntakeError("song.not_vocal", model=draft.offer)
    ready = await context.services.drafts.advance(draft, "ready", lyrics=lyrics, now=context.services.clock())
    if ready is not None:
        await confirm_draft(context, chat_id, language, ready, offer)


async def _take_theme(context: BotContext, chat_id: int, language: str, draft: SongDraft, theme: str) -> None:
    drafts = context.services.drafts
    await write_lyrics(context, draft.telegram_id, chat_id, language, theme, style=draft.style)
    await drafts.take(draft.id, draft.telegram_id)  # the written lyrics carry the draft on (✅ Use)


@tells_errors  # answered first: an engine that left the offer is told in the chat
async def step_button(update: Update, context: BotContext) -> None:
    """A song step (:class:`bot.callbacks.SongStep`): asks the AI writer for a theme, or makes it an instrumental."""
    query = update.callback_query
    assert query is not None and query.data is not None
    pressed = SongStep.unpack(query.data)  # registered with its pattern, so it unpacks
    who, language = await requester(update, context)
    t, services = context.services.texts, context.services
    drafts = services.drafts
    draft = await drafts.get(pressed.draft, who.telegram_id)
    if draft is None or draft.stage not in ("lyrics", "theme"):
        await query.answer(t.get(language, "callback.expired"))
        return
    await query.answer()
    if pressed.step == "ai":
        await _ask_theme(context, who, language, drafts, draft)
    else:
        await _instrumental(context, query, who, language, drafts, draft)


async def _ask_theme(
    context: BotContext, who: Requester, language: str, drafts: SongDraftRepository, draft: SongDraft
) -> None:
    """✍️: the draft waits for a theme for the AI writer (or says there is no writer)."""
    t, services = context.services.texts, context.services
    if services.lyrics is None or not services.lyrics.available:
        await context.bot.send_message(who.chat_id, t.get(language, "lyrics.no_writer"))
        return
    if await drafts.advance(draft, "theme", now=services.clock()) is not None:
        limit, daily = MAX_THEME_CHARS, services.lyrics.daily_limit
        await context.bot.send_message(who.chat_id, t.get(language, "song.step_theme", limit=limit, daily=daily))


async def _instrumental(
    context: BotContext,
    query: CallbackQuery,
    who: Requester,
    language: str,
    drafts: SongDraftRepository,
    draft: SongDraft,
) -> None:
    """🎹: the draft becomes a ready instrumental with its price on the compose button."""
    services = context.services
    # The style was checked at its step; the engine it names may have left the offer since (told by the map).
    engine = intake_rules.parse(draft.style).engine
    offer = services.studio.offer(engine) if engine is not None else None
    if engine is None:
        offer = await preferred_offer(context, who.telegram_id, vocal=False)
    key = offer.key if offer is not None else services.studio.engine
    ready = await drafts.advance(draft, "ready", offer=key, now=services.clock())
    if ready is not None:
        await query.edit_message_reply_markup(reply_markup=None)
        await confirm_draft(context, who.chat_id, language, ready, offer)

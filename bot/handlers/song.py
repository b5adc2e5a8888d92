"""``/song``: a song with vocals singing the user's own lyrics, and ``/engine``: the models on offer.

One message serves power users::

    /song dreamy synth-pop 45s
    [verse]
    Walking down the Tagus …

The style line may carry any prompt parameter (``engine=``, ``45s``, ``bpm=``). The draft is kept in the database
and the price is shown on the confirm button; nothing is spent before it is pressed. ``/song`` with a style but no
lyrics is an instrumental, said so explicitly on the button. ``/song`` alone asks step by step
(``bot.handlers.song_steps``). Lyrics are sung by the user's /engine default when it sings, else by the first
vocal model offered.
"""

from __future__ import annotations

import html

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.callbacks import LyricsChoice, SongDecision
from bot.context import BotContext
from bot.errors_map import tells_errors
from bot.handlers.common import answer_submission, requester
from compose.intake import IntakeError
from compose.songs import song_plan, split_song, style_prompt
from compose.studio import Requester
from engines.catalogue import Catalogue, Offer
from storage.songs import SongDraft, SongDraftRepository


def _vocal_offers(context: BotContext) -> tuple[Offer, ...]:
    catalogue = context.services.studio.catalogue
    return () if catalogue is None else catalogue.vocal


async def preferred_offer(context: BotContext, telegram_id: int, *, vocal: bool) -> Offer | None:
    """The offer a song of this user goes to: ``vocal`` — their /engine default when it sings, else the first
    vocal model (None when none sings); otherwise their default, else the service's (None: no catalogue)."""
    catalogue = context.services.studio.catalogue
    if catalogue is None:
        return None
    chosen = await context.services.engine_choices.chosen(telegram_id)
    if vocal:
        return catalogue.singer(chosen)
    return (catalogue.find(chosen) if chosen else None) or catalogue.default


@tells_errors  # a style, engine or lyrics that cannot be sung is told with its text; nothing is kept
async def song_command(update: Update, context: BotContext) -> None:
    """``/song`` alone asks step by step; ``/song <style>`` + lyrics keeps a draft and shows the price on a
    confirm button."""
    message = update.effective_message
    assert message is not None and message.text is not None
    who, language = await requester(update, context)
    style, lyrics = split_song(message.text)
    drafts = context.services.drafts
    if not style:
        await start_song(context, who.telegram_id, who.chat_id, language)
        return
    await drafts.drop_waiting(who.telegram_id)  # a one-message /song ends any step-by-step one
    sings = lyrics is not None and bool(_vocal_offers(context))
    preferred = await preferred_offer(context, who.telegram_id, vocal=sings)
    prompt, offer = song_plan(context.services.studio, style, lyrics, preferred)
    draft = await drafts.create(who.telegram_id, style, lyrics, _key(offer, context), context.services.clock())
    await _confirm(context, who.chat_id, language, draft, prompt, lyrics, offer)


async def start_song(context: BotContext, telegram_id: int, chat_id: int, language: str) -> None:
    """Step 1 of ``/song`` step by step: a draft waiting for the style, and the question (with the one-message
    form explained, and the vocal models offered — or that vocals need the hosted model)."""
    t, services = context.services.texts, context.services
    drafts = services.drafts
    await drafts.drop_waiting(telegram_id)
    singer = await preferred_offer(context, telegram_id, vocal=True)
    offer = singer or await preferred_offer(context, telegram_id, vocal=False)
    draft = await drafts.create(telegram_id, "", None, _key(offer, context), services.clock(), stage="style")
    if singer is not None:
        text = t.get(language, "song.step_style", models=", ".join(o.key for o in _vocal_offers(context)))
    else:
        text = t.get(language, "song.step_style_offline")
    cancel = InlineKeyboardButton(t.get(language, "song.button_cancel"), callback_data=SongDecision("no", draft).pack())
    await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup([[cancel]])
    )


async def confirm_draft(
    context: BotContext, chat_id: int, language: str, draft: SongDraft, offer: Offer | None
) -> None:
    """A ready draft's summary with its price on the compose button."""
    await _confirm(context, chat_id, language, draft.id, style_prompt(draft.style), draft.lyrics, offer)


async def _confirm(
    context: BotContext, chat_id: int, language: str, draft: int, prompt: str, lyrics: str | None, offer: Offer | None
) -> None:
    """The draft's summary with its price on the compose button."""
    t = context.services.texts
    key, cost = _key(offer, context), (offer.cost if offer is not None else 1)
    label = "song.button_sing" if lyrics is not None else "song.button_instrumental"
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.get(language, label, cost=cost), callback_data=SongDecision("ok", draft).pack())],
            [
                InlineKeyboardButton(
                    t.get(language, "song.button_cancel"), callback_data=SongDecision("no", draft).pack()
                )
            ],
        ]
    )
    summary = "song.confirm_vocal" if lyrics is not None else "song.confirm_instrumental"
    lines = len(lyrics.splitlines()) if lyrics is not None else 0
    text = t.get(language, summary, style=html.escape(prompt), model=html.escape(key), cost=cost, lines=lines)
    await context.bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)


def _key(offer: Offer | None, context: BotContext) -> str:
    return offer.key if offer is not None else context.services.studio.engine


@tells_errors  # pressed and answered already: a song the studio refuses is told in the chat
async def song_button(update: Update, context: BotContext) -> None:
    """The song confirmation (:class:`bot.callbacks.SongDecision`): composes the draft (once) or drops it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    pressed = SongDecision.unpack(query.data)  # registered with its pattern, so it unpacks
    action = pressed.decision
    who, language = await requester(update, context)
    t = context.services.texts
    draft = await context.services.drafts.take(pressed.draft, who.telegram_id, ready_only=action == "ok")
    if draft is None:
        await query.answer(t.get(language, "callback.expired"))
        return
    await _close_menu(query)
    await _decide(context, who, language, draft, action)


async def _close_menu(query: CallbackQuery) -> None:
    """Answers the press and takes the buttons off the message, so the choice is made once."""
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)


async def _decide(context: BotContext, who: Requester, language: str, draft: SongDraft, action: str) -> None:
    """Composes the taken draft (``ok``), or says it was dropped (``no``)."""
    if action == "no":
        await context.bot.send_message(who.chat_id, context.services.texts.get(language, "song.cancelled"))
        return
    submission = await context.services.studio.compose(who, draft.style, engine=draft.offer, lyrics=draft.lyrics)
    await answer_submission(context, who.chat_id, language, submission)


@tells_errors  # an engine nobody offers is told with the models that are
async def engine_list_command(update: Update, context: BotContext) -> None:
    """``/engine`` for users: every model on offer with its price, licence and what it can do;
    ``/engine <name>`` makes that model the user's default."""
    who, language = await requester(update, context)
    message = update.effective_message
    name = message.text.partition(" ")[2].strip() if message is not None and message.text else ""
    if name:
        await _choose_engine(context, who, language, name)
        return
    await context.bot.send_message(who.chat_id, _engine_list(context, language), parse_mode="HTML")


async def _choose_engine(context: BotContext, who: Requester, language: str, name: str) -> None:
    """Makes the model called ``name`` the user's default (IntakeError when nobody offers it) and says so."""
    t, studio = context.services.texts, context.services.studio
    offer = studio.offer(name)
    if offer is not None:
        await context.services.engine_choices.choose(who.telegram_id, offer.key, context.services.clock())
    key = offer.key if offer is not None else studio.engine
    cost = offer.cost if offer is not None else 1
    await context.bot.send_message(who.chat_id, t.get(language, "engines.chosen", key=html.escape(key), cost=cost))


def _engine_list(context: BotContext, language: str) -> str:
    """Every model on offer with its price (HTML), or the one engine there is."""
    t, studio = context.services.texts, context.services.studio
    catalogue = studio.catalogue
    if catalogue is None:
        caps = studio.capabilities
        lines = [t.get(language, "engines.single", name=html.escape(studio.engine), max=f"{caps.max_duration:g}")]
    else:
        lines = [t.get(language, "engines.title"), *offer_lines(context, language, catalogue)]
        lines.append(t.get(language, "engines.how"))
    return "\n".join(lines)


def offer_lines(context: BotContext, language: str | None, catalogue: Catalogue) -> list[str]:
    """One HTML line per model on offer: its price, takes, longest track, what it can do and its licence."""
    t = context.services.texts
    lines = []
    for offer in catalogue:
        caps = offer.capabilities
        can = [
            t.get(language, name)
            for name, on in (
                ("engines.can_vocals", caps.vocals),
                ("engines.can_extend", caps.can_continue),
                ("engines.can_loop", caps.can_loop),
                ("engines.can_stems", caps.stems),
            )
            if on
        ]
        lines.append(
            t.get(
                language,
                "engines.item",
                key=html.escape(offer.key),
                cost=offer.cost,
                takes=offer.takes,
                licence=html.escape(offer.license.id),
                commercial=t.get(language, "engines.commercial" if offer.license.commercial_use else "engines.nc"),
                max=f"{caps.max_duration:g}",
                can=", ".join(can) or t.get(language, "engines.can_instrumental"),
            )
        )
    return lines


@tells_errors  # no writer, no singer, or the writer refusing the theme: told with its text
async def lyrics_command(update: Update, context: BotContext) -> None:
    """``/lyrics <theme>``: the AI writer's lyrics, shown as plain text with ✅ Use / ✏️ Edit / 🔁 Rewrite."""
    message = update.effective_message
    assert message is not None and message.text is not None
    who, language = await requester(update, context)
    await write_lyrics(context, who.telegram_id, who.chat_id, language, message.text.partition(" ")[2])


async def write_lyrics(
    context: BotContext, telegram_id: int, chat_id: int, language: str, theme: str, *, style: str | None = None
) -> None:
    """The AI writer's lyrics for ``theme`` shown with ✅ Use / ✏️ Edit / 🔁 Rewrite, kept as a draft for the song
    ``style`` (the theme itself when None, as with /lyrics); IntakeError (told by the caller's error map) when
    nothing was written."""
    t, desk = context.services.texts, context.services.lyrics
    if desk is None or not desk.available:
        raise IntakeError("lyrics.no_writer")
    singer = await preferred_offer(context, telegram_id, vocal=True)
    if singer is None:
        raise IntakeError("song.no_vocal_model")
    lyrics = await desk.write(telegram_id, theme)
    draft = await context.services.drafts.create(
        telegram_id,
        style if style is not None else theme.strip(),
        lyrics,
        singer.key,
        context.services.clock(),
        theme=theme.strip() if style is not None else None,
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.get(language, "lyrics.button_use"), callback_data=LyricsChoice("use", draft).pack()
                ),
                InlineKeyboardButton(
                    t.get(language, "lyrics.button_edit"), callback_data=LyricsChoice("ed", draft).pack()
                ),
                InlineKeyboardButton(
                    t.get(language, "lyrics.button_rewrite"), callback_data=LyricsChoice("re", draft).pack()
                ),
            ]
        ]
    )
    # Plain text, no parse_mode: whatever the model wrote is shown, never interpreted as markup.
    await context.bot.send_message(chat_id, lyrics, reply_markup=markup)


@tells_errors  # a rewrite the writer refuses is told in the chat (the press is answered first)
async def lyrics_button(update: Update, context: BotContext) -> None:
    """``lw:use`` turns the lyrics into a song draft with its price; ``lw:ed`` explains how to send an edited
    version; ``lw:re`` writes new lyrics for the same theme."""
    query = update.callback_query
    assert query is not None and query.data is not None
    pressed = LyricsChoice.unpack(query.data)  # registered with its pattern, so it unpacks
    action = pressed.choice
    who, language = await requester(update, context)
    t, drafts = context.services.texts, context.services.drafts
    draft = await drafts.take(pressed.draft, who.telegram_id, ready_only=True)
    if draft is None:
        await query.answer(t.get(language, "callback.expired"))
        return
    await _close_menu(query)
    await _use_lyrics(context, who, language, drafts, draft, action)


async def _use_lyrics(
    context: BotContext, who: Requester, language: str, drafts: SongDraftRepository, draft: SongDraft, action: str
) -> None:
    """``re``: new lyrics for the same theme; ``ed``: wait for the edited version; ``use``: the draft's price."""
    t = context.services.texts
    if action == "re":
        theme, style = (draft.theme, draft.style) if draft.theme is not None else (draft.style, None)
        await write_lyrics(context, who.telegram_id, who.chat_id, language, theme, style=style)
        return
    if action == "ed":  # the edited version, pasted as the next message, is the lyrics step's answer
        await drafts.drop_waiting(who.telegram_id)
        await drafts.create(who.telegram_id, draft.style, None, draft.offer, context.services.clock(), stage="lyrics")
        await context.bot.send_message(who.chat_id, t.get(language, "lyrics.edit", theme=draft.style))
        return
    offer = context.services.studio.offer(draft.offer)
    again = await drafts.create(who.telegram_id, draft.style, draft.lyrics, draft.offer, context.services.clock())
    await _confirm(context, who.chat_id, language, again, draft.style, draft.lyrics, offer)

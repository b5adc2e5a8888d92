"""Clips sent to the bot (audio, voice, video, video note, audio/video document): analyse, recommend, compose."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.callbacks import Listen
from bot.context import BotContext
from bot.errors_map import telling
from bot.handlers.common import answer_submission, requester
from bot.texts import Texts
from compose.listening import DownloadFailed, Heard, Mode, TooBig
from engines.analysis import Features
from engines.recommend import Reason, ReasonValue

_MODES: dict[str, Mode] = {"m": "match", "s": "same", "r": "reference"}


def _attachment(message: Message) -> tuple[str, int | None]:
    """The file id and declared size of the clip in ``message``."""
    media = message.audio or message.voice or message.video or message.video_note or message.document
    assert media is not None  # the handler's filter admits only these
    return media.file_id, media.file_size


async def listen_message(update: Update, context: BotContext) -> None:
    """Downloads the clip (≤ 20 MB), analyses it and answers with what was heard, a picture and the buttons."""
    assert update.effective_message is not None and context.services.listening is not None
    who, language = await requester(update, context)
    file_id, size = _attachment(update.effective_message)
    await context.bot.send_chat_action(who.chat_id, ChatAction.UPLOAD_PHOTO)  # "sending a photo…" while it listens
    async with telling(context, who.chat_id, language):  # too big, unreadable, over today's limit: said why
        heard = await context.services.listening.listen(who, size, lambda: _download(context, file_id))
        left = await context.services.listening.left_today(who)
        caption, buttons = _caption(context, language, heard, left), _buttons(context, language, heard)
        await context.bot.send_photo(
            who.chat_id, heard.picture, caption, parse_mode=ParseMode.HTML, reply_markup=buttons
        )


async def _download(context: BotContext, file_id: str) -> bytes:
    """The file's bytes through getFile; TooBig or DownloadFailed as the listener's contract asks."""
    try:
        return bytes(await (await context.bot.get_file(file_id)).download_as_bytearray())
    except BadRequest as exc:  # the Bot API says "Bad Request: file is too big" beyond 20 MB
        raise (TooBig if "too big" in exc.message.lower() else DownloadFailed)(exc.message) from exc
    except TelegramError as exc:
        raise DownloadFailed(type(exc).__name__) from exc


async def listen_button(update: Update, context: BotContext) -> None:
    """Composes from a stored analysis: "Compose to match", "Same tempo & key" or "Use as reference" (costs like any
    track)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    payload = Listen.unpack(query.data)
    who, language = await requester(update, context)
    listening = context.services.listening
    assert listening is not None
    await query.answer()
    async with telling(context, who.chat_id, language):  # answered first: a refusal is said in the chat
        submission = await listening.compose(who, payload.run, _MODES[payload.mode])
        await answer_submission(context, who.chat_id, language, submission)


def _buttons(context: BotContext, language: str, heard: Heard) -> InlineKeyboardMarkup:
    texts, run_id = context.services.texts, heard.run_id
    rows = [
        [InlineKeyboardButton(texts.get(language, "button.listen_match"), callback_data=Listen("m", run_id).pack())],
        [InlineKeyboardButton(texts.get(language, "button.listen_same"), callback_data=Listen("s", run_id).pack())],
    ]
    if heard.can_reference:  # an offered model follows a clip's melody, and the clip is kept for it
        rows.append(
            [
                InlineKeyboardButton(
                    texts.get(language, "button.listen_reference"), callback_data=Listen("r", run_id).pack()
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def _caption(context: BotContext, language: str, heard: Heard, left: int) -> str:
    f, r = heard.features, heard.recommendation
    limit = context.services.listening.daily_limit if context.services.listening else 0
    texts = context.services.texts

    def label(name: str, value: ReasonValue) -> str:
        return html.escape(render_value(texts, language, name, value))

    def why(choice: str) -> str:
        reason = r.reasons.get(choice)
        return "" if reason is None else html.escape(render_reason(texts, language, reason))

    return texts.get(
        language,
        "listen.heard",
        description=html.escape(describe(texts, language, f)),
        bpm=f"{f.bpm:.0f}",
        key=label("key", f.key),
        lufs=f"{f.lufs:.1f}",
        energy=label("energy", f.energy),
        shape=label("shape", f.energy_shape),
        brightness=label("brightness", f.brightness),
        centroid=f"{f.brightness_hz:.0f}",
        genre=label("genre", r.genre),
        why_genre=why("genre"),
        mood=label("mood", r.mood),
        why_mood=why("mood"),
        intensity=label("energy", r.intensity),
        why_intensity=why("intensity"),
        rec_bpm=f"{r.bpm:g}",
        why_tempo=why("tempo"),
        length=f"{r.duration:g}",
        why_length=why("length"),
        left=left,
        limit=limit,
    )


#: Reason values that hold a label code, and the catalog prefix of their labels.
_LABELS = {
    "genre": "listen.genre.",
    "mood": "listen.mood.",
    "energy": "listen.level.",
    "brightness": "listen.brightness.",
    "shape": "listen.shape.",
    "mode": "listen.mode.",
    "feel": "listen.feel.",
}


def label_key(name: str, code: str) -> str:
    """The catalog key of label ``code`` of kind ``name`` (``genre``, ``mood``, ``energy``…)."""
    return _LABELS[name] + code.replace(" ", "_")


def render_value(texts: Texts, language: str, name: str, value: ReasonValue) -> str:
    """One value of a reason (or a feature) as a person reads it: labels translated, numbers without a trailing .0."""
    if name == "key" and isinstance(value, str) and " " in value:
        note, mode = value.split(" ", 1)
        return texts.get(language, "listen.key", note=note, mode=texts.get(language, label_key("mode", mode)))
    if name in _LABELS and isinstance(value, str):
        return texts.get(language, label_key(name, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_reason(texts: Texts, language: str, reason: Reason) -> str:
    """A recommendation's reason in ``language`` (its code names the sentence, its values fill it in)."""
    values = {name: render_value(texts, language, name, value) for name, value in reason.values.items()}
    return texts.get(language, f"listen.reason.{reason.code}", **values)


def describe(texts: Texts, language: str, features: Features) -> str:
    """The one-line summary ("≈124 BPM, A minor, energetic, bright") in ``language``."""
    line = texts.get(
        language,
        "listen.description",
        bpm=f"{features.bpm:.0f}",
        key=render_value(texts, language, "key", features.key),
        feel=render_value(texts, language, "feel", features.energy),
        brightness=render_value(texts, language, "brightness", features.brightness),
    )
    if features.energy_shape != "steady":
        line += ", " + render_value(texts, language, "shape", features.energy_shape)
    return line

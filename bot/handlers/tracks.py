"""Buttons under a delivered track: regenerate, extend, WAV, stems, share; and re-sending from history.

Every file goes by the file_id Telegram holds for it when there is one; otherwise it is uploaded, checked first
against Telegram's 50 MB limit for bots (scheduler.tracks.UPLOAD_LIMIT), and its new file_id is kept.
"""

from __future__ import annotations

from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.callbacks import TRACK, Extend, Regenerate, Share, Wav, unpack_any
from bot.context import BotContext
from bot.errors_map import answers_errors
from bot.handlers.common import answer_submission, requester
from scheduler.studio import Gone, Outgoing, Requester, StudioError
from scheduler.tracks import UPLOAD_LIMIT
from storage import Job
from storage.audio import AudioStore, with_suffix
from storage.errors import AudioMissing


@answers_errors  # a StudioError is answered as an alert with its text
async def track_button(update: Update, context: BotContext) -> None:
    """Dispatches a track button (:data:`bot.callbacks.TRACK`) to the studio and answers the press."""
    query = update.callback_query
    assert query is not None and query.data is not None
    button = unpack_any(query.data, *TRACK)  # registered with their pattern, so it unpacks
    who, language = await requester(update, context)
    studio, t, job_id = context.services.studio, context.services.texts, button.job
    if isinstance(button, Regenerate | Extend):
        submit = studio.regenerate if isinstance(button, Regenerate) else studio.extend
        submission = await submit(who, job_id)  # before answering: a StudioError is answered as an alert
        await query.answer()
        await answer_submission(context, who.chat_id, language, submission)
    elif isinstance(button, Share):
        first_time = await studio.share(who, job_id)
        await query.answer(t.get(language, "track.shared" if first_time else "track.already_shared"))
    else:
        job = await studio.owned(who, job_id)
        await query.answer()
        await send_file(context, who.chat_id, job, "wav" if isinstance(button, Wav) else "st", language)


async def send_file(context: BotContext, chat_id: int, job: Job, action: str, language: str) -> None:
    """Sends the WAV (``wav``), the stems ZIPs (``st``) or the audio again (``re``): by the file_id Telegram holds,
    else uploaded from the audio store within the upload limit (the new file_id kept); a file Telegram has forgotten is
    uploaded again, and one gone everywhere, or too big to send, is answered with why."""
    studio, texts = context.services.studio, context.services.texts
    who = Requester(job.telegram_id, chat_id, job.fingerprint, False)
    try:
        try:
            await _send_all(context, who, job, action, language, await _outgoing(context, who, job, action))
        except _Forgotten:
            await studio.forget_files(job.id, action)
            job = await studio.owned(who, job.id)
            try:
                await _send_all(context, who, job, action, language, await _outgoing(context, who, job, action))
            except Gone as exc:
                raise Gone("track.file_lost" if exc.key == "track.gone" else exc.key) from exc
    except StudioError as exc:
        await context.bot.send_message(chat_id, texts.get(language, exc.key))


class _Forgotten(Exception):
    """Telegram refused a stored file_id: "Bad Request: wrong file identifier/HTTP URL specified"."""


async def _outgoing(context: BotContext, who: Requester, job: Job, action: str) -> list[Outgoing]:
    studio = context.services.studio
    if action == "re":
        return [await studio.audio_file(job)]
    if action == "wav":
        return [await studio.lossless_file(job)]
    if not job.has_stems:
        raise Gone("track.no_stems")
    return await studio.stems_files(who, job.id)


async def _send_all(
    context: BotContext, who: Requester, job: Job, action: str, language: str, files: list[Outgoing]
) -> None:
    file_ids = []
    for outgoing in files:
        message = await _send_one(context, who, job, action, language, outgoing)
        sent = message.audio or message.document
        file_ids.append(sent.file_id if sent is not None else "")
    if any(outgoing.file_id is None for outgoing in files) and all(file_ids):
        await context.services.studio.remember_files(job.id, action, file_ids)


async def _send_one(
    context: BotContext, who: Requester, job: Job, action: str, language: str, outgoing: Outgoing
) -> Message:
    if outgoing.file_id is not None:
        try:
            return await _send(context, who, job, action, language, outgoing, outgoing.file_id)
        except BadRequest as exc:
            if "wrong file identifier" in exc.message.lower():
                raise _Forgotten from exc
            raise
    if outgoing.key is None:
        raise Gone()
    upload = await _upload(context.services.studio.audio, outgoing.key, outgoing.name)
    return await _send(context, who, job, action, language, outgoing, upload)


async def _send(
    context: BotContext, who: Requester, job: Job, action: str, language: str, outgoing: Outgoing, file: InputFile | str
) -> Message:
    services, delivery = context.services, context.services.delivery
    if action == "re":
        thumbnail = None
        if isinstance(file, InputFile) and outgoing.key is not None:  # uploaded: its cover goes along, if kept
            try:
                thumbnail = await _upload(services.studio.audio, with_suffix(outgoing.key, ".jpg"), "cover.jpg")
            except Gone:
                thumbnail = None
        return await context.bot.send_audio(
            who.chat_id,
            file,
            title=job.title,
            performer=f"CloudMusic · {job.engine}",
            duration=round(job.duration or 0) or None,
            caption=delivery.caption(job, language),
            parse_mode=ParseMode.HTML,
            reply_markup=delivery.track_buttons(job, language),
            thumbnail=thumbnail,
        )
    note = outgoing.note and services.texts.get(language, outgoing.note, part=outgoing.part, parts=outgoing.parts)
    return await context.bot.send_document(who.chat_id, file, caption=note or None)


async def _upload(store: AudioStore, key: str, filename: str) -> InputFile:
    """The file to upload from the audio store; Gone when it is not there, Gone("track.too_big") when over
    Telegram's upload limit."""
    size = await store.size(key)
    if size is None:
        raise Gone()
    if size > UPLOAD_LIMIT:  # checked before sending: Telegram would answer 413 and the person see a bare error
        raise Gone("track.too_big")
    try:
        return InputFile(await store.read(key), filename=filename)
    except AudioMissing:  # deleted between the two calls
        raise Gone() from None

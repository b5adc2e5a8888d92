"""Buttons under a delivered track: regenerate, extend, WAV, stems, share; and re-sending from history.

Every file goes by the file_id Telegram holds for it when there is one; otherwise it is uploaded (checked first by
``compose.file_desk.FileDesk``: on disk, within Telegram's 50 MB limit for bots), and its new file_id is kept.
"""

from __future__ import annotations

from telegram import CallbackQuery, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.callbacks import TRACK, Extend, JobButton, Regenerate, Share, Wav, unpack_any
from bot.context import BotContext
from bot.errors_map import answers_errors, telling
from bot.handlers.common import answer_submission, requester
from compose.file_desk import FileDesk
from compose.studio import Outgoing, Requester
from storage import Job


@answers_errors  # a StudioError is answered as an alert with its text
async def track_button(update: Update, context: BotContext) -> None:
    """Dispatches a track button (:data:`bot.callbacks.TRACK`) to the studio and answers the press."""
    query = update.callback_query
    assert query is not None and query.data is not None
    button = unpack_any(query.data, *TRACK)  # registered with their pattern, so it unpacks
    who, language = await requester(update, context)
    studio, job_id = context.services.studio, button.job
    if isinstance(button, Regenerate | Extend):  # submitted before answering: a StudioError is answered as an alert
        submission = await (studio.regenerate if isinstance(button, Regenerate) else studio.extend)(who, job_id)
        await query.answer()
        await answer_submission(context, who.chat_id, language, submission)
    elif isinstance(button, Share):
        key = "track.shared" if await studio.share(who, job_id) else "track.already_shared"
        await query.answer(context.services.texts.get(language, key))
    else:  # the job is checked before answering, the files are sent after
        await _answer_then_send(query, context, who, await studio.owned(who, job_id), button, language)


async def _answer_then_send(
    query: CallbackQuery, context: BotContext, who: Requester, job: Job, button: JobButton, language: str
) -> None:
    """Answers the press, then sends the WAV (Wav) or the stems (Stems): the upload may take a while."""
    await query.answer()
    await send_file(context, who.chat_id, job, "wav" if isinstance(button, Wav) else "st", language)


async def send_file(context: BotContext, chat_id: int, job: Job, action: str, language: str) -> None:
    """Sends the WAV (``wav``), the stems ZIPs (``st``) or the audio again (``re``) that ``FileDesk`` finds; a file
    Telegram has forgotten is uploaded again, and one gone everywhere, or too big to send, is answered with why."""
    desk, who = context.services.files, Requester(job.telegram_id, chat_id, job.fingerprint, False)
    assert desk is not None
    async with telling(context, chat_id, language):
        try:
            await _send_all(context, who, *await desk.files(who, job, action), action, language)
        except _Forgotten:
            await _send_all(context, who, *await desk.files(who, job, action, again=True), action, language)


class _Forgotten(Exception):
    """Telegram refused a stored file_id: "Bad Request: wrong file identifier/HTTP URL specified"."""


async def _send_all(
    context: BotContext, who: Requester, job: Job, files: list[Outgoing], action: str, language: str
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
    assert outgoing.key is not None  # FileDesk checked every file without a file_id
    upload = InputFile(await _desk(context).read(outgoing.key), filename=outgoing.name)
    return await _send(context, who, job, action, language, outgoing, upload)


async def _send(
    context: BotContext, who: Requester, job: Job, action: str, language: str, outgoing: Outgoing, file: InputFile | str
) -> Message:
    services, delivery = context.services, context.services.delivery
    if action == "re":
        thumbnail = None
        if isinstance(file, InputFile) and outgoing.key is not None:  # uploaded: its cover goes along, if kept
            cover = await _desk(context).cover(outgoing.key)
            thumbnail = InputFile(cover, filename="cover.jpg") if cover is not None else None
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


def _desk(context: BotContext) -> FileDesk:
    desk = context.services.files
    assert desk is not None
    return desk

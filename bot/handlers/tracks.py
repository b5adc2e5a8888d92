"""Buttons under a delivered track: regenerate, extend, WAV, stems, share; and re-sending from history."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import InputFile, Update
from telegram.constants import ParseMode

from bot.context import BotContext
from bot.handlers.common import answer_submission, requester
from scheduler.studio import Requester, StudioError
from scheduler.tracks import file_name_for
from storage import Job


async def track_button(update: Update, context: BotContext) -> None:
    """Dispatches ``<action>:<job id>`` presses to the studio and answers the press."""
    query = update.callback_query
    assert query is not None and query.data is not None
    action, _, raw_id = query.data.partition(":")
    who, language = await requester(update, context)
    studio, t = context.services.studio, context.services.texts
    try:
        job_id = parse_job_id(raw_id)
        if action in ("rg", "ex"):
            submit = studio.regenerate if action == "rg" else studio.extend
            submission = await submit(who, job_id)  # before answering: a StudioError is answered as an alert
            await query.answer()
            await answer_submission(context, who.chat_id, language, submission)
        elif action == "sh":
            first_time = await studio.share(who, job_id)
            await query.answer(t.get(language, "track.shared" if first_time else "track.already_shared"))
        else:
            job = await studio.owned(who, job_id)
            await query.answer()
            await send_file(context, who.chat_id, job, action, language)
    except ValueError:
        await query.answer(t.get(language, "callback.expired"))
    except StudioError as exc:
        await query.answer(t.get(language, exc.key), show_alert=True)


def parse_job_id(raw: str) -> int:
    """The job id in callback data; ValueError unless it is a positive integer SQLite can hold."""
    job_id = int(raw)
    if not 0 < job_id < 2**63:
        raise ValueError(f"job id out of range: {raw[:24]}")
    return job_id


async def send_file(context: BotContext, chat_id: int, job: Job, action: str, language: str) -> None:
    """Sends the WAV (``wav``), the stems ZIP (``st``) or the audio again (``re``), reusing Telegram file ids."""
    services, delivery = context.services, context.services.delivery
    if not job.has_audio or job.audio_path is None:
        await context.bot.send_message(chat_id, services.texts.get(language, "track.gone"))
        return
    mp3 = Path(job.audio_path)
    if action == "re":
        audio = job.file_id or await _upload(mp3, f"job-{job.id}.mp3")
        await context.bot.send_audio(
            chat_id,
            audio,
            title=job.title,
            performer=f"CloudMusic · {job.engine}",
            duration=round(job.duration or 0) or None,
            caption=delivery.caption(job, language),
            parse_mode=ParseMode.HTML,
            reply_markup=delivery.track_buttons(job, language),
        )
        return
    if action == "st" and not job.has_stems:
        await context.bot.send_message(chat_id, services.texts.get(language, "track.no_stems"))
        return
    column = "wav_file_id" if action == "wav" else "stems_file_id"
    known = getattr(job, column)
    if action == "wav":
        path = mp3.with_suffix(".wav")
    elif known is None:  # made on first request: most people never ask for stems
        path = await services.studio.stems_archive(Requester(job.telegram_id, chat_id, job.fingerprint, False), job.id)
    else:
        path = mp3.with_name(f"{mp3.stem}-stems.zip")
    if known is None and not await asyncio.to_thread(path.exists):
        await context.bot.send_message(chat_id, services.texts.get(language, "track.gone"))
        return
    message = await context.bot.send_document(
        chat_id, known or await _upload(path, file_name_for(job.title or job.prompt, path.suffix))
    )
    if known is None and message.document is not None:
        await services.studio.jobs.update(job.id, **{column: message.document.file_id})


async def _upload(path: Path, filename: str) -> InputFile:
    return InputFile(await asyncio.to_thread(path.read_bytes), filename=filename)

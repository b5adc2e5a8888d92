"""Stems a worker rendered for a bot that renders nothing, sent to the chat of the person who pressed 🎚.

``python -m worker`` hands this to its queue (``Core.start_workers``): once the archives are in the audio store it
sends them as the bot's own 🎚 answer would (the same names and part notes, from ``Studio.stems_files``) and keeps
Telegram's file_ids, so a later press re-sends them by id. Web visitors (no Telegram chat) get nothing here: the
studio page asks again.
"""

from __future__ import annotations

from telegram import Bot, InputFile

from bot.studio.delivery import is_web_visitor
from bot.texts import Texts
from compose.studio import STEMS_FAILURE_KEYS, Requester, Studio
from scheduler.tracks import StemsFailure
from storage import Job, UserRepository


class ChatStemsCourier:
    """Sends a job's stems archives (or why there are none) to the job's chat, in its owner's language."""

    def __init__(self, bot: Bot, texts: Texts, users: UserRepository, studio: Studio) -> None:
        self._bot, self._texts, self._users, self._studio = bot, texts, users, studio

    async def stems_ready(self, job: Job) -> None:
        """Upload each archive as a document (its part note as the caption) and remember the file_ids."""
        if is_web_visitor(job.chat_id):
            return
        language = await self._language(job)
        who = Requester(job.telegram_id, job.chat_id, job.fingerprint, banned=False)
        file_ids = []
        for outgoing in await self._studio.stems_files(who, job.id):
            file: InputFile | str
            if outgoing.file_id is not None:
                file = outgoing.file_id
            else:
                assert outgoing.key is not None  # stems_files names every archive it has no file_id for
                file = InputFile(await self._studio.audio.read(outgoing.key), filename=outgoing.name)
            note = outgoing.note and self._texts.get(language, outgoing.note, part=outgoing.part, parts=outgoing.parts)
            message = await self._bot.send_document(job.chat_id, file, caption=note or None)
            file_ids.append(message.document.file_id if message.document is not None else "")
        if all(file_ids):
            await self._studio.remember_files(job.id, "st", file_ids)

    async def stems_failed(self, job: Job, reason: StemsFailure) -> None:
        """Say why the stems could not be made."""
        if not is_web_visitor(job.chat_id):
            text = self._texts.get(await self._language(job), STEMS_FAILURE_KEYS[reason])
            await self._bot.send_message(job.chat_id, text)

    async def _language(self, job: Job) -> str:
        user = await self._users.get(job.telegram_id)
        return user.language if user is not None else "en"

"""The files a track button (WAV, stems) or a re-send from /history sends, ready to send (issue 14, item 1).

Each file goes by the file_id Telegram holds for it when there is one; otherwise it is uploaded from the audio store, so
it is checked here first: in the store, and within Telegram's 50 MB limit for bots (``scheduler.tracks.UPLOAD_LIMIT``).
The bot only reads and sends what this desk hands it, and answers a ``Gone`` (its ``key`` says why) through the
error map.
"""

from __future__ import annotations

from compose.studio import Gone, Outgoing, Requester, Studio
from scheduler.tracks import UPLOAD_LIMIT
from storage import Job
from storage.audio import AudioStore, with_suffix
from storage.errors import AudioMissing


class FileDesk:
    """Finds a delivered track's files and checks the ones that must be uploaded.

    ``action`` is what a button sends: the audio again (``re``), the lossless file (``wav``) or the stems (``st``).
    """

    def __init__(self, studio: Studio) -> None:
        self._studio = studio

    async def files(self, who: Requester, job: Job, action: str, *, again: bool = False) -> tuple[Job, list[Outgoing]]:
        """The job (as it now stands) and its files for ``action``, each with a file_id or a checked path.

        ``again``: Telegram refused a stored file_id ("wrong file identifier"), so the stored ids are dropped and
        every file comes from disk; one that is not there any more is then ``Gone("track.file_lost")``.
        """
        if not again:
            return job, await self._checked(who, job, action)
        await self._studio.forget_files(job.id, action)
        job = await self._studio.owned(who, job.id)
        try:
            return job, await self._checked(who, job, action)
        except Gone as exc:
            raise Gone("track.file_lost" if exc.key == "track.gone" else exc.key) from exc

    async def read(self, key: str) -> bytes:
        """The bytes to upload for ``key`` (checked by :meth:`files`); Gone when deleted since."""
        try:
            return await self._studio.audio.read(key)
        except AudioMissing:
            raise Gone() from None

    async def cover(self, audio_key: str) -> bytes | None:
        """The cover kept beside an uploaded track's audio, for its thumbnail; None when there is none."""
        try:
            return await self._studio.audio.read(with_suffix(audio_key, ".jpg"))
        except AudioMissing:
            return None

    async def _checked(self, who: Requester, job: Job, action: str) -> list[Outgoing]:
        files = await self._outgoing(who, job, action)
        for outgoing in files:
            if outgoing.file_id is None:
                await _check_upload(self._studio.audio, outgoing.key)
        return files

    async def _outgoing(self, who: Requester, job: Job, action: str) -> list[Outgoing]:
        if action == "re":
            return [await self._studio.audio_file(job)]
        if action == "wav":
            return [await self._studio.lossless_file(job)]
        if not job.has_stems:
            raise Gone("track.no_stems")
        return await self._studio.stems_files(who, job.id)


async def _check_upload(store: AudioStore, key: str | None) -> None:
    """Gone when the file is not in the audio store; Gone("track.too_big") when over Telegram's upload limit
    (checked before sending: Telegram would answer 413 and the person see a bare error)."""
    size = None if key is None else await store.size(key)
    if size is None:
        raise Gone()
    if size > UPLOAD_LIMIT:
        raise Gone("track.too_big")

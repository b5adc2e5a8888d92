"""What a person can ask of the generation side, in one framework-free place the chat handlers call.

Errors::

    StudioError        base; ``key`` names the user text
    ├── NotYours       the job belongs to someone else
    ├── Gone           the job or its files no longer exist / cannot do that
    └── StemsPreparing the stems are being rendered by a worker elsewhere, which sends them when made
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from billing import Balance, Credits, JobSpec
from compose import intake as intake_rules
from compose.intake import IntakeError
from engines.audio import flac_from_wav
from engines.base import Capabilities, EngineError
from engines.catalogue import Catalogue, Offer
from scheduler.queue import GenerationQueue, Submission
from scheduler.tracks import (
    UPLOAD_LIMIT,
    StemsFailure,
    TooBigToSend,
    file_name_for,
    sendable_stems,
    stems_keys,
    take_stems_failure,
)
from storage import Job, JobRepository
from storage.audio import AudioStore, key_of, with_suffix

log = logging.getLogger(__name__)

HISTORY_PAGE = 5


class StudioError(Exception):
    """A request about an existing job that cannot be served; ``key`` names the user text."""

    key = "track.gone"


class NotYours(StudioError):
    """The job belongs to another user."""

    key = "track.not_yours"


class Gone(StudioError):
    """The job, or what was asked of it, is not available."""

    key = "track.gone"

    def __init__(self, key: str = "track.gone") -> None:
        super().__init__(key)
        self.key = key


class StemsPreparing(StudioError):
    """The stems are being made by a worker in another process, which sends them to the chat when made."""

    key = "track.stems_queued"


#: What the person hears when a worker could not make the stems (``scheduler.tracks.note_stems_failure``).
STEMS_FAILURE_KEYS: dict[StemsFailure, str] = {
    "engine": "track.gone",
    "too_big": "track.too_big",
    "no_stems": "track.no_stems",
}


@dataclass(frozen=True, slots=True)
class Requester:
    """Who is asking, as the generation side needs to know them."""

    telegram_id: int
    chat_id: int
    fingerprint: str
    banned: bool
    quota_fingerprint: str | None = None  # an anonymous web visitor's free quota key (IP + User-Agent)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A file to send for a job: its key in the audio store, the name it travels under, the file_id Telegram holds
    for it (None: upload it from the store), a text key to send with it (``note``) and which part of how many it is."""

    key: str | None  # None: no copy in the audio store (only Telegram's, under ``file_id``)
    name: str
    file_id: str | None = None
    note: str | None = None
    part: int = 1
    parts: int = 1


#: What a button sends → the job column keeping Telegram's file_id(s) for it (stems: space-separated, in order).
_FILE_COLUMNS = {"re": "file_id", "wav": "wav_file_id", "st": "stems_file_id"}


def _audio_key(job: Job) -> str:
    """The key of the job's MP3 in the audio store (Gone when it has no audio)."""
    if not job.has_audio or job.audio_path is None:
        raise Gone()
    return key_of(job.audio_path)


def _stem(job: Job) -> str:
    """``job-7``: what the keys of the job's files start with."""
    return str(PurePosixPath(_audio_key(job)).stem)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of a user's delivered tracks, newest first."""

    jobs: list[Job]
    page: int
    pages: int


class Studio:
    """Composes, re-composes, shares and lists tracks for a requester."""

    def __init__(
        self,
        *,
        queue: GenerationQueue,
        credits: Credits,
        engine: str,
        capabilities: Capabilities,
        clock: Callable[[], datetime],
        catalogue: Catalogue | None = None,
        renders_here: bool = True,
    ) -> None:
        self.queue, self.credits, self.engine = queue, credits, engine
        #: False in a bot whose workers run elsewhere: stems re-renders go to them (``StemsPreparing``).
        self.renders_here = renders_here
        self.capabilities, self._clock = capabilities, clock
        self.catalogue = catalogue  # None: the one engine ``engine`` (no choice, every prompt costs 1)
        self.jobs: JobRepository = queue.jobs

    @property
    def audio(self) -> AudioStore:
        """Where the tracks' files are (the queue's audio store)."""
        return self.queue.audio_store

    def offers(self, name: str) -> bool:
        """Whether ``name`` is on offer now: :meth:`offer` would answer rather than refuse it."""
        if self.catalogue is None:
            return name.lower() == self.engine
        return self.catalogue.find(name) is not None

    def offer(self, name: str | None) -> Offer | None:
        """The offer called ``name`` (the default offer when None); IntakeError for a name nobody offers."""
        if self.catalogue is None:
            if name is None or name.lower() == self.engine:
                return None
            raise IntakeError("intake.unknown_engine", name=name[:32], known=self.engine)
        if name is None:
            return self.catalogue.default
        offer = self.catalogue.find(name)
        if offer is None:
            known = ", ".join(o.key for o in self.catalogue)
            raise IntakeError("intake.unknown_engine", name=name[:32], known=known)
        return offer

    async def compose(
        self,
        who: Requester,
        text: str | None,
        *,
        engine: str | None = None,
        lyrics: str | None = None,
        **overrides: Any,
    ) -> Submission:
        """Parse and check ``text`` (IntakeError on bad input, nothing spent), then submit it.

        ``engine=`` in the text, else ``engine``, picks the offer (its price and capabilities apply); ``lyrics``
        are sung by a vocal model and refused (nothing spent) by any other."""
        parsed = intake_rules.parse(text)
        offer = self.offer(parsed.engine or engine)
        capabilities = self.capabilities if offer is None else offer.capabilities
        intake_rules.check(parsed, capabilities)
        params = {**parsed.params(), **{k: v for k, v in overrides.items() if v is not None}}
        intake_rules.check_duration(float(params["duration"]), capabilities)
        if lyrics is not None and not capabilities.vocals:
            raise IntakeError("song.not_vocal", model=offer.key if offer is not None else self.engine)
        if offer is not None and offer.key != offer.engine:  # a model picked by name, not the engine's default
            params["model"] = offer.model_id
        return await self._submit(who, parsed.prompt, params, offer=offer, lyrics=lyrics)

    async def regenerate(self, who: Requester, job_id: int) -> Submission:
        """The same prompt and parameters with a new seed (costs a credit like any generation)."""
        job = await self.owned(who, job_id)
        if job.params.get("reference_clip"):  # the clip was deleted once that job had used it
            raise Gone("listen.clip_gone")
        params = {**job.params, "seed": secrets.randbelow(2**31)}
        params.pop("continue_job", None)
        return await self._submit(who, job.prompt, params, offer=self._offer_of(job), lyrics=job.lyrics)

    async def _submit_takes(self, who: Requester, spec: JobSpec, takes: int) -> Submission:
        """Several takes of one prompt for one charge: the first job carries the charge (and gives it all back if it
        fails); the others are house jobs with other seeds, delivered as "Take 2/2" and listed in /history."""
        first = replace(spec, params={**spec.params, "take": 1, "takes": takes})
        submission = await self.queue.submit(first, banned=who.banned)
        if not submission.admission.allowed:
            return submission
        seed = spec.params.get("seed")
        for take in range(2, takes + 1):
            params = {**spec.params, "take": take, "takes": takes, "take_of": submission.admission.job_id}
            # No seed asked for: each take gets its own random one from the engine; else the next seeds.
            params["seed"] = None if seed is None else (int(seed) + take - 1) % 2**32
            if params["seed"] is None:
                del params["seed"]
            await self.queue.submit_house(replace(spec, params=params, cost=1))
        return submission

    def _offer_of(self, job: Job) -> Offer | None:
        """The offer a job was made with (same engine and model, so the same price), if still offered."""
        return None if self.catalogue is None else self.catalogue.offer_for(job.engine, job.params.get("model"))

    async def extend(self, who: Requester, job_id: int) -> Submission:
        """A continuation of a delivered track, where the engine can continue audio."""
        job = await self.owned(who, job_id)
        offer = self._offer_of(job)
        if not (self.capabilities if offer is None else offer.capabilities).can_continue:
            raise Gone("track.cannot_extend")
        if not job.has_audio:
            raise Gone()
        params = {k: v for k, v in job.params.items() if k not in ("seed", "reference_clip")} | {"continue_job": job.id}
        return await self._submit(who, job.prompt, params, offer=offer, lyrics=job.lyrics)

    async def share(self, who: Requester, job_id: int) -> bool:
        """Record the owner's consent to feature the track in the channel; False when it was already given."""
        job = await self.owned(who, job_id)
        if not job.has_audio:
            raise Gone()
        if job.shared_at is not None:
            return False
        await self.jobs.update(job.id, shared_at=self._clock())
        return True

    async def batch(self, who: Requester, prompts: list[str]) -> list[tuple[str, Job | IntakeError]]:
        """Queue house-paid generations for an admin; each prompt is checked like any other."""
        results: list[tuple[str, Job | IntakeError]] = []
        for text in prompts:
            try:
                parsed = intake_rules.check(intake_rules.parse(text), self.capabilities)
            except IntakeError as exc:
                results.append((text, exc))
                continue
            spec = JobSpec(
                telegram_id=who.telegram_id,
                fingerprint=who.fingerprint,
                chat_id=who.chat_id,
                prompt=parsed.prompt,
                engine=self.engine,
                params=parsed.params(),
            )
            results.append((text, await self.queue.submit_house(spec)))
        return results

    async def audio_file(self, job: Job) -> Outgoing:
        """The MP3 of a delivered track, with the file_id Telegram holds for it (its cover goes as the thumbnail)."""
        return Outgoing(_audio_key(job), file_name_for(job.title or job.prompt, ".mp3"), job.file_id)

    async def lossless_file(self, job: Job) -> Outgoing:
        """The track's lossless file: the WAV, or the same audio as FLAC (with a note saying why) when the WAV
        would be over Telegram's upload limit; Gone("track.too_big") when even the FLAC would be."""
        mp3 = _audio_key(job)
        wav, flac = with_suffix(mp3, ".wav"), with_suffix(mp3, ".flac")
        title = job.title or job.prompt
        if await self.audio.exists(flac):
            return Outgoing(flac, file_name_for(title, ".flac"), job.wav_file_id, note="track.wav_as_flac")
        if job.wav_file_id is not None:
            return Outgoing(wav, file_name_for(title, ".wav"), job.wav_file_id)
        size = await self.audio.size(wav)
        if size is None:
            raise Gone()
        if size <= UPLOAD_LIMIT:
            return Outgoing(wav, file_name_for(title, ".wav"))
        # A 16-bit stereo WAV passes 50 MB at about 4:43 (44.1 kHz); FLAC keeps the same samples at roughly half.
        data = await asyncio.to_thread(flac_from_wav, await self.audio.read(wav))
        if len(data) > UPLOAD_LIMIT:
            raise Gone("track.too_big")
        await self.audio.put(flac, data)
        return Outgoing(flac, file_name_for(title, ".flac"), note="track.wav_as_flac")

    async def stems_files(self, who: Requester, job_id: int) -> list[Outgoing]:
        """The stems archives to send, in order, with the file_ids Telegram holds for them (made on first request)."""
        job = await self.owned(who, job_id)
        known = (job.stems_file_id or "").split()
        paths = await self.stems_archive(who, job_id) if not known else await stems_keys(self.audio, _stem(job))
        count = len(known) or len(paths)
        title = job.title or job.prompt
        files: list[Outgoing] = []
        for index in range(count):
            path = paths[index] if index < len(paths) else None
            name = file_name_for(f"{title} stems" + (f" {index + 1} of {count}" if count > 1 else ""), ".zip")
            file_id = known[index] if known else None
            note = "track.stems_part" if count > 1 else None
            files.append(Outgoing(path, name, file_id, note=note, part=index + 1, parts=count))
        return files

    async def remember_files(self, job_id: int, action: str, file_ids: list[str]) -> None:
        """Store the file_ids Telegram gave the files of ``action`` (``re``, ``wav``, ``st``) just uploaded."""
        await self.jobs.update(job_id, **{_FILE_COLUMNS[action]: " ".join(file_ids) or None})

    async def forget_files(self, job_id: int, action: str) -> None:
        """Drop file_ids Telegram no longer knows ("wrong file identifier"), so the next send uploads from the store."""
        await self.jobs.update(job_id, **{_FILE_COLUMNS[action]: None})

    async def stems_archive(self, who: Requester, job_id: int) -> list[str]:
        """The keys of the track's stems ZIPs: the ones in the store, or re-rendered from the same seed (FLACs,
        each ZIP within Telegram's upload limit; an archive left over the limit by an older version is re-rendered).

        Where this process renders nothing (its workers are elsewhere) the render is handed to them and
        ``StemsPreparing`` says so: the worker sends them to the chat when made (``bot.stems_courier``), and a
        later press finds them in the store (or hears why a worker could not make them)."""
        job = await self.owned(who, job_id)
        if not job.has_audio or job.audio_path is None or not job.has_stems:
            raise Gone("track.no_stems")
        stem = _stem(job)
        if paths := await sendable_stems(self.audio, stem):
            return paths
        if (failure := await take_stems_failure(self.audio, stem)) is not None:
            raise Gone(STEMS_FAILURE_KEYS[failure])
        if job.engine not in self.queue.engines or job.seed is None:
            raise Gone("track.too_big" if await stems_keys(self.audio, stem) else "track.gone")
        if not self.renders_here:
            await self.queue.request_stems(job)  # False: already asked for; either way they are on their way
            raise StemsPreparing()
        try:
            paths = await self.queue.render_stems(job)
        except EngineError as exc:
            log.warning("re-rendering the stems of job %s failed: %s", job.id, exc)
            raise Gone() from exc
        except TooBigToSend as exc:
            log.warning("the stems of job %s cannot be sent: %s", job.id, exc)
            raise Gone("track.too_big") from exc
        if not paths:
            raise Gone("track.no_stems")
        return paths

    async def owned(self, who: Requester, job_id: int) -> Job:
        """The job, checked to belong to ``who``."""
        job = await self.jobs.get(job_id)
        if job is None:
            raise Gone()
        if job.telegram_id != who.telegram_id:
            raise NotYours()
        return job

    async def history(self, who: Requester, page: int) -> HistoryPage:
        """Page ``page`` (1-based, clamped) of the requester's delivered tracks."""
        total = await self.jobs.count_for_user(who.telegram_id, delivered_only=True)
        pages = max(1, math.ceil(total / HISTORY_PAGE))
        page = min(max(1, page), pages)
        jobs = await self.jobs.for_user(
            who.telegram_id, limit=HISTORY_PAGE, offset=(page - 1) * HISTORY_PAGE, delivered_only=True
        )
        return HistoryPage(jobs, page, pages)

    async def balance(self, who: Requester) -> Balance:
        """Free tracks left today, paid credits, and when the free quota resets."""
        return await self.credits.balance(who.fingerprint, who.quota_fingerprint)

    async def active_position(self, job_ids: tuple[int, ...]) -> int:
        """The queue position of the first of ``job_ids`` still queued (0 when it is already running)."""
        for job_id in job_ids:
            job = await self.jobs.get(job_id)
            if job is not None and job.status == "queued":
                return await self.queue.position(job)
        return 0

    async def cancel(self, who: Requester) -> Job | None:
        """Cancel the requester's job in the works, if any (its credit is released)."""
        return await self.queue.cancel(who.telegram_id)

    async def _submit(
        self,
        who: Requester,
        prompt: str,
        params: dict[str, Any],
        *,
        offer: Offer | None = None,
        lyrics: str | None = None,
    ) -> Submission:
        params = {k: v for k, v in params.items() if k not in ("take", "takes", "take_of")}  # set afresh below
        spec = JobSpec(
            telegram_id=who.telegram_id,
            fingerprint=who.fingerprint,
            chat_id=who.chat_id,
            prompt=prompt,
            engine=self.engine if offer is None else offer.engine,
            params=params,
            quota_fingerprint=who.quota_fingerprint,
            cost=1 if offer is None else offer.cost,
            lyrics=lyrics,
        )
        takes = 1 if offer is None else offer.takes
        if takes > 1 and "continue_job" not in params and "reference_clip" not in params:  # one clip, one job
            return await self._submit_takes(who, spec, takes)
        return await self.queue.submit(spec, banned=who.banned)

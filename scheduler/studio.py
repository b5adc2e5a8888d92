"""What a person can ask of the generation side, in one framework-free place the chat handlers call.

Errors::

    StudioError        base; ``key`` names the user text
    ├── NotYours       the job belongs to someone else
    └── Gone           the job or its files no longer exist / cannot do that
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from billing import Balance, Credits, JobSpec
from engines.base import Capabilities, EngineError
from scheduler import intake as intake_rules
from scheduler.intake import IntakeError
from scheduler.queue import GenerationQueue, Submission
from scheduler.tracks import write_stems_zip
from storage import Job, JobRepository

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


@dataclass(frozen=True, slots=True)
class Requester:
    """Who is asking, as the generation side needs to know them."""

    telegram_id: int
    chat_id: int
    fingerprint: str
    banned: bool


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
    ) -> None:
        self.queue, self.credits, self.engine = queue, credits, engine
        self.capabilities, self._clock = capabilities, clock
        self.jobs: JobRepository = queue.jobs

    async def compose(self, who: Requester, text: str | None, **overrides: Any) -> Submission:
        """Parse and check ``text`` (IntakeError on bad input, nothing spent), then submit it."""
        parsed = intake_rules.check(intake_rules.parse(text), self.capabilities)
        params = {**parsed.params(), **{k: v for k, v in overrides.items() if v is not None}}
        intake_rules.check_duration(float(params["duration"]), self.capabilities)
        return await self._submit(who, parsed.prompt, params)

    async def regenerate(self, who: Requester, job_id: int) -> Submission:
        """The same prompt and parameters with a new seed (costs a credit like any generation)."""
        job = await self.owned(who, job_id)
        params = {**job.params, "seed": secrets.randbelow(2**31)}
        params.pop("continue_job", None)
        return await self._submit(who, job.prompt, params)

    async def extend(self, who: Requester, job_id: int) -> Submission:
        """A continuation of a delivered track, where the engine can continue audio."""
        job = await self.owned(who, job_id)
        if not self.capabilities.can_continue:
            raise Gone("track.cannot_extend")
        if not job.has_audio:
            raise Gone()
        params = {k: v for k, v in job.params.items() if k != "seed"} | {"continue_job": job.id}
        return await self._submit(who, job.prompt, params)

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

    async def stems_archive(self, who: Requester, job_id: int) -> Path:
        """The track's stems ZIP: the one written at generation, or re-rendered now from the same seed."""
        job = await self.owned(who, job_id)
        if not job.has_audio or job.audio_path is None or not job.has_stems:
            raise Gone("track.no_stems")
        mp3 = Path(job.audio_path)
        path = mp3.with_name(f"{mp3.stem}-stems.zip")
        if await asyncio.to_thread(path.exists):
            return path
        engine = self.queue.engines.get(job.engine)
        if engine is None or job.seed is None:
            raise Gone()
        request = await self.queue.request_for(job, stems=True, seed=job.seed)
        try:
            track = await engine.generate(request)
        except EngineError as exc:
            log.warning("re-rendering the stems of job %s failed: %s", job.id, exc)
            raise Gone() from exc
        if not track.stems:
            raise Gone("track.no_stems")
        return await write_stems_zip(track, path)

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
        return await self.credits.balance(who.fingerprint)

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

    async def _submit(self, who: Requester, prompt: str, params: dict[str, Any]) -> Submission:
        spec = JobSpec(
            telegram_id=who.telegram_id,
            fingerprint=who.fingerprint,
            chat_id=who.chat_id,
            prompt=prompt,
            engine=self.engine,
            params=params,
        )
        return await self.queue.submit(spec, banned=who.banned)

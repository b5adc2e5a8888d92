"""Listening to what a person sends: a free daily analysis, a recommendation, and composing to match it.

Errors (``key`` names the user text)::

    ListenError          base
    ├── TooBig           over Telegram's 20 MB download limit; nothing was downloaded
    ├── DownloadFailed   the file could not be fetched
    ├── LimitReached     today's free analyses are used up
    ├── RunGone          the analysis behind a button is unknown or someone else's
    └── ClipGone         the clip to use as a reference is no longer kept (used already, or expired)
    engines.analysis.AnalysisError (NotAudio, Undecodable, Silent) pass through with their own ``key``

An analysis that fails on the file does not count against the day. The file's bytes live only for the analysis:
they are decoded from a temporary file that is deleted at once, and nothing of them is stored but the features —
except when an offered model takes a melody reference ("🎧 Use as reference"): then the decoded clip (the seconds
that model follows, as a WAV) waits in the queue's ``clips`` folder for the button. Pressing it hands the clip to
exactly one job, which deletes it once its engine is done with it; a clip nobody used is deleted after
``scheduler.clips.KEEP_UNUSED_CLIP``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from compose.studio import Requester, Studio
from engines.analysis import RATE, Decoded, Features, analyse_decoded, decode_bytes, picture_png
from engines.audio import wav_bytes
from engines.catalogue import Offer
from engines.recommend import Recommendation, recommend
from scheduler.clips import KEEP_UNUSED_CLIP, sweep
from scheduler.queue import Submission
from storage.analyses import AnalysisRepository
from storage.audio import write_atomically

#: Telegram's getFile serves files up to 20 MB to bots (Bot API "getFile": "bots can download files of up to
#: 20MB in size"; /work/shared/telegram-bot-api.json).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

Mode = Literal["match", "same", "reference"]


class ListenError(Exception):
    """A clip or button the listener cannot serve; ``key`` names the user text."""

    key = "listen.gone"

    @property
    def values(self) -> dict[str, Any]:
        """Placeholders of the user text."""
        return {}


class TooBig(ListenError):
    """The file is over the 20 MB a bot may download."""

    key = "listen.too_big"


class DownloadFailed(ListenError):
    """The file could not be fetched from where it was sent."""

    key = "listen.download_failed"


class LimitReached(ListenError):
    """Today's free analyses are used up."""

    key = "listen.limit"

    def __init__(self, limit: int) -> None:
        super().__init__(self.key)
        self.limit = limit

    @property
    def values(self) -> dict[str, Any]:
        """Placeholders of the user text."""
        return {"limit": self.limit}


class RunGone(ListenError):
    """The analysis behind a button is unknown or belongs to someone else."""

    key = "listen.gone"


class ClipGone(ListenError):
    """The clip to use as a melody reference is no longer kept (a job used it already, or it expired)."""

    key = "listen.clip_gone"


def clip_name(run_id: int) -> str:
    """The file name a clip of analysis ``run_id`` waits under for the "Use as reference" button."""
    return f"clip-{run_id}.wav"


@dataclass(frozen=True, slots=True)
class Heard:
    """One finished analysis: its id (for the buttons), the features, the picture and the recommendation."""

    run_id: int
    features: Features
    picture: bytes
    recommendation: Recommendation
    can_reference: bool = False  # the clip is kept: "Use as reference" may be offered


def _analyse(
    data: bytes, max_duration: float, keep: tuple[Path, float] | None
) -> tuple[Features, bytes, Recommendation]:
    """Decode and analyse ``data``; with ``keep`` = (path, seconds), also keep that much of the clip as a WAV."""
    decoded: Decoded = decode_bytes(data)
    features = analyse_decoded(decoded)
    if keep is not None:
        path, seconds = keep
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, wav_bytes(decoded.samples[: round(seconds * RATE)], RATE))
    return features, picture_png(decoded, features), recommend(features, max_duration=max_duration)


class Listening:
    """Analyses clips within a free daily allowance and composes tracks to match them through the studio."""

    def __init__(
        self,
        *,
        runs: AnalysisRepository,
        studio: Studio,
        daily_limit: int,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
        concurrency: int = 2,
    ) -> None:
        self.runs, self.studio, self.daily_limit = runs, studio, daily_limit
        self._zone, self._clock = zone, clock
        # At most this many analyses decode at once (each takes a core for a second or two), so a burst of clips
        # waits its turn instead of starving the generation workers.
        self._slots = asyncio.Semaphore(concurrency)
        self.clips_dir = studio.queue.clips_dir

    @property
    def reference_offer(self) -> Offer | None:
        """The offered model that takes a clip as its melody reference (the first one), if any is offered."""
        catalogue = self.studio.catalogue
        referencing = catalogue.referencing if catalogue is not None else ()
        return referencing[0] if referencing else None

    async def sweep_clips(self) -> None:
        """Delete the clips kept for "Use as reference" that waited longer than :data:`KEEP_UNUSED_CLIP`."""
        cutoff = (self._clock() - KEEP_UNUSED_CLIP).timestamp()
        await asyncio.to_thread(sweep, self.clips_dir, cutoff)

    def check_size(self, size: int | None) -> None:
        """TooBig when a file of ``size`` bytes cannot be downloaded by a bot (checked before downloading)."""
        if size is not None and size > MAX_DOWNLOAD_BYTES:
            raise TooBig(self.__class__.__name__)

    async def reserve(self, who: Requester) -> int:
        """Take one of today's free analyses (LimitReached when none is left); returns the analysis id."""
        now = self._clock()
        run_id = await self.runs.reserve(who.telegram_id, now.astimezone(self._zone).date(), self.daily_limit, now)
        if run_id is None:
            raise LimitReached(self.daily_limit)
        return run_id

    async def listen(self, who: Requester, size: int | None, fetch: Callable[[], Awaitable[bytes]]) -> Heard:
        """Check the size, take one of today's free analyses, ``fetch`` the file and analyse it.

        ``fetch`` returns the file's bytes or raises TooBig / DownloadFailed. Any refusal after the reservation
        gives the analysis back, so a file that cannot be analysed costs nothing.
        """
        self.check_size(size)
        run_id = await self.reserve(who)
        try:
            data = await fetch()
        except BaseException:
            await self.release(run_id)
            raise
        return await self.analyse(run_id, data)

    async def left_today(self, who: Requester) -> int:
        """How many free analyses ``who`` has left today."""
        now = self._clock()
        return max(0, self.daily_limit - await self.runs.count(who.telegram_id, now.astimezone(self._zone).date()))

    async def analyse(self, run_id: int, data: bytes) -> Heard:
        """Analyse ``data`` in a worker thread for the reserved ``run_id``; a bad file gives the analysis back."""
        offer = self.reference_offer
        keep = None if offer is None else (self.clips_dir / clip_name(run_id), offer.capabilities.max_duration)
        try:
            self.check_size(len(data))
            await self.sweep_clips()
            async with self._slots:
                work = asyncio.to_thread(_analyse, data, self.studio.capabilities.max_duration, keep)
                features, picture, advice = await work
        except BaseException:  # a bad file (AnalysisError, TooBig), a crash or a cancel: the analysis is given back
            if keep is not None:
                keep[0].unlink(missing_ok=True)
            await self.runs.fail(run_id)
            raise
        await self.runs.finish(run_id, features.as_dict(), advice.as_dict())
        return Heard(run_id, features, picture, advice, can_reference=keep is not None)

    async def release(self, run_id: int) -> None:
        """Give back a reserved analysis that never ran (the download failed)."""
        await self.runs.fail(run_id)

    async def compose(self, who: Requester, run_id: int, mode: Mode) -> Submission:
        """Compose to match analysis ``run_id`` (``match``: everything recommended; ``same``: its tempo and key
        only; ``reference``: everything recommended, on the model that follows the clip's melody). Costs like any
        track; RunGone when the analysis is unknown or not the requester's, ClipGone when its clip is not kept."""
        run = await self.runs.get(run_id)
        if run is None or run.telegram_id != who.telegram_id or run.recommendation is None:
            raise RunGone(str(run_id))
        advice = Recommendation.from_dict(run.recommendation)
        if mode == "same":
            return await self.studio.compose(who, f"{advice.genre}", bpm=advice.bpm, key=advice.key)
        if mode == "reference":
            return await self._compose_with_reference(who, run_id, advice)
        return await self.studio.compose(
            who, advice.prompt, bpm=advice.bpm, key=advice.key, duration=advice.duration, mood=advice.mood
        )

    async def _compose_with_reference(self, who: Requester, run_id: int, advice: Recommendation) -> Submission:
        """The recommended track on the reference model, following the clip's melody; the clip goes to this one job
        (renamed to a name of its own first, so a second press finds nothing) and back if nothing was queued."""
        offer = self.reference_offer
        if offer is None:
            raise RunGone(str(run_id))
        await self.sweep_clips()
        kept = self.clips_dir / clip_name(run_id)
        claimed = kept.with_name(f"clip-{run_id}-{secrets.token_hex(4)}.wav")
        try:
            await asyncio.to_thread(kept.rename, claimed)
            await asyncio.to_thread(os.utime, claimed)  # its wait for a worker starts now, not at the analysis
        except FileNotFoundError:
            raise ClipGone(str(run_id)) from None
        duration = min(advice.duration, offer.capabilities.max_duration)
        try:
            submission = await self.studio.compose(
                who,
                advice.prompt,
                engine=offer.key,
                bpm=advice.bpm,
                key=advice.key,
                duration=duration,
                mood=advice.mood,
                reference_clip=claimed.name,
            )
        except BaseException:
            await asyncio.to_thread(claimed.rename, kept)
            raise
        if not submission.admission.allowed:  # no credit, or too many tracks in the works: the clip waits again
            await asyncio.to_thread(claimed.rename, kept)
        return submission

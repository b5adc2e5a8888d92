"""Listening to what a person sends: a free daily analysis, a recommendation, and composing to match it.

Errors (``key`` names the user text)::

    ListenError          base
    ├── TooBig           over Telegram's 20 MB download limit; nothing was downloaded
    ├── DownloadFailed   the file could not be fetched
    ├── LimitReached     today's free analyses are used up
    └── RunGone          the analysis behind a button is unknown or someone else's
    engines.analysis.AnalysisError (NotAudio, Undecodable, Silent) pass through with their own ``key``

An analysis that fails on the file does not count against the day. The file's bytes live only for the analysis:
they are decoded from a temporary file that is deleted at once, and nothing of them is stored but the features.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from engines.analysis import Decoded, Features, analyse_decoded, decode_bytes, picture_png
from engines.recommend import Recommendation, recommend
from scheduler.queue import Submission
from scheduler.studio import Requester, Studio
from storage.analyses import AnalysisRepository

#: Telegram's getFile serves files up to 20 MB to bots (Bot API "getFile": "bots can download files of up to
#: 20MB in size"; /work/shared/telegram-bot-api.json).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

Mode = Literal["match", "same"]


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


@dataclass(frozen=True, slots=True)
class Heard:
    """One finished analysis: its id (for the buttons), the features, the picture and the recommendation."""

    run_id: int
    features: Features
    picture: bytes
    recommendation: Recommendation


def _analyse(data: bytes, max_duration: float) -> tuple[Features, bytes, Recommendation]:
    decoded: Decoded = decode_bytes(data)
    features = analyse_decoded(decoded)
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
        try:
            self.check_size(len(data))
            async with self._slots:
                work = asyncio.to_thread(_analyse, data, self.studio.capabilities.max_duration)
                features, picture, advice = await work
        except BaseException:  # a bad file (AnalysisError, TooBig), a crash or a cancel: the analysis is given back
            await self.runs.fail(run_id)
            raise
        await self.runs.finish(run_id, features.as_dict(), advice.as_dict())
        return Heard(run_id, features, picture, advice)

    async def release(self, run_id: int) -> None:
        """Give back a reserved analysis that never ran (the download failed)."""
        await self.runs.fail(run_id)

    async def compose(self, who: Requester, run_id: int, mode: Mode) -> Submission:
        """Compose to match analysis ``run_id`` (``match``: everything recommended; ``same``: its tempo and key
        only). Costs like any track; RunGone when the analysis is unknown or not the requester's."""
        run = await self.runs.get(run_id)
        if run is None or run.telegram_id != who.telegram_id or run.recommendation is None:
            raise RunGone(str(run_id))
        advice = Recommendation.from_dict(run.recommendation)
        if mode == "same":
            return await self.studio.compose(who, f"{advice.genre}", bpm=advice.bpm, key=advice.key)
        return await self.studio.compose(
            who, advice.prompt, bpm=advice.bpm, key=advice.key, duration=advice.duration, mood=advice.mood
        )

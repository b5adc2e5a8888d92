"""The teaser desk: choose a track, cut its best 20 seconds, post it to the channel, exactly once a day.

What is posted: the newest delivered track whose owner pressed "Share to channel" (``jobs.shared_at``) and that
was never featured, else a *house track* made on the spot by the default engine from a prompt rotated by day. A
listener's track is never posted without that consent. House tracks have no owner, quota or history, so they are
not ``jobs`` rows (whose ``telegram_id`` must name a user): the teaser row itself keeps their prompt, engine, model
and seed.

Exactly once per channel per day: the run first claims ``(channel, day)`` in ``teasers`` (see
:mod:`storage.teasers` for the states), marks the row ``sending`` right before each request and records the message
id right after, so a restart, a second instance or a retry finds the slot taken. A refused request (flood limit,
5xx) is retried with backoff, honouring ``retry_after``, ``max_attempts`` times, then left ``failed`` for the next
run (a start-up the same day). An admin's ``/teaser`` (:meth:`TeaserDesk.post_now`) is an extra post outside the
daily slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from engines.audio import cover_jpeg_async, decode_audio_async, encode_mp3_async, teaser_cut
from engines.base import Engine, GeneratedTrack, GenerationRequest, License
from scheduler.outbox import AudioPost, LinkButton, Outbox, PostReceipt, SendRejected, SendRetryable
from scheduler.tracks import performer_for, title_for
from storage import Job
from storage.audio import AudioStore, LocalAudioStore, key_of, with_suffix
from storage.errors import AudioMissing
from storage.teasers import Teaser, TeaserRepository

log = logging.getLogger(__name__)

#: ``queued``: an admin's request handed to the workers (:mod:`scheduler.teaser_requests`), which report it later.
Outcome = Literal["posted", "taken", "not_due", "no_channel", "failed", "uncertain", "queued"]


@dataclass(frozen=True, slots=True)
class TeaserConfig:
    """Where and when teasers go, and how hard to try."""

    channel: str | None  # None: no channel, so no teasers
    at: time  # local time of the daily post
    zone: ZoneInfo
    prompts: tuple[str, ...]  # house-track prompts, rotated by day
    teaser_seconds: float = 20.0
    fade_seconds: float = 1.0
    house_seconds: float = 30.0
    max_attempts: int = 4  # post requests per run
    backoff_s: float = 5.0  # first wait after a refusal; doubles each time
    max_backoff_s: float = 300.0  # a longer retry_after ends the run (left for the next one)
    lease: timedelta = timedelta(minutes=15)  # a ``preparing`` claim older than this was abandoned by a crash
    prepare_timeout_s: float = 300.0  # choosing and rendering (a house track is generated) must fit in this


class TeaserWords(Protocol):
    """What the desk says, in people's words (``bot/`` renders it from the locale catalogs); it sends nothing."""

    def caption(self, prompt: str, engine: str, license_id: str | None) -> str:
        """The post's caption as Telegram-style HTML: the prompt, the engine, a non-commercial licence if any."""
        ...

    def link_text(self) -> str:
        """The label of the button that leads back to the bot ("🎵 Make yours")."""
        ...

    def deep_link(self, teaser_id: int) -> str:
        """The URL that opens the bot with this teaser's prompt ready to compose."""
        ...

    async def featured(self, job: Job, teaser: Teaser) -> str:
        """The note (Telegram-style HTML) telling the owner of ``job``, in their language, that it was featured."""
        ...


@dataclass(frozen=True, slots=True)
class TeaserResult:
    """How a run ended, and the teaser row it was about (if any)."""

    outcome: Outcome
    teaser: Teaser | None = None
    detail: str = ""


class NoHouseTrack(Exception):
    """A house track is needed, and this process renders none (its workers run elsewhere)."""


class _ClaimLost(Exception):
    """Another run took this claim over (ours looked abandoned): stop without posting."""


@dataclass(frozen=True, slots=True)
class _Source:
    job: Job | None  # None for a house track
    prompt: str
    track: GeneratedTrack
    mood: str | None = None


class TeaserDesk:
    """Posts teasers; safe to call from a timed job, a start-up catch-up and an admin command at once."""

    def __init__(
        self,
        *,
        repo: TeaserRepository,
        engine: Engine | None,
        outbox: Outbox,
        words: TeaserWords,
        config: TeaserConfig,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        audio_store: AudioStore | None = None,
    ) -> None:
        self.repo, self.config = repo, config  # config is replaceable (tests shorten the backoff)
        self._audio_store = audio_store  # None: a job's files are beside its recorded audio_path on this disk
        # None: this process renders nothing (a bot whose workers run elsewhere): shared tracks only; the daily
        # teaser, which may need a house track, runs in the worker processes.
        self._engine, self._outbox, self._words = engine, outbox, words
        self._clock, self._sleep = clock, sleep
        self._lock = asyncio.Lock()  # one run at a time in this process; the database guards across processes

    # --- when -----------------------------------------------------------------------------------------------

    def day_of(self, now: datetime) -> date:
        """The teaser day ``now`` falls on, in the teaser time zone."""
        return now.astimezone(self.config.zone).date()

    def due(self, now: datetime) -> bool:
        """True once today's posting time has passed (local time), so a late or catch-up run still posts."""
        return now.astimezone(self.config.zone).time() >= self.config.at

    def house_prompt(self, index: int) -> str:
        """The house prompt for ``index`` (the day's ordinal for daily posts), rotating through the list."""
        return self.config.prompts[index % len(self.config.prompts)]

    # --- runs -----------------------------------------------------------------------------------------------

    async def post_daily(self) -> TeaserResult:
        """Post today's teaser if it is due and nobody has (``taken`` when the slot is posted or in progress)."""
        channel, now = self.config.channel, self._clock()
        if channel is None:
            return TeaserResult("no_channel")
        if not self.due(now):
            return TeaserResult("not_due")
        day = self.day_of(now)
        async with self._lock:
            teaser = await self.repo.claim_daily(channel, day, now, stale_before=now - self.config.lease)
            if teaser is None:
                existing = await self.repo.daily(channel, day)
                if existing is not None and existing.status == "sending":
                    log.warning(
                        "the %s teaser for %s was being sent when a run stopped; not retried, as it may be in the "
                        "channel already (an admin can post one with /teaser)",
                        day,
                        channel,
                    )
                return TeaserResult("taken", existing)
            return await self._run(teaser, house_index=day.toordinal())

    async def post_now(self) -> TeaserResult:
        """Post an extra teaser now, outside the daily slot (an admin's ``/teaser``)."""
        if self.config.channel is None:
            return TeaserResult("no_channel")
        async with self._lock:
            teaser = await self.repo.open_manual(self.config.channel, self._clock())
            return await self._run(teaser, house_index=self.day_of(self._clock()).toordinal() + teaser.id)

    async def find_posted(self, teaser_id: int) -> Teaser | None:
        """A teaser that is out in the channel (the target of a deep link), or None."""
        teaser = await self.repo.get(teaser_id)
        return teaser if teaser is not None and teaser.status == "posted" and teaser.prompt else None

    async def wait_idle(self) -> None:
        """Return once no run is in progress (used on shutdown)."""
        async with self._lock:
            return

    # --- one run --------------------------------------------------------------------------------------------

    async def _run(self, teaser: Teaser, *, house_index: int) -> TeaserResult:
        since = teaser.updated_at  # the claim's version: every write of this run checks it is still ours
        try:
            async with asyncio.timeout(self.config.prepare_timeout_s):
                source = await self._choose(teaser, since, house_index)
                post = await self._render(teaser, source)
            result = await self._send(teaser, post, since)
        except _ClaimLost:
            log.warning("teaser #%s was taken over by another run while this one was slow; not posting", teaser.id)
            return TeaserResult("taken", await self.repo.get(teaser.id))
        except asyncio.CancelledError:
            if (current := await self.repo.get(teaser.id)) is not None and current.status == "preparing":
                interrupted = self.repo.mark_unsent(
                    teaser.id, "interrupted", self._clock(), since=current.updated_at, final=True
                )
                await asyncio.shield(interrupted)
            raise
        except Exception as exc:  # an engine outage, unreadable audio, a timeout: nothing was sent
            log.error("teaser #%s could not be prepared: %s: %s", teaser.id, type(exc).__name__, exc)
            error = f"{type(exc).__name__}: {exc}"
            await self.repo.mark_unsent(teaser.id, error, self._clock(), since=since, final=True)
            return TeaserResult("failed", await self.repo.get(teaser.id), str(exc))
        if result.outcome == "posted" and source.job is not None and result.teaser is not None:
            try:
                note = await self._words.featured(source.job, result.teaser)
                await self._outbox.send_text(source.job.chat_id, note, html=True)
            except Exception:
                log.warning("could not tell the owner of job %s about teaser #%s", source.job.id, teaser.id)
        return result

    async def _choose(self, teaser: Teaser, since: datetime, house_index: int) -> _Source:
        """The newest shared track that is still on disk and not featured, else a fresh house track."""
        for job in await self.repo.shared_candidates():
            track = await self._job_track(job)
            if track is None:
                continue
            outcome = await self.repo.set_source(
                teaser.id, since=since, job_id=job.id, prompt=job.prompt, engine=job.engine, model=job.model,
                seed=job.seed,
            )  # fmt: skip
            if outcome == "claim_lost":
                raise _ClaimLost
            if outcome == "set":
                return _Source(job, job.prompt, track, job.params.get("mood"))
        if self._engine is None:
            raise NoHouseTrack(
                "no shared track to post, and house tracks are rendered by the workers (WORKERS_IN_BOT=false), "
                "which post the daily teaser"
            )
        prompt = self.house_prompt(house_index)
        duration = min(self.config.house_seconds, self._engine.capabilities().max_duration)
        track = await self._engine.generate(GenerationRequest(prompt=prompt, duration=duration))
        outcome = await self.repo.set_source(
            teaser.id, since=since, job_id=None, prompt=prompt, engine=track.engine, model=track.model, seed=track.seed
        )
        if outcome != "set":
            raise _ClaimLost
        return _Source(None, prompt, track)

    async def _job_track(self, job: Job) -> GeneratedTrack | None:
        """A shared job's audio (the lossless WAV when it is still there, else the MP3), or None when gone."""
        if job.audio_path is None:
            return None
        store = self._audio_store or LocalAudioStore(Path(job.audio_path).parent)
        mp3 = key_of(job.audio_path)
        for key in (with_suffix(mp3, ".wav"), mp3):
            try:
                samples, rate = await decode_audio_async(await store.read(key))
            except (AudioMissing, OSError, ValueError):
                continue
            licence = License(job.license_id or "unknown", job.license_id or "unknown", "", job.commercial is not False)
            return GeneratedTrack(samples, rate, job.engine, job.model or "?", job.seed or 0, licence)
        log.info("shared job %s has no audio on disk any more; skipped for the teaser", job.id)
        return None

    async def _render(self, teaser: Teaser, source: _Source) -> AudioPost:
        """The teaser cut (most energetic part, faded), as a tagged MP3 with a cover, caption and link."""
        cfg, track = self.config, source.track
        cut = await asyncio.to_thread(
            teaser_cut, track.samples, track.sample_rate, cfg.teaser_seconds, cfg.fade_seconds
        )
        clip = replace(track, samples=cut, stems=None)
        title, performer = title_for(source.prompt), performer_for(track.engine)
        mp3, cover = await asyncio.gather(
            encode_mp3_async(clip, title=title, artist=performer),
            cover_jpeg_async(cut, track.sample_rate, mood=source.mood),
        )
        licence = None if track.commercial_use else track.license.id
        return AudioPost(
            audio=mp3,
            filename=f"cloudmusic-teaser-{teaser.id}.mp3",
            title=title,
            performer=performer,
            duration=max(1, round(clip.duration)),
            caption_html=self._words.caption(source.prompt, track.engine, licence),
            cover=cover,
            links=(LinkButton(self._words.link_text(), self._words.deep_link(teaser.id)),),
        )

    async def _send(self, teaser: Teaser, post: AudioPost, since: datetime) -> TeaserResult:
        """Post with bounded, backed-off retries; the row says ``sending`` exactly while a request may be out."""
        cfg, channel = self.config, teaser.channel
        for attempt in range(1, cfg.max_attempts + 1):
            now = self._clock()
            if not await self.repo.begin_send(teaser.id, now, since=since):
                raise _ClaimLost
            since = now
            try:
                receipt = await self._outbox.publish(channel, post)
            except SendRetryable as exc:
                wait = max(exc.retry_after or 0.0, min(cfg.max_backoff_s, cfg.backoff_s * 2 ** (attempt - 1)))
                final = attempt == cfg.max_attempts or wait > cfg.max_backoff_s
                now = self._clock()
                await self.repo.mark_unsent(teaser.id, str(exc), now, since=since, final=final)
                since = now
                if final:
                    log.error("teaser #%s not posted to %s after %s attempt(s): %s", teaser.id, channel, attempt, exc)
                    return TeaserResult("failed", await self.repo.get(teaser.id), str(exc))
                log.warning("teaser #%s refused by %s (%s); retry %s in %.1f s", teaser.id, channel, exc, attempt, wait)
                await self._sleep(wait)
            except SendRejected as exc:
                await self.repo.mark_unsent(teaser.id, str(exc), self._clock(), since=since, final=True)
                log.error("teaser #%s rejected by %s: %s", teaser.id, channel, exc)
                return TeaserResult("failed", await self.repo.get(teaser.id), str(exc))
            except Exception as exc:  # SendUncertain, or an outbox breaking its contract
                log.error(
                    "teaser #%s may or may not be in %s (%s: %s); left 'sending' and not retried, so it is never "
                    "posted twice",
                    teaser.id,
                    channel,
                    type(exc).__name__,
                    exc,
                )
                return TeaserResult("uncertain", await self.repo.get(teaser.id), str(exc))
            else:
                return await self._posted(teaser, receipt)
        raise AssertionError("unreachable: the last attempt always returns")  # pragma: no cover

    async def _posted(self, teaser: Teaser, receipt: PostReceipt) -> TeaserResult:
        # Shielded: the post is out, so its message id must be recorded even if we are being cancelled.
        await asyncio.shield(self.repo.mark_posted(teaser.id, receipt.message_id, self._clock()))
        posted = await self.repo.get(teaser.id)
        log.info(
            "teaser #%s posted to %s as message %s (%s)",
            teaser.id,
            teaser.channel,
            receipt.message_id,
            "house track" if posted is None or posted.house else f"shared job {posted.job_id}",
        )
        return TeaserResult("posted", posted)

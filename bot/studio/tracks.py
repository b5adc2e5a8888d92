"""The track operations of the API: compose, status, library, audio, cover, stems and share.

Composing goes through the same :class:`compose.studio.Studio` as the chat: the same intake rules, free quota,
credits and queue; the finished track is sent to the person's chat as well.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from billing import Decision
from bot.services import Services
from bot.studio.auth import Caller
from bot.studio.errors import ApiError, bytes_answer, file_answer, invalid, read_body
from bot.studio.models import Library, Preparing, Queued, Shared, Track, TrackRequest
from bot.studio.offers import EngineRoutes
from compose.intake import IntakeError
from compose.studio import Gone, StemsPreparing, StudioError
from storage import Job
from storage.audio import LocalAudioStore, key_of, with_suffix
from storage.errors import AudioMissing

BASE = "/api/v1"
PAGE_MAX = 50
STEMS_RETRY_S = 5  # a worker re-renders a track's stems in seconds (a 30 s synth track: about two)


def not_found(key: str = "api.not_found") -> ApiError:
    """404 ``not_found`` (someone else's track is not found either: ids are not an oracle)."""
    return ApiError(404, "not_found", key)


class TrackRoutes:
    """Handlers of ``/tracks`` and ``/tracks/{id}/…``."""

    def __init__(self, services: Services, offers: EngineRoutes) -> None:
        self.services, self._offers = services, offers

    async def compose(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """Queue the track the body asks for: 202 with its id, else why not (422, 402, 409, 403)."""
        wanted = await read_body(request, TrackRequest)
        engine = await self._offers.engine_for(caller, wanted.engine)
        try:
            submission = await self.services.studio.compose(caller.who, as_text(wanted), engine=engine)
        except IntakeError as exc:
            raise invalid(self.services.texts.get(caller.language, exc.key, **exc.values)) from None
        admission = submission.admission
        decision = admission.decision
        if submission.job is None:
            if decision is Decision.BLOCK_QUOTA:
                raise ApiError(402, "quota", "api.quota", quota=admission.balance.free_quota)
            if decision is Decision.BLOCK_PAID_ONLY:  # a model costing more than 1: bought credits only, as in chat
                raise ApiError(402, "paid_only", "quota.paid_only", cost=admission.cost, paid=admission.balance.paid)
            if decision is Decision.BLOCK_BUSY:
                raise ApiError(409, "busy", "api.busy")
            raise ApiError(403, "banned", "error.banned")
        queued = Queued(id=submission.job.id, status=submission.job.status, position=submission.position)
        return web.json_response(queued.model_dump(), status=202)

    async def track(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """The track's status and metadata."""
        job = await self._owned(request, caller)
        return web.json_response(track_model(job).model_dump(mode="json"))

    async def library(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """A page of the caller's delivered tracks, optionally only those matching ``q``."""
        query = request.query
        try:
            limit = int(query.get("limit", "20"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            raise invalid("limit and offset must be whole numbers") from None
        if not 1 <= limit <= PAGE_MAX or offset < 0:
            raise invalid(f"limit must be 1-{PAGE_MAX} and offset ≥ 0")
        text = query.get("q", "").strip()[:100]
        jobs = self.services.studio.jobs
        tid = caller.who.telegram_id
        if text:
            found, total = await jobs.search_for_user(tid, text, limit=limit, offset=offset)
        else:
            found = await jobs.for_user(tid, limit=limit, offset=offset, delivered_only=True)
            total = await jobs.count_for_user(tid, delivered_only=True)
        library = Library(tracks=[track_model(job) for job in found], total=total)
        return web.json_response(library.model_dump(mode="json"))

    async def audio(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """The MP3 (or the WAV with ``format=wav``) as a download."""
        kind = request.query.get("format", "mp3")
        if kind not in ("mp3", "wav"):
            raise invalid("format must be mp3 or wav")
        job = await self._delivered(request, caller)
        try:
            outgoing = await self.services.studio.audio_file(job)
        except Gone:
            raise not_found() from None
        assert outgoing.key is not None
        key, name = outgoing.key, outgoing.name
        if kind == "wav":
            key, name = with_suffix(key, ".wav"), str(Path(name).with_suffix(".wav"))
        return await self._stored(key, "audio/wav" if kind == "wav" else "audio/mpeg", name)

    async def cover(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """The cover picture."""
        job = await self._delivered(request, caller)
        if job.audio_path is None:
            raise not_found("api.not_ready")
        return await self._stored(with_suffix(key_of(job.audio_path), ".jpg"), "image/jpeg")

    async def stems(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """Part ``part`` of the stems ZIP, made on first request (202 while a worker elsewhere makes it)."""
        raw = request.query.get("part", "1")
        if not raw.isdigit() or not 1 <= int(raw) <= 99:
            raise invalid("part must be a whole number from 1")
        job = await self._owned(request, caller)
        try:
            parts = await self.services.studio.stems_archive(caller.who, job.id)
        except StemsPreparing:
            preparing = Preparing(message=self.services.texts.get(caller.language, "api.stems_preparing"))
            return web.json_response(preparing.model_dump(), status=202, headers={"Retry-After": str(STEMS_RETRY_S)})
        except StudioError as exc:
            raise not_found(exc.key if isinstance(exc, Gone) else "api.not_found") from None
        if int(raw) > len(parts):
            raise not_found()
        name = f"{Path(job.title or job.prompt).name[:60] or 'track'} stems" + (f" {raw}" if len(parts) > 1 else "")
        return await self._stored(parts[int(raw) - 1], "application/zip", name + ".zip")

    async def share(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """Record the owner's consent to feature the track in the channel."""
        job = await self._owned(request, caller)
        try:
            new = await self.services.studio.share(caller.who, job.id)
        except StudioError:
            raise not_found("api.not_ready") from None
        return web.json_response(Shared(shared=True, already=not new).model_dump())

    async def _owned(self, request: web.Request, caller: Caller) -> Job:
        raw = request.match_info["id"]
        if not raw.isdigit() or len(raw) > 18:
            raise not_found()
        try:
            return await self.services.studio.owned(caller.who, int(raw))
        except StudioError:
            raise not_found() from None

    async def _delivered(self, request: web.Request, caller: Caller) -> Job:
        job = await self._owned(request, caller)
        if job.status != "delivered":
            raise not_found("api.not_ready")
        return job

    async def _stored(self, key: str, content_type: str, download_name: str | None = None) -> web.StreamResponse:
        """A file from the audio store: served from disk for the local store (with HTTP ranges, so a player can
        seek), else read from the bucket; 404 when it is not there."""
        store = self.services.studio.audio
        try:
            if isinstance(store, LocalAudioStore):
                if not await store.exists(key):
                    raise not_found()
                return file_answer(store.path(key), content_type, download_name)
            return bytes_answer(await store.read(key), content_type, download_name)
        except AudioMissing:
            raise not_found() from None


def track_model(job: Job) -> Track:
    """The API's view of a job."""
    return Track(
        id=job.id,
        status=job.status,
        prompt=job.prompt,
        created_at=job.created_at,
        title=job.title,
        duration=job.duration,
        bpm=job.bpm,
        key=job.music_key,
        seed=job.seed,
        audio_url=f"{BASE}/tracks/{job.id}/audio" if job.status == "delivered" else None,
        engine=str(job.params["model"]).rsplit("/", 1)[-1] if job.params.get("model") else job.engine,
    )


def as_text(wanted: TrackRequest) -> str:
    """The request as the chat's intake reads it, so the same rules (and messages) apply."""
    parts = [wanted.prompt]
    if wanted.bpm is not None:
        parts.append(f"bpm={wanted.bpm:g}")
    if wanted.key is not None:
        parts.append(f'key="{wanted.key}"')
    if wanted.seed is not None:
        parts.append(f"seed={wanted.seed}")
    if wanted.duration is not None:
        parts.append(f"duration={wanted.duration:g}")
    if wanted.loop:
        parts.append("loop=yes")
    return " ".join(parts)

"""The public HTTP API under ``/api/v1``: the studio page uses it, and so do third parties with a key.

A caller proves who it is with ``Authorization: tma <initData>`` (a Mini App user, checked as Telegram specifies)
or ``Authorization: Bearer <api key>`` (issued by an admin with ``/apikey``). Composing goes through the same
:class:`scheduler.studio.Studio` as the chat: the same intake rules, free quota, credits and queue, and the finished
track is sent to the person's chat as well. Every request body and answer is a pydantic model from
:mod:`bot.studio.models`; the OpenAPI document at ``/api/v1/openapi.json`` is generated from the same table.

Answers: 401 (nothing else) without valid credentials; 422 with a readable message on bad input; 429 with
``Retry-After`` over a per-IP or per-caller limit; 402 when the free quota and credits are spent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from telegram import Bot
from telegram.error import TelegramError

from billing import Decision, PaymentError, StripeCheckoutError
from bot.services import Services
from bot.studio.initdata import InvalidInitData, validate_init_data
from bot.studio.keys import key_hash
from bot.studio.limits import RateLimiter
from bot.studio.models import (
    InvoiceLink,
    InvoiceRequest,
    Library,
    LinkRequest,
    LinkResult,
    Me,
    Pack,
    Packs,
    Problem,
    Queued,
    Shared,
    Track,
    TrackRequest,
)
from bot.studio.openapi import openapi_document
from bot.studio.telegram import stars_invoice_link
from bot.studio.web import COOKIE, COOKIE_MAX_AGE, Visitor, WebVisitors, normalize_code, sha256
from scheduler.intake import IntakeError
from scheduler.studio import Gone, Requester, StudioError
from storage import Job
from storage.apikeys import ApiKeyRepository
from storage.web_sessions import Linked, WebSessionRepository

log = logging.getLogger(__name__)

BASE = "/api/v1"
MAX_BODY = 16 * 1024
PAGE_MAX = 50
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: who they are to the studio, and the key their request limit is counted under."""

    who: Requester
    first_name: str
    language: str
    limit_key: str
    kind: Literal["telegram", "key", "web"] = "telegram"
    visitor: Visitor | None = None  # web callers: their session (cookie)
    new_cookie: str | None = None  # a session started by this request


Handler = Callable[[web.Request, Caller], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation: the route, its models (for validation and for the OpenAPI document) and its handler."""

    method: str
    path: str
    summary: str
    handler: Handler
    answer: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: tuple[tuple[str, str, str], ...] = ()  # (name, JSON type, description)
    media: str = "application/json"


class ApiError(Exception):
    """An answer other than success: HTTP status, stable code, and the text key (with values) of its message."""

    def __init__(self, status: int, code: str, key: str, /, **values: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.key, self.values = status, code, key, values


class StudioApi:
    """Routes of ``/api/v1``, mounted on the bot's HTTP server."""

    def __init__(self, services: Services, *, bot_token: str, bot: Bot) -> None:
        self.services, self._token, self._bot = services, bot_token, bot
        settings = services.settings
        self._max_age = timedelta(seconds=settings.webapp_auth_max_age)
        minute = timedelta(minutes=1)
        self._per_ip = RateLimiter(settings.api_ip_rate_limit, window=minute, clock=services.clock)
        self._per_caller = RateLimiter(settings.api_rate_limit, window=minute, clock=services.clock)
        self._keys = ApiKeyRepository(services.db)
        self._trusted = settings.trusted_proxies
        self._web = (
            WebVisitors(WebSessionRepository(services.db), services.fingerprint_secret) if settings.web_studio else None
        )
        self._secure_cookie = (settings.public_base_url or "").startswith("https://")
        self.endpoints = (
            Endpoint("GET", "/me", "Who you are, your balance and free tracks left today", self._me, Me),
            Endpoint("POST", "/tracks", "Compose a track (spends a free track or a credit)", self._compose, Queued,
                     status=202, body=TrackRequest),
            Endpoint("GET", "/tracks", "Your library: delivered tracks, newest first", self._library, Library,
                     query=(("q", "string", "Only tracks whose prompt or title contains this"),
                            ("limit", "integer", f"At most this many (1-{PAGE_MAX}, default 20)"),
                            ("offset", "integer", "Skip this many"))),
            Endpoint("GET", "/tracks/{id}", "A track's status, and its metadata once delivered", self._track, Track),
            Endpoint("GET", "/tracks/{id}/audio", "The track's audio (MP3, or WAV with format=wav)", self._audio, None,
                     query=(("format", "string", "mp3 (default) or wav"),), media="audio/mpeg"),
            Endpoint("GET", "/tracks/{id}/cover", "The track's cover picture (JPEG)", self._cover, None,
                     media="image/jpeg"),
            Endpoint("GET", "/tracks/{id}/stems", "The track's stems: a ZIP of FLACs (part=N when split)", self._stems,
                     None, query=(("part", "integer", "Which part, from 1 (default 1)"),), media="application/zip"),
            Endpoint("POST", "/tracks/{id}/share", "Let the track be featured in the bot's channel", self._share,
                     Shared),
            Endpoint("POST", "/checkout", "A Stripe Checkout page for a pack (web visitors)", self._checkout,
                     InvoiceLink, status=201, body=InvoiceRequest),
            Endpoint("POST", "/link", "Join this web session to a Telegram account with a /link code", self._link,
                     LinkResult, body=LinkRequest),
            Endpoint("GET", "/packs", "The credit packs on sale", self._packs, Packs),
            Endpoint("POST", "/invoices", "A Telegram Stars invoice link for a pack (Mini App users)", self._invoice,
                     InvoiceLink, status=201, body=InvoiceRequest),
        )  # fmt: skip

    def mount(self, app: web.Application) -> None:
        """Add the routes (and the OpenAPI document) to ``app``."""
        app.router.add_get(f"{BASE}/openapi.json", self._openapi)
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, BASE + endpoint.path, self._wrap(endpoint))

    # --- plumbing ----------------------------------------------------------------------------------------

    def client_ip(self, request: web.Request) -> str:
        """The client's address: the last hop not in TRUSTED_PROXIES when the peer is one, else the peer."""
        peer = request.remote or ""
        if peer not in self._trusted:
            return peer
        hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if h.strip()]
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return peer
            if hop not in self._trusted:
                return hop
        return peer

    def _problem(self, error: ApiError, language: str | None) -> web.Response:
        text = self.services.texts.get(language, error.key, **error.values)
        answer = web.json_response(Problem(error=error.code, message=text).model_dump(), status=error.status)
        if "retry_after" in error.values:
            answer.headers["Retry-After"] = str(error.values["retry_after"])
        return answer

    def _wrap(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            language: str | None = None
            try:
                wait = self._per_ip.hit("ip:" + self.client_ip(request))
                if wait:
                    raise ApiError(429, "rate_limited", "api.rate_limited", retry_after=int(wait + 0.999))
                caller = await self._authenticate(request, may_start=endpoint.path == "/me")
                language = caller.language
                wait = self._per_caller.hit(caller.limit_key)
                if wait:
                    raise ApiError(429, "rate_limited", "api.rate_limited", retry_after=int(wait + 0.999))
                if caller.kind == "web" and endpoint.method != "GET":
                    self._check_csrf(request, caller)
                answer = await endpoint.handler(request, caller)
                if caller.new_cookie is not None:
                    answer.set_cookie(
                        COOKIE, caller.new_cookie, max_age=COOKIE_MAX_AGE, path="/", httponly=True,
                        samesite="Lax", secure=self._secure_cookie,
                    )  # fmt: skip
            except ApiError as exc:
                answer = self._problem(exc, language)
            answer.headers.setdefault("Cache-Control", "no-store")
            answer.headers.setdefault("X-Content-Type-Options", "nosniff")
            return answer

        return handle

    def _check_csrf(self, request: web.Request, caller: Caller) -> None:
        """A cookie-borne call that changes state must carry the session's CSRF token and, when the browser says
        where it comes from, come from this site."""
        assert self._web is not None and caller.visitor is not None
        origin = request.headers.get("Origin")
        own = f"{request.scheme}://{request.host}"
        public = (self.services.settings.public_base_url or "").rstrip("/")
        if origin is not None and origin not in (own, public):
            raise ApiError(403, "csrf", "api.csrf")
        if not self._web.csrf_ok(caller.visitor, request.headers.get("X-CSRF-Token", "")):
            raise ApiError(403, "csrf", "api.csrf")

    async def _visitor(self, request: web.Request, *, may_start: bool) -> Caller:
        """The anonymous web visitor behind the session cookie (a new session when ``may_start``)."""
        assert self._web is not None
        services, cookie = self.services, None
        visitor = await self._web.from_cookie(request.cookies.get(COOKIE))
        if visitor is None:
            if not may_start:
                raise ApiError(401, "unauthorized", "api.unauthorized")
            visitor, cookie = await self._web.start(services.clock())
        linked = visitor.session.linked_to
        if linked is not None:  # joined to a Telegram account with /link: it is that person now
            user = await services.users.get(linked)
            fingerprint = user.fingerprint if user else services.fingerprint(linked)
            who = Requester(linked, linked, fingerprint, bool(user and user.banned))
            name, language = (user.first_name, user.language) if user else ("", "en")
        else:
            pseudo = -visitor.session.id
            quota = self._web.quota_fingerprint(self.client_ip(request), request.headers.get("User-Agent", ""))
            who = Requester(pseudo, pseudo, self._web.session_fingerprint(pseudo), False, quota_fingerprint=quota)
            name, language = "", "en"
        key = f"web:{visitor.session.id}"
        return Caller(who, name, language, key, kind="web", visitor=visitor, new_cookie=cookie)

    async def _authenticate(self, request: web.Request, *, may_start: bool = False) -> Caller:
        scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
        credential = credential.strip()
        services = self.services
        if scheme.lower() == "tma" and credential:
            try:
                person = validate_init_data(credential, self._token, now=services.clock(), max_age=self._max_age)
            except InvalidInitData as exc:
                log.info("refused a Mini App request: %s", exc)
                raise ApiError(401, "unauthorized", "api.unauthorized") from None
            user = await services.users.get(person.id)  # the page polls: record a visit only for someone new
            if user is None:
                user, _ = await services.users.seen(
                    telegram_id=person.id,
                    fingerprint=services.fingerprint(person.id),
                    first_name=person.first_name,
                    username=person.username,
                    language=services.texts.language_for(person.language_code),
                    now=services.clock(),
                )
            who = Requester(user.telegram_id, user.telegram_id, user.fingerprint, user.banned)
            return Caller(who, user.first_name, user.language, f"user:{user.telegram_id}")
        if scheme.lower() == "bearer" and credential:
            key = await self._keys.active(key_hash(credential))
            if key is None:
                raise ApiError(401, "unauthorized", "api.unauthorized")
            owner = await services.users.get(key.owner_id)
            if owner is None:  # a key for someone the bot has not met yet: their account starts now
                owner, _ = await services.users.seen(
                    telegram_id=key.owner_id, fingerprint=services.fingerprint(key.owner_id), first_name="",
                    username=None, language="en", now=services.clock(),
                )  # fmt: skip
            fingerprint = owner.fingerprint if owner else services.fingerprint(key.owner_id)
            who = Requester(key.owner_id, key.owner_id, fingerprint, owner.banned if owner else False)
            name = owner.first_name if owner else ""
            return Caller(who, name, owner.language if owner else "en", f"key:{key.id}", kind="key")
        if not scheme and self._web is not None:
            return await self._visitor(request, may_start=may_start)
        raise ApiError(401, "unauthorized", "api.unauthorized")

    # --- operations --------------------------------------------------------------------------------------

    async def _me(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        balance = await self.services.studio.balance(caller.who)
        me = Me(
            user_id=caller.who.telegram_id,
            first_name=caller.first_name,
            free_left=balance.free_left,
            free_quota=balance.free_quota,
            paid_credits=balance.paid,
            resets_at=balance.resets_at,
            kind=caller.kind,
            linked=caller.kind == "web" and caller.who.telegram_id > 0,
            csrf_token=self._web.csrf_token(caller.visitor) if self._web and caller.visitor else None,
            card_payments=self.services.payments.stripe is not None,
        )
        return web.json_response(me.model_dump(mode="json"))

    async def _compose(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        wanted = await _body(request, TrackRequest)
        try:
            submission = await self.services.studio.compose(caller.who, _as_text(wanted))
        except IntakeError as exc:
            details = self.services.texts.get(caller.language, exc.key, **exc.values)
            raise ApiError(422, "invalid", "api.invalid", details=details) from None
        decision = submission.admission.decision
        if submission.job is None:
            if decision is Decision.BLOCK_QUOTA:
                raise ApiError(402, "quota", "api.quota", quota=submission.admission.balance.free_quota)
            if decision is Decision.BLOCK_BUSY:
                raise ApiError(409, "busy", "api.busy")
            raise ApiError(403, "banned", "error.banned")
        queued = Queued(id=submission.job.id, status=submission.job.status, position=submission.position)
        return web.json_response(queued.model_dump(), status=202)

    async def _owned(self, request: web.Request, caller: Caller) -> Job:
        raw = request.match_info["id"]
        if not raw.isdigit() or len(raw) > 18:
            raise ApiError(404, "not_found", "api.not_found")
        try:
            return await self.services.studio.owned(caller.who, int(raw))
        except StudioError:  # someone else's track is "not found" too: ids are not an oracle
            raise ApiError(404, "not_found", "api.not_found") from None

    def _track_model(self, request: web.Request, job: Job) -> Track:
        audio = f"{BASE}/tracks/{job.id}/audio" if job.status == "delivered" else None
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
            audio_url=audio,
        )

    async def _track(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        job = await self._owned(request, caller)
        return web.json_response(self._track_model(request, job).model_dump(mode="json"))

    async def _library(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        query = request.query
        try:
            limit = int(query.get("limit", "20"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            raise ApiError(422, "invalid", "api.invalid", details="limit and offset must be whole numbers") from None
        if not 1 <= limit <= PAGE_MAX or offset < 0:
            raise ApiError(422, "invalid", "api.invalid", details=f"limit must be 1-{PAGE_MAX} and offset ≥ 0")
        text = query.get("q", "").strip()[:100]
        jobs = self.services.studio.jobs
        tid = caller.who.telegram_id
        if text:
            found, total = await jobs.search_for_user(tid, text, limit=limit, offset=offset)
        else:
            found = await jobs.for_user(tid, limit=limit, offset=offset, delivered_only=True)
            total = await jobs.count_for_user(tid, delivered_only=True)
        library = Library(tracks=[self._track_model(request, job) for job in found], total=total)
        return web.json_response(library.model_dump(mode="json"))

    async def _audio(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        kind = request.query.get("format", "mp3")
        if kind not in ("mp3", "wav"):
            raise ApiError(422, "invalid", "api.invalid", details="format must be mp3 or wav")
        job = await self._owned(request, caller)
        if job.status != "delivered":
            raise ApiError(404, "not_found", "api.not_ready")
        try:
            outgoing = await self.services.studio.audio_file(job)
        except Gone:
            raise ApiError(404, "not_found", "api.not_found") from None
        assert outgoing.path is not None
        path, name = outgoing.path, outgoing.name
        if kind == "wav":
            path, name = path.with_suffix(".wav"), str(Path(name).with_suffix(".wav"))
        if not await asyncio.to_thread(path.is_file):
            raise ApiError(404, "not_found", "api.not_found")
        answer = web.FileResponse(path)
        answer.content_type = "audio/wav" if kind == "wav" else "audio/mpeg"
        answer.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
        return answer

    async def _cover(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        job = await self._owned(request, caller)
        if job.status != "delivered" or job.audio_path is None:
            raise ApiError(404, "not_found", "api.not_ready")
        path = Path(job.audio_path).with_suffix(".jpg")
        if not await asyncio.to_thread(path.is_file):
            raise ApiError(404, "not_found", "api.not_found")
        return web.FileResponse(path, headers={"Content-Type": "image/jpeg"})

    async def _stems(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        raw = request.query.get("part", "1")
        if not raw.isdigit() or not 1 <= int(raw) <= 99:
            raise ApiError(422, "invalid", "api.invalid", details="part must be a whole number from 1")
        job = await self._owned(request, caller)
        try:
            parts = await self.services.studio.stems_archive(caller.who, job.id)
        except StudioError as exc:
            raise ApiError(404, "not_found", exc.key if isinstance(exc, Gone) else "api.not_found") from None
        if int(raw) > len(parts):
            raise ApiError(404, "not_found", "api.not_found")
        path = parts[int(raw) - 1]
        name = f"{Path(job.title or job.prompt).name[:60] or 'track'} stems" + (f" {raw}" if len(parts) > 1 else "")
        answer = web.FileResponse(path, headers={"Content-Type": "application/zip"})
        answer.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name + '.zip')}"
        return answer

    async def _share(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        job = await self._owned(request, caller)
        try:
            new = await self.services.studio.share(caller.who, job.id)
        except StudioError:
            raise ApiError(404, "not_found", "api.not_ready") from None
        return web.json_response(Shared(shared=True, already=not new).model_dump())

    async def _packs(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        packs = [Pack(id=p.id, credits=p.credits, stars=p.stars, usd=p.usd) for p in self.services.payments.packs]
        return web.json_response(Packs(packs=packs).model_dump())

    async def _checkout(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        wanted = await _body(request, InvoiceRequest)
        payments = self.services.payments
        if caller.kind != "web" or caller.who.telegram_id > 0:
            raise ApiError(409, "telegram_user", "api.checkout_web_only")
        if payments.stripe is None:
            raise ApiError(409, "unavailable", "buy.card_unavailable")
        try:  # the credits go to the session's ledger key; the webhook credits them (billing.Payments)
            session = await payments.stripe_session(
                wanted.pack, caller.who.telegram_id, caller.who.fingerprint, request.headers.get("X-Request-Id", "")
                or sha256(f"{caller.limit_key}:{self.services.clock().isoformat()}")[:16],
            )  # fmt: skip
        except PaymentError as exc:
            raise ApiError(422, "invalid", "api.invalid", details=self.services.texts.get(None, exc.key)) from None
        except StripeCheckoutError:
            raise ApiError(502, "unavailable", "buy.card_unavailable") from None
        return web.json_response(InvoiceLink(url=session.url).model_dump(), status=201)

    async def _link(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        wanted = await _body(request, LinkRequest)
        if caller.kind != "web" or caller.visitor is None or caller.visitor.session.linked_to is not None:
            raise ApiError(409, "already_linked", "api.link_not_needed")
        linked = await self._web_repo_link(normalize_code(wanted.code), caller)
        if linked is None:
            raise ApiError(422, "invalid", "api.link_bad_code")
        log.info("web session %s joined Telegram user %s (%s credits moved)", caller.visitor.session.id,
                 linked.telegram_id, linked.moved)  # fmt: skip
        return web.json_response(LinkResult(telegram_id=linked.telegram_id, moved=linked.moved).model_dump())

    async def _web_repo_link(self, code: str, caller: Caller) -> Linked | None:
        assert self._web is not None and caller.visitor is not None
        session = caller.visitor.session
        return await self._web.repo.link(sha256(code), session.id, caller.who.fingerprint, self.services.clock())

    async def _invoice(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        wanted = await _body(request, InvoiceRequest)
        if caller.who.telegram_id < 0:
            raise ApiError(409, "web_visitor", "api.stars_only")
        if caller.who.banned:
            raise ApiError(403, "banned", "error.banned")
        try:
            url = await stars_invoice_link(
                self._bot, self.services.payments, self.services.texts,
                pack_id=wanted.pack, telegram_id=caller.who.telegram_id, language=caller.language,
            )  # fmt: skip
        except PaymentError as exc:
            raise ApiError(
                422, "invalid", "api.invalid", details=self.services.texts.get(caller.language, exc.key)
            ) from None
        except TelegramError as exc:
            log.warning("createInvoiceLink failed: %s", exc)
            raise ApiError(502, "unavailable", "api.unavailable") from None
        return web.json_response(InvoiceLink(url=url).model_dump(), status=201)

    # --- the OpenAPI document ----------------------------------------------------------------------------

    async def _openapi(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.openapi())

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of these routes, generated from their models."""
        return openapi_document(self.endpoints, base=BASE, problem=Problem, cookie=COOKIE)


async def _body(request: web.Request, model: type[M]) -> M:
    """The JSON body as ``model``: 413 when too big, 422 (saying what is wrong) when it does not fit."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, "too_large", "api.too_large", limit=MAX_BODY)
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise ApiError(413, "too_large", "api.too_large", limit=MAX_BODY)
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise ApiError(422, "invalid", "api.invalid", details=_describe(exc)) from None


def _as_text(wanted: TrackRequest) -> str:
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


def _describe(error: ValidationError) -> str:
    """Pydantic's complaints as one readable line: ``bpm: Input should be less than or equal to 220``."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")

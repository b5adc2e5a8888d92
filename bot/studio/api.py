"""The public HTTP API under ``/api/v1``: the studio page uses it, and so do third parties with a key.

This module holds the endpoint table and the plumbing every request goes through (per-IP and per-caller limits,
authentication, CSRF for cookie-borne state changes, the problem answer); the operations live in
:mod:`bot.studio.tracks` and :mod:`bot.studio.account`, the credentials in :mod:`bot.studio.auth`. Every request
body and answer is a pydantic model from :mod:`bot.studio.models`; the OpenAPI document at
``/api/v1/openapi.json`` is generated from the same table.

Answers: 401 (nothing else) without valid credentials; 422 with a readable message on bad input; 429 with
``Retry-After`` over a per-IP or per-caller limit; 402 when the free quota and credits are spent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from telegram import Bot

from bot.services import Services
from bot.studio.account import AccountRoutes
from bot.studio.auth import Authenticator, Caller
from bot.studio.errors import ApiError, rate_limited
from bot.studio.limits import RateLimiter
from bot.studio.models import (
    Engines,
    InvoiceLink,
    InvoiceRequest,
    Library,
    LinkRequest,
    LinkResult,
    Me,
    Packs,
    Problem,
    Queued,
    Shared,
    Track,
    TrackRequest,
)
from bot.studio.offers import EngineRoutes
from bot.studio.openapi import openapi_document
from bot.studio.tracks import BASE, PAGE_MAX, TrackRoutes
from bot.studio.web import COOKIE, COOKIE_MAX_AGE

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


class StudioApi:
    """Routes of ``/api/v1``, mounted on the bot's HTTP server."""

    def __init__(self, services: Services, *, bot_token: str, bot: Bot) -> None:
        self.services = services
        web_page, minute = services.web, timedelta(minutes=1)
        self._per_ip = RateLimiter(web_page.ip_rate_limit, window=minute, clock=services.clock)
        self._per_caller = RateLimiter(web_page.rate_limit, window=minute, clock=services.clock)
        web_visitors = services.web_visitors if web_page.web_studio else None
        self.auth = Authenticator(services, bot_token=bot_token, web_visitors=web_visitors)
        self._secure_cookie = web_page.secure_cookies
        offers = EngineRoutes(services)
        tracks, account = TrackRoutes(services, offers), AccountRoutes(services, bot=bot, web_visitors=web_visitors)
        self.endpoints = (
            Endpoint("GET", "/me", "Who you are, your balance and free tracks left today", account.me, Me),
            Endpoint("POST", "/tracks", "Compose a track (spends a free track or a credit)", tracks.compose, Queued,
                     status=202, body=TrackRequest),
            Endpoint("GET", "/tracks", "Your library: delivered tracks, newest first", tracks.library, Library,
                     query=(("q", "string", "Only tracks whose prompt or title contains this"),
                            ("limit", "integer", f"At most this many (1-{PAGE_MAX}, default 20)"),
                            ("offset", "integer", "Skip this many"))),
            Endpoint("GET", "/tracks/{id}", "A track's status, and its metadata once delivered", tracks.track, Track),
            Endpoint("GET", "/tracks/{id}/audio", "The track's audio (MP3, or WAV with format=wav)", tracks.audio,
                     None, query=(("format", "string", "mp3 (default) or wav"),), media="audio/mpeg"),
            Endpoint("GET", "/tracks/{id}/cover", "The track's cover picture (JPEG)", tracks.cover, None,
                     media="image/jpeg"),
            Endpoint("GET", "/tracks/{id}/stems", "The track's stems: a ZIP of FLACs (part=N when split); 202 while "
                     "a worker makes them (ask again after Retry-After)",
                     tracks.stems, None, query=(("part", "integer", "Which part, from 1 (default 1)"),),
                     media="application/zip"),
            Endpoint("POST", "/tracks/{id}/share", "Let the track be featured in the bot's channel", tracks.share,
                     Shared),
            Endpoint("POST", "/checkout", "A Stripe Checkout page for a pack (web visitors)", account.checkout,
                     InvoiceLink, status=201, body=InvoiceRequest),
            Endpoint("POST", "/link", "Join this web session to a Telegram account with a /link code", account.link,
                     LinkResult, body=LinkRequest),
            Endpoint("GET", "/engines", "The engines/models on offer: price, licence, capabilities", offers.engines,
                     Engines),
            Endpoint("GET", "/packs", "The credit packs on sale", account.packs, Packs),
            Endpoint("POST", "/invoices", "A Telegram Stars invoice link for a pack (Mini App users)",
                     account.invoice, InvoiceLink, status=201, body=InvoiceRequest),
        )  # fmt: skip

    def mount(self, app: web.Application) -> None:
        """Add the routes (and the OpenAPI document) to ``app``."""
        app.router.add_get(f"{BASE}/openapi.json", self._openapi)
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, BASE + endpoint.path, self._wrap(endpoint))

    def client_ip(self, request: web.Request) -> str:
        """The client's address (see :meth:`Authenticator.client_ip`)."""
        return self.auth.client_ip(request)

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
                    raise rate_limited(wait)
                caller = await self.auth.caller(request, may_start=endpoint.path == "/me")
                language = caller.language
                wait = self._per_caller.hit(caller.limit_key)
                if wait:
                    raise rate_limited(wait)
                if caller.kind == "web" and endpoint.method != "GET":
                    self.auth.check_csrf(request, caller)
                answer = await endpoint.handler(request, caller)
                if caller.new_cookie is not None:
                    answer.set_cookie(
                        COOKIE, caller.new_cookie, max_age=COOKIE_MAX_AGE, path="/", httponly=True,
                        samesite="Lax", secure=self._secure_cookie,
                    )  # fmt: skip
            except ApiError as exc:  # before the caller is known (401, the per-IP limit): the browser's language
                known = language or self.services.texts.language_for_header(request.headers.get("Accept-Language"))
                answer = self._problem(exc, known)
            answer.headers.setdefault("Cache-Control", "no-store")
            return answer

        return handle

    async def _openapi(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.openapi())

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of these routes, generated from their models."""
        return openapi_document(self.endpoints, base=BASE, problem=Problem, cookie=COOKIE)

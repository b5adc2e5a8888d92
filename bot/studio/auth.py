"""Who is calling the API: ``Authorization: tma <initData>`` (a Mini App user, checked as Telegram specifies),
``Authorization: Bearer <api key>`` (issued by an admin with ``/apikey``), or the web session cookie (an anonymous
visitor of the public page, with CSRF checks on state changes). Anything else is 401 and nothing more."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from bot.services import Services
from bot.studio.errors import ApiError
from bot.studio.initdata import InvalidInitData, validate_init_data
from bot.studio.keys import key_hash
from bot.studio.web import COOKIE, Visitor, WebVisitors
from compose.studio import Requester

log = logging.getLogger(__name__)


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


def unauthorized() -> ApiError:
    """401, the same answer whatever was wrong (so it tells a forger nothing)."""
    return ApiError(401, "unauthorized", "api.unauthorized")


class Authenticator:
    """Turns a request's credentials into a :class:`Caller`, or raises 401."""

    def __init__(self, services: Services, *, bot_token: str, web_visitors: WebVisitors | None) -> None:
        self.services, self._token, self.web = services, bot_token, web_visitors
        self._max_age = services.web.auth_max_age
        self._keys = services.api_keys
        self._trusted = services.web.trusted_proxies

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

    async def caller(self, request: web.Request, *, may_start: bool = False) -> Caller:
        """The caller behind the request's credentials (a new web session only when ``may_start``); 401 else."""
        scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() == "tma" and credential:
            return await self._mini_app_user(credential)
        if scheme.lower() == "bearer" and credential:
            return await self._key_holder(credential)
        if not scheme and self.web is not None:
            return await self._visitor(request, may_start=may_start)
        raise unauthorized()

    def check_csrf(self, request: web.Request, caller: Caller) -> None:
        """A cookie-borne call that changes state must carry the session's CSRF token and, when the browser says
        where it comes from, come from this site."""
        assert self.web is not None and caller.visitor is not None
        origin = request.headers.get("Origin")
        own = f"{request.scheme}://{request.host}"
        public = (self.services.web.public_base_url or "").rstrip("/")
        if origin is not None and origin not in (own, public):
            raise ApiError(403, "csrf", "api.csrf")
        if not self.web.csrf_ok(caller.visitor, request.headers.get("X-CSRF-Token", "")):
            raise ApiError(403, "csrf", "api.csrf")

    async def _mini_app_user(self, init_data: str) -> Caller:
        services = self.services
        try:
            person = validate_init_data(init_data, self._token, now=services.clock(), max_age=self._max_age)
        except InvalidInitData as exc:
            log.info("refused a Mini App request: %s", exc)
            raise unauthorized() from None
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

    async def _key_holder(self, secret: str) -> Caller:
        services = self.services
        key = await self._keys.active(key_hash(secret))
        if key is None:
            raise unauthorized()
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

    async def _visitor(self, request: web.Request, *, may_start: bool) -> Caller:
        """The anonymous web visitor behind the session cookie (a new session when ``may_start``)."""
        assert self.web is not None
        services, cookie = self.services, None
        visitor = await self.web.from_cookie(request.cookies.get(COOKIE))
        if visitor is None:
            if not may_start:
                raise unauthorized()
            visitor, cookie = await self.web.start(services.clock())
        linked = visitor.session.linked_to
        if linked is not None:  # joined to a Telegram account with /link: it is that person now
            user = await services.users.get(linked)
            fingerprint = user.fingerprint if user else services.fingerprint(linked)
            who = Requester(linked, linked, fingerprint, bool(user and user.banned))
            name, language = (user.first_name, user.language) if user else ("", "en")
        else:
            pseudo = -visitor.session.id
            quota = self.web.quota_fingerprint(self.client_ip(request), request.headers.get("User-Agent", ""))
            who = Requester(pseudo, pseudo, self.web.session_fingerprint(pseudo), False, quota_fingerprint=quota)
            name, language = "", services.texts.language_for_header(request.headers.get("Accept-Language"))
        return Caller(who, name, language, f"web:{visitor.session.id}", kind="web", visitor=visitor, new_cookie=cookie)

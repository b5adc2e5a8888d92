"""The account operations of the API: who the caller is, the packs on sale, buying (Stars invoice links for Mini
App users, Stripe Checkout for web visitors) and ``/link`` (joining a web session to a Telegram account)."""

from __future__ import annotations

import logging

from aiohttp import web
from telegram import Bot
from telegram.error import TelegramError

from billing import PaymentError, StripeCheckoutError
from bot.services import Services
from bot.studio.auth import Caller
from bot.studio.errors import ApiError, invalid, read_body
from bot.studio.models import InvoiceLink, InvoiceRequest, LinkRequest, LinkResult, Me, Pack, Packs
from bot.studio.telegram import stars_invoice_link
from bot.studio.web import WebVisitors, normalize_code, sha256

log = logging.getLogger(__name__)


class AccountRoutes:
    """Handlers of ``/me``, ``/packs``, ``/invoices``, ``/checkout`` and ``/link``."""

    def __init__(self, services: Services, *, bot: Bot, web_visitors: WebVisitors | None) -> None:
        self.services, self._bot, self._web = services, bot, web_visitors

    async def me(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """Who the caller is, their balance and free tracks left."""
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

    async def packs(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """The credit packs on sale."""
        packs = [Pack(id=p.id, credits=p.credits, stars=p.stars, usd=p.usd) for p in self.services.payments.packs]
        return web.json_response(Packs(packs=packs).model_dump())

    async def checkout(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """A Stripe Checkout page for a pack; the webhook credits the web session."""
        wanted = await read_body(request, InvoiceRequest)
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
            raise invalid(self.services.texts.get(None, exc.key)) from None
        except StripeCheckoutError:
            raise ApiError(502, "unavailable", "buy.card_unavailable") from None
        return web.json_response(InvoiceLink(url=session.url).model_dump(), status=201)

    async def link(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """Join this web session to the Telegram account whose one-time ``/link`` code the body carries."""
        wanted = await read_body(request, LinkRequest)
        if self._web is None or caller.visitor is None or caller.visitor.session.linked_to is not None:
            raise ApiError(409, "already_linked", "api.link_not_needed")
        session = caller.visitor.session
        linked = await self._web.repo.link(
            sha256(normalize_code(wanted.code)), session.id, caller.who.fingerprint, self.services.clock()
        )
        if linked is None:
            raise ApiError(422, "invalid", "api.link_bad_code")
        log.info("web session %s joined Telegram user %s (%s credits moved)", session.id, linked.telegram_id,
                 linked.moved)  # fmt: skip
        return web.json_response(LinkResult(telegram_id=linked.telegram_id, moved=linked.moved).model_dump())

    async def invoice(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        """A Telegram Stars invoice link for a pack, to open with ``Telegram.WebApp.openInvoice``."""
        wanted = await read_body(request, InvoiceRequest)
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
            raise invalid(self.services.texts.get(caller.language, exc.key)) from None
        except TelegramError as exc:
            log.warning("createInvoiceLink failed: %s", exc)
            raise ApiError(502, "unavailable", "api.unavailable") from None
        return web.json_response(InvoiceLink(url=url).model_dump(), status=201)

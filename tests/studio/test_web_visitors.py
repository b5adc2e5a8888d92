"""The public web studio for anonymous visitors: a signed HttpOnly session cookie, 4 free tracks a day keyed on
HMAC(secret, IP + User-Agent), CSRF on state changes, Stripe Checkout credits for the session, and /link."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.studio.web import COOKIE
from standin.stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn
from tests.conftest import ADA, LiveBot
from tests.studio.helpers import Api

Browser = Callable[..., Any]


@pytest.fixture
async def browsers() -> AsyncIterator[Callable[[str], aiohttp.ClientSession]]:
    """Fresh cookie jars ("browsers") with a User-Agent each; cookies from 127.0.0.1 are accepted (unsafe=True)."""
    opened: list[aiohttp.ClientSession] = []

    def make(user_agent: str = "Mozilla/5.0 (X11; Linux) Test/1") -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"User-Agent": user_agent})
        opened.append(session)
        return session

    yield make
    for session in opened:
        await session.close()


class Visitor:
    """An anonymous visitor of the studio page, holding its cookie and CSRF token."""

    def __init__(self, live_bot: LiveBot, session: aiohttp.ClientSession) -> None:
        self.api = Api(session, live_bot.runtime.http.url, None)
        self.csrf = ""
        self.session = session

        self.cookie: str | None = None  # sent by hand: over plain http a browser would not send a Secure cookie
        self.cookie_session_id = 0  # the web session's id, once known

    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}

    async def me(self) -> dict[str, Any]:
        status, me, answer = await self.api.call("GET", "/me", headers=self.headers())
        assert status == 200, me
        if COOKIE in answer.cookies:
            self.cookie = answer.cookies[COOKIE].value
        self.csrf = me["csrf_token"] or ""
        return dict(me)

    async def post(self, path: str, body: Any, **headers: str) -> tuple[int, Any]:
        sent = {"X-CSRF-Token": self.csrf, **self.headers(), **headers}
        status, answer, _ = await self.api.call("POST", path, body=body, headers=sent)
        return status, answer

    async def compose_and_wait(self, prompt: str) -> dict[str, Any]:
        status, queued = await self.post("/tracks", {"prompt": prompt, "duration": 2})
        assert status == 202, queued
        async with asyncio.timeout(15):
            while True:  # the page polls the same way; each answer is a real state, not a timer
                _, track, _ = await self.api.call("GET", f"/tracks/{queued['id']}", headers=self.headers())
                if track["status"] == "delivered":
                    return dict(track)
                assert track["status"] in ("queued", "running"), track
                await asyncio.sleep(0.05)


async def test_an_anonymous_visitor_gets_four_free_tracks_a_day_then_the_buy_answer(
    live_bot: LiveBot, browsers: Callable[..., aiohttp.ClientSession]
) -> None:
    visitor = Visitor(live_bot, browsers())
    status, me, answer = await visitor.api.call("GET", "/me")
    cookie = answer.headers["Set-Cookie"]
    assert status == 200 and me["kind"] == "web" and me["free_left"] == 4 and me["user_id"] < 0
    assert COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    visitor.csrf = me["csrf_token"]
    tracks = [await visitor.compose_and_wait(f"web tune {n}") for n in range(4)]
    status, problem = await visitor.post("/tracks", {"prompt": "one more"})
    assert status == 402 and problem["error"] == "quota" and "Buy a credit pack" in problem["message"]
    _, library, _ = await visitor.api.call("GET", "/tracks")
    assert [t["id"] for t in library["tracks"]] == [t["id"] for t in reversed(tracks)]
    status, mp3, _ = await visitor.api.call("GET", f"/tracks/{tracks[0]['id']}/audio")
    assert status == 200 and mp3[:3] == b"ID3"
    assert not [c for c in live_bot.standin.calls if c.method in ("sendAudio", "sendMessage")], "no Telegram chat"
    rows = await live_bot.runtime.core.db.fetchall("SELECT * FROM web_sessions")
    assert len(rows) == 1 and "127.0.0.1" not in str([tuple(r) for r in rows])


async def test_the_free_quota_follows_ip_and_user_agent_not_the_cookie(
    live_bot: LiveBot, browsers: Callable[..., aiohttp.ClientSession]
) -> None:
    first = Visitor(live_bot, browsers("Agent/1"))
    await first.me()
    await first.compose_and_wait("one")
    fresh_cookie_same_browser = Visitor(live_bot, browsers("Agent/1"))
    assert (await fresh_cookie_same_browser.me())["free_left"] == 3
    other_browser = Visitor(live_bot, browsers("Agent/2"))
    assert (await other_browser.me())["free_left"] == 4
    ledger = await live_bot.runtime.core.db.fetchall("SELECT fingerprint FROM credit_ledger")
    assert all(re.fullmatch(r"[0-9a-f]{64}", r[0]) for r in ledger), "only keyed hashes, never the raw IP"


async def test_a_state_change_without_the_csrf_token_or_from_another_site_is_refused(
    live_bot: LiveBot, browsers: Callable[..., aiohttp.ClientSession]
) -> None:
    visitor = Visitor(live_bot, browsers())
    await visitor.me()
    token = visitor.csrf
    visitor.csrf = ""
    assert (await visitor.post("/tracks", {"prompt": "techno"}))[0] == 403
    visitor.csrf = token[::-1]
    assert (await visitor.post("/tracks", {"prompt": "techno"}))[0] == 403
    visitor.csrf = token
    status, problem = await visitor.post("/tracks", {"prompt": "techno"}, Origin="https://evil.example")
    assert status == 403 and problem["error"] == "csrf"
    assert (await visitor.me())["free_left"] == 4
    assert await live_bot.runtime.core.db.scalar("SELECT COUNT(*) FROM jobs") == 0


async def test_a_visitor_reads_the_apis_refusals_in_the_browsers_language(
    live_bot: LiveBot, browsers: Callable[..., aiohttp.ClientSession]
) -> None:
    visitor = Visitor(live_bot, browsers())
    await visitor.me()
    visitor.csrf = ""
    status, problem = await visitor.post("/tracks", {"prompt": "techno"}, **{"Accept-Language": "pt-BR,pt;q=0.9"})
    assert status == 403 and problem["error"] == "csrf"
    assert problem["message"] == live_bot.runtime.services.texts.get("pt", "api.csrf")
    stranger = Api(browsers(), live_bot.runtime.http.url, None)  # no session yet: refused before any caller is known
    status, problem, _ = await stranger.call("GET", "/tracks", headers={"Accept-Language": "pt-BR,pt;q=0.9"})
    assert status == 401 and problem["message"] == live_bot.runtime.services.texts.get("pt", "api.unauthorized")


async def test_a_forged_cookie_is_not_a_session(
    live_bot: LiveBot, browsers: Callable[..., aiohttp.ClientSession]
) -> None:
    visitor = Visitor(live_bot, browsers())
    await visitor.me()
    (cookie,) = [c for c in visitor.session.cookie_jar if c.key == COOKIE]
    token, signature = cookie.value.split(".")
    stranger = Api(browsers(), live_bot.runtime.http.url, None)
    for forged in (f"{token}.{'0' * len(signature)}", f"{token[::-1]}.{signature}", token, "x" * 500):
        status, problem, _ = await stranger.call("GET", "/tracks", headers={"Cookie": f"{COOKIE}={forged}"})
        assert status == 401 and problem["error"] == "unauthorized", forged
    status, _, _ = await stranger.call("GET", "/tracks", headers={"Cookie": f"{COOKIE}={cookie.value}"})
    assert status == 200, "the genuine cookie works from anywhere (credits survive an IP change)"


class TestWebStudioOff:
    @pytest.fixture
    def bot_settings(self) -> dict[str, Any]:
        return {"web_studio": False}

    async def test_only_telegram_users_and_keys_are_served(
        self, live_bot: LiveBot, browsers: Callable[..., aiohttp.ClientSession]
    ) -> None:
        status, problem, answer = await Api(browsers(), live_bot.runtime.http.url, None).call("GET", "/me")
        assert status == 401 and problem["error"] == "unauthorized" and "Set-Cookie" not in answer.headers
        assert await live_bot.runtime.core.db.scalar("SELECT COUNT(*) FROM web_sessions") == 0


class TestCardsAndLinking:
    @pytest.fixture
    async def stripe_standin(self) -> AsyncIterator[StripeStandIn]:
        async with StripeStandIn() as running:
            yield running

    @pytest.fixture
    def bot_settings(self, stripe_standin: StripeStandIn) -> dict[str, Any]:
        return {
            "stripe_secret_key": API_KEY,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_api_base": stripe_standin.base_url,
            "public_base_url": "https://bot.example.test",
        }

    async def test_credits_bought_by_card_stay_with_the_session_and_move_once_with_link(
        self, live_bot: LiveBot, stripe_standin: StripeStandIn, browsers: Callable[..., aiohttp.ClientSession]
    ) -> None:
        visitor = Visitor(live_bot, browsers())
        _, _, first = await visitor.api.call("GET", "/me")
        assert "Secure" in first.headers["Set-Cookie"], "PUBLIC_BASE_URL is https: the cookie travels only over TLS"
        me = await visitor.me()
        assert me["card_payments"] is True
        status, checkout = await visitor.post("/checkout", {"pack": "10"})
        assert status == 201, checkout
        session = next(s for s in stripe_standin.sessions.values() if s["url"] == checkout["url"])
        body, signature = stripe_standin.completed_event(str(session["id"]), event_id="evt_web_1")
        async with visitor.session.post(
            live_bot.runtime.http.url + "/stripe/webhook", data=body, headers={"Stripe-Signature": signature}
        ) as answer:
            assert answer.status == 200 and (await answer.json())["result"] == "credited"
        assert (await visitor.me())["paid_credits"] == 10
        assert (await visitor.post("/invoices", {"pack": "10"}))[0] == 409, "Stars are for Telegram users"

        told = await live_bot.ask(ADA, "/link", "link code")
        code = re.search(r"code: ([A-Z0-9]{4}-[A-Z0-9]{4})", told.content)
        assert code, told.content
        assert (await visitor.post("/link", {"code": "WRONG-CODE"}))[0] == 422
        status, linked = await visitor.post("/link", {"code": code[1].lower()})
        assert status == 200 and linked == {"telegram_id": ADA, "moved": 10}
        me = await visitor.me()
        assert (me["user_id"], me["paid_credits"], me["linked"]) == (ADA, 10, True)
        assert (await visitor.post("/link", {"code": code[1]}))[0] == 409
        another = Visitor(live_bot, browsers("Other/1"))
        await another.me()
        status, problem = await another.post("/link", {"code": code[1]})
        assert status == 422 and "already used" in problem["message"]
        rows = await live_bot.runtime.core.db.fetchall(
            "SELECT kind, amount FROM credit_ledger WHERE kind LIKE 'link-%' ORDER BY id"
        )
        assert [tuple(r) for r in rows] == [("link-out", -10), ("link-in", 10)]

    async def test_a_stripe_refund_after_link_takes_the_credits_back_from_the_telegram_account_once(
        self, live_bot: LiveBot, stripe_standin: StripeStandIn, browsers: Callable[..., aiohttp.ClientSession]
    ) -> None:
        services = live_bot.runtime.services
        ada = services.fingerprint(ADA)
        await services.studio.credits.add_paid(ada, 3, kind="grant", reference="own-credits")
        visitor, session_id = await buy_ten_and_link_to_ada(live_bot, stripe_standin, browsers)
        assert (await visitor.me())["paid_credits"] == 13

        refund = stripe_standin.dashboard_refund(session_id, event_id="evt_refund_linked")
        assert (await post_webhook(live_bot, visitor, refund))["result"] == "reversed"

        assert (await visitor.me())["paid_credits"] == 3, "the 10 moved credits went back; Ada's own 3 stay"
        assert (await services.studio.credits.balance(visitor_fingerprint(live_bot, visitor))).paid == 0
        again = stripe_standin.charge_refunded_event(session_id, event_id="evt_refund_linked_again")
        assert (await post_webhook(live_bot, visitor, again))["result"] == "duplicate", "once per refund id"
        assert (await post_webhook(live_bot, visitor, refund))["result"] == "duplicate", "and once per event"
        assert (await visitor.me())["paid_credits"] == 3

    async def test_a_stripe_refund_after_link_never_takes_the_account_below_zero(
        self, live_bot: LiveBot, stripe_standin: StripeStandIn, browsers: Callable[..., aiohttp.ClientSession]
    ) -> None:
        services = live_bot.runtime.services
        visitor, session_id = await buy_ten_and_link_to_ada(live_bot, stripe_standin, browsers)
        await services.studio.credits.add_paid(services.fingerprint(ADA), -8, kind="debit", reference="spent-8")
        assert (await visitor.me())["paid_credits"] == 2

        refund = stripe_standin.dashboard_refund(session_id, event_id="evt_refund_spent")
        assert (await post_webhook(live_bot, visitor, refund))["result"] == "reversed"

        assert (await visitor.me())["paid_credits"] == 0
        payment = await services.payments.records.find_stripe(stripe_standin.sessions[session_id]["payment_intent"])
        assert payment is not None and (payment.status, payment.refunded_credits) == ("refunded", 2)
        rows = await live_bot.runtime.core.db.fetchall(
            "SELECT fingerprint, amount FROM credit_ledger WHERE kind = 'refund' ORDER BY id"
        )
        assert [tuple(r) for r in rows] == [(services.fingerprint(ADA), -2)]


def visitor_fingerprint(live_bot: LiveBot, visitor: Visitor) -> str:
    """The ledger key of the visitor's web session (where card credits land before /link)."""
    return live_bot.runtime.services.fingerprint(-visitor.cookie_session_id)


async def post_webhook(live_bot: LiveBot, visitor: Visitor, event: tuple[bytes, str]) -> dict[str, Any]:
    body, signature = event
    async with visitor.session.post(
        live_bot.runtime.http.url + "/stripe/webhook", data=body, headers={"Stripe-Signature": signature}
    ) as answer:
        assert answer.status == 200
        return dict(await answer.json())


async def buy_ten_and_link_to_ada(
    live_bot: LiveBot, stripe_standin: StripeStandIn, browsers: Callable[..., aiohttp.ClientSession]
) -> tuple[Visitor, str]:
    """A visitor buys the 10-credit pack by card (webhook credits the session), then /link joins it to Ada."""
    visitor = Visitor(live_bot, browsers())
    visitor.cookie_session_id = -(await visitor.me())["user_id"]
    status, checkout = await visitor.post("/checkout", {"pack": "10"})
    assert status == 201, checkout
    session_id = str(next(s for s in stripe_standin.sessions.values() if s["url"] == checkout["url"])["id"])
    completed = stripe_standin.completed_event(session_id, event_id=f"evt_paid_{session_id}")
    assert (await post_webhook(live_bot, visitor, completed))["result"] == "credited"
    told = await live_bot.ask(ADA, "/link", "link code")
    code = re.search(r"code: ([A-Z0-9]{4}-[A-Z0-9]{4})", told.content)
    assert code, told.content
    status, linked = await visitor.post("/link", {"code": code[1]})
    assert status == 200 and linked == {"telegram_id": ADA, "moved": 10}
    return visitor, session_id

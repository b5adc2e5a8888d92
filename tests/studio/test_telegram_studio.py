"""The studio inside Telegram: the menu button, /studio, and buying Stars from the Mini App."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.conftest import ADA, LiveBot
from tests.studio.helpers import Api, signed_init_data

HTTPS = "https://studio.example.com"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def web_app_urls(message: Any) -> list[str]:
    rows = (message.raw.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]


class TestWithAnHttpsBaseUrl:
    @pytest.fixture
    def bot_settings(self) -> dict[str, Any]:
        return {"public_base_url": HTTPS}

    async def test_the_menu_button_opens_the_studio_mini_app(self, live_bot: LiveBot) -> None:
        button = live_bot.standin.messaging.menu_buttons[None]
        assert button["type"] == "web_app" and button["web_app"]["url"] == f"{HTTPS}/app/" and button["text"]

    async def test_studio_sends_a_web_app_button(self, live_bot: LiveBot) -> None:
        answer = await live_bot.ask(ADA, "/studio", "studio")
        assert web_app_urls(answer) == [f"{HTTPS}/app/"]

    async def test_buying_from_the_mini_app_opens_a_stars_invoice_credited_once(
        self, live_bot: LiveBot, session: aiohttp.ClientSession
    ) -> None:
        api = Api(session, live_bot.runtime.http.url, "tma " + signed_init_data(ADA, live_bot.clock()))
        status, packs, _ = await api.call("GET", "/packs")
        assert status == 200 and packs["packs"]
        pack = packs["packs"][0]
        status, link, _ = await api.call("POST", "/invoices", body={"pack": pack["id"]})
        assert status == 201 and link["url"].startswith("https://t.me/$")
        outcome = await live_bot.standin.pay_invoice_link(ADA, link["url"])
        assert outcome.approved and outcome.total_amount == pack["stars"]
        await live_bot.reply(ADA, lambda m: m.from_bot and str(pack["credits"]) in m.content)
        assert (await api.call("GET", "/me"))[1]["paid_credits"] == pack["credits"]
        status, problem, _ = await api.call("POST", "/invoices", body={"pack": "9999"})
        assert status == 422 and problem["error"] == "invalid"


class TestWithoutAPublicUrl:
    async def test_no_menu_button_is_set_and_studio_says_it_is_not_set_up(self, live_bot: LiveBot) -> None:
        answer = await live_bot.ask(ADA, "/studio", "PUBLIC_BASE_URL")
        assert web_app_urls(answer) == []
        assert live_bot.standin.messaging.menu_buttons == {}
        assert not [c for c in live_bot.standin.calls if c.method == "setChatMenuButton"]


class TestWithAnHttpBaseUrl:
    @pytest.fixture
    def bot_settings(self) -> dict[str, Any]:
        return {"public_base_url": "http://127.0.0.1:8080"}

    async def test_studio_links_the_page_without_a_mini_app_button(self, live_bot: LiveBot) -> None:
        answer = await live_bot.ask(ADA, "/studio", "studio")
        assert web_app_urls(answer) == [] and [b.url for b in answer.buttons] == ["http://127.0.0.1:8080/app/"]
        assert live_bot.standin.messaging.menu_buttons == {}


async def test_the_page_is_served_with_a_csp_without_inline_scripts(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    base = live_bot.runtime.http.url
    async with session.get(base + "/app/") as answer:
        html = await answer.text()
        csp = answer.headers["Content-Security-Policy"]
        assert answer.status == 200 and answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self' https://telegram.org" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self' https://web.telegram.org" in csp
    assert "<script>" not in html and not re.search(r"\son[a-z]+\s*=", html), "no inline scripts or handlers"
    for name, kind in (("studio.js", "text/javascript"), ("studio.css", "text/css")):
        async with session.get(f"{base}/app/{name}") as answer:
            assert answer.status == 200 and answer.content_type == kind
    async with session.get(base + "/app/../bot/settings.py") as answer:
        assert answer.status == 404
    async with session.get(base + "/app/nope.js") as answer:
        assert answer.status == 404

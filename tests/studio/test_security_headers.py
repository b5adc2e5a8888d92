"""Security headers on every studio answer (the page, its files, the API, the OpenAPI document and every error),
over real HTTP against the running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.conftest import ADA, LiveBot
from tests.studio.helpers import signed_init_data

TELEGRAM_WEB = "https://web.telegram.org"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


async def fetch(
    session: aiohttp.ClientSession, url: str, method: str = "GET", **kw: Any
) -> tuple[int, str, dict[str, str]]:
    async with session.request(method, url, allow_redirects=False, **kw) as answer:
        await answer.read()
        return answer.status, answer.content_type, {k.lower(): v for k, v in answer.headers.items()}


def assert_secure(status: int, content_type: str, headers: dict[str, str], where: str) -> None:
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors" in csp, (where, csp)
    if content_type == "text/html":
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, (where, csp)
        assert f"frame-ancestors 'self' {TELEGRAM_WEB}" in csp, "Telegram's web clients may embed the Mini App"
    else:
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, (where, csp)
    assert "x-frame-options" not in headers, "X-Frame-Options cannot name Telegram's clients; CSP does it"
    assert "strict-transport-security" not in headers, f"{where}: plain http gets no HSTS"


class TestEveryAnswer:
    @pytest.fixture
    def bot_settings(self) -> dict[str, Any]:
        return {"api_rate_limit": 3}

    async def test_the_page_the_api_and_every_error_carry_the_security_headers(
        self, live_bot: LiveBot, session: aiohttp.ClientSession
    ) -> None:
        base = live_bot.runtime.http.url
        tma = {"Authorization": "tma " + signed_init_data(ADA, live_bot.clock())}
        cases: list[tuple[str, str, dict[str, Any], int]] = [
            ("GET", "/app/", {}, 200),
            ("GET", "/app/studio.js", {}, 200),
            ("GET", "/app", {}, 308),
            ("GET", "/app/nothing.js", {}, 404),
            ("GET", "/api/v1/openapi.json", {}, 200),
            ("GET", "/api/v1/nothing", {}, 404),
            ("GET", "/api/v1/me", {"headers": {"Authorization": "tma forged"}}, 401),
            ("GET", "/api/v1/me", {"headers": tma}, 200),
            ("GET", "/api/v1/tracks/12345", {"headers": tma}, 404),
            ("POST", "/api/v1/tracks", {"headers": tma, "json": {"prompt": "techno", "bpm": 999}}, 422),
            ("GET", "/api/v1/me", {"headers": tma}, 429),  # the fourth call of this caller in a minute
            ("DELETE", "/api/v1/me", {"headers": tma}, 405),
        ]
        for method, path, kw, expected in cases:
            status, content_type, headers = await fetch(session, base + path, method, **kw)
            assert status == expected, (method, path, status)
            assert_secure(status, content_type, headers, f"{method} {path} → {status}")

    async def test_other_routes_of_the_server_are_left_alone(
        self, live_bot: LiveBot, session: aiohttp.ClientSession
    ) -> None:
        status, _, headers = await fetch(session, live_bot.runtime.http.url + "/healthz")
        assert status == 200 and "content-security-policy" not in headers


class TestBehindATlsProxy:
    @pytest.fixture
    def bot_settings(self) -> dict[str, Any]:
        return {"trusted_proxies": "127.0.0.1"}

    async def test_hsts_only_when_the_request_came_over_https(
        self, live_bot: LiveBot, session: aiohttp.ClientSession
    ) -> None:
        url = live_bot.runtime.http.url + "/app/"
        _, _, headers = await fetch(session, url, headers={"X-Forwarded-Proto": "https"})
        assert headers["strict-transport-security"].startswith("max-age=")
        _, _, headers = await fetch(session, url + "studio.css", headers={"X-Forwarded-Proto": "http"})
        assert "strict-transport-security" not in headers
        _, _, headers = await fetch(session, url)
        assert "strict-transport-security" not in headers


async def test_a_proxy_header_from_an_untrusted_peer_does_not_turn_on_hsts(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    _, _, headers = await fetch(
        session, live_bot.runtime.http.url + "/api/v1/me", headers={"X-Forwarded-Proto": "https"}
    )
    assert "strict-transport-security" not in headers

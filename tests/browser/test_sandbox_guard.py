"""The sandbox can't touch real data: its own database, loopback only, same-origin requests carrying the run's token.

Issue 12 item 9: before this, ``/sandbox/api/send`` answered anyone (any Host, any Origin, no token) and the
sandbox ran on whatever database DATA_DIR held, so ``/grant`` on a production copy worked.
"""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from bot.__main__ import Runtime, running_bot
from standin.web.guard import TOKEN_COOKIE, TOKEN_HEADER
from storage import Database
from storage.owner import OwnerMismatch, claim
from tests.browser.conftest import sandbox_settings
from tests.conftest import Clock

ADA = 1001


async def call(
    runtime: Runtime, method: str, path: str, *, headers: dict[str, str] | None = None, body: object = None
) -> tuple[int, str]:
    """One request to the bot's HTTP server; the status and the body's text."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, runtime.http.url + path, json=body, headers=headers or {}) as response,
    ):
        return response.status, await response.text(errors="replace")


def token(runtime: Runtime) -> dict[str, str]:
    assert runtime.sandbox_token is not None
    return {TOKEN_HEADER: runtime.sandbox_token}


async def test_api_calls_without_the_runs_token_are_refused_and_reach_nobody(sandbox_bot: Runtime) -> None:
    hello = {"user_id": ADA, "text": "/grant 1001 1000"}
    assert (await call(sandbox_bot, "POST", "/sandbox/api/send", body=hello))[0] == 403
    wrong = {TOKEN_HEADER: "x" * 43}
    assert (await call(sandbox_bot, "POST", "/sandbox/api/send", body=hello, headers=wrong))[0] == 403
    for path in ("/sandbox/api/users", f"/sandbox/api/transcript?chat={ADA}", f"/sandbox/api/events?chat={ADA}"):
        status, text = await call(sandbox_bot, "GET", path)
        assert status == 403 and "sandbox token" in text, path
    assert sandbox_bot.standin is not None and sandbox_bot.standin.transcript(ADA) == []
    status, _ = await call(sandbox_bot, "POST", "/sandbox/api/send", body=hello, headers=token(sandbox_bot))
    assert status == 200


async def test_a_dns_rebinding_host_name_is_refused_everywhere(sandbox_bot: Runtime) -> None:
    port = sandbox_bot.http.url.rsplit(":", 1)[1]
    rebound = {"Host": f"attacker.example:{port}", **token(sandbox_bot)}
    for method, path in (("GET", "/"), ("GET", "/sandbox/api/users"), ("POST", "/sandbox/api/send")):
        status, text = await call(sandbox_bot, method, path, headers=rebound, body={"user_id": ADA, "text": "hi"})
        assert status == 403 and "loopback" in text, (method, path)
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert (await call(sandbox_bot, "GET", "/sandbox/api/users", headers={"Host": host, **token(sandbox_bot)}))[
            0
        ] == 200


async def test_cross_origin_posts_are_refused_even_with_the_token(sandbox_bot: Runtime) -> None:
    body = {"user_id": ADA, "text": "hi"}
    for extra in ({"Origin": "http://attacker.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        status, text = await call(
            sandbox_bot, "POST", "/sandbox/api/send", headers={**token(sandbox_bot), **extra}, body=body
        )
        assert status == 403 and "cross" in text, extra
    assert sandbox_bot.standin is not None and sandbox_bot.standin.transcript(ADA) == []
    same = {"Origin": sandbox_bot.http.url, "Sec-Fetch-Site": "same-origin", **token(sandbox_bot)}
    assert (await call(sandbox_bot, "POST", "/sandbox/api/send", headers=same, body=body))[0] == 200


async def test_the_page_carries_the_token_and_its_cookie_opens_gets_but_not_posts(sandbox_bot: Runtime) -> None:
    assert sandbox_bot.sandbox_token is not None and len(sandbox_bot.sandbox_token) >= 40
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(sandbox_bot.http.url + "/") as page:
            html = await page.text()
            cookie = page.cookies[TOKEN_COOKIE]
        assert re.search(rf'<meta name="sandbox-token" content="{re.escape(sandbox_bot.sandbox_token)}">', html)
        assert cookie.value == sandbox_bot.sandbox_token and cookie["httponly"] and cookie["samesite"] == "Strict"
        async with session.get(sandbox_bot.http.url + "/sandbox/api/users") as users:
            assert users.status == 200, "the event stream and media are GETs that carry only the cookie"
        async with session.post(sandbox_bot.http.url + "/sandbox/api/send", json={"user_id": ADA, "text": "hi"}) as r:
            assert r.status == 403, "a POST needs the header: a cookie is sent by forms from other pages too"


async def test_the_sandbox_listens_on_loopback_whatever_http_host_says(tmp_path: Path) -> None:
    async with running_bot(sandbox_settings(tmp_path / "a", http_host="0.0.0.0"), poll_timeout=1) as runtime:
        assert runtime.http.url.startswith("http://127.0.0.1:")
    public = sandbox_settings(tmp_path / "b", http_host="0.0.0.0", sandbox_public=True)
    async with running_bot(public, poll_timeout=1) as runtime:
        assert runtime.http.url.startswith("http://0.0.0.0:")


async def test_the_sandbox_keeps_its_own_database_and_audio_under_data_dir_sandbox(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with running_bot(sandbox_settings(data), poll_timeout=1) as runtime:
        assert runtime.core.db.path == data / "sandbox" / "cloudmusic.db"
        assert runtime.standin is not None
        await runtime.standin.send_text(ADA, "soft piano 1s")
        await runtime.standin.wait_for(ADA, lambda m: m.kind == "audio", timeout=15)
    assert not (data / "cloudmusic.db").exists() and not (data / "audio").exists()
    assert list((data / "sandbox" / "audio").iterdir())


async def test_the_sandbox_refuses_a_database_a_real_token_has_used(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with await Database.open(data / "sandbox" / "cloudmusic.db") as db:  # e.g. a production copy put there
        await claim(db, "telegram", 7_000_000_001, Clock()())
    with pytest.raises(OwnerMismatch, match="created by a real bot token"):
        async with running_bot(sandbox_settings(data), poll_timeout=1):
            pytest.fail("the sandbox started on a real bot's database")


async def test_numbers_int_refuses_are_a_400_or_ignored_not_a_crash(sandbox_bot: Runtime) -> None:
    """Item 10: "²".isdigit() is True but int("²") raises; the page's API uses int()'s judgement."""
    for chat in ("²", "-²", "1001²"):
        status, text = await call(
            sandbox_bot, "GET", f"/sandbox/api/transcript?chat={chat}", headers=token(sandbox_bot)
        )
        assert status == 400 and "unknown chat" in text, chat
    assert sandbox_bot.standin is not None
    await sandbox_bot.standin.send_text(ADA, "soft piano 1s")
    track = await sandbox_bot.standin.wait_for(ADA, lambda m: m.kind == "audio", timeout=15)
    assert track.file is not None
    url = f"/sandbox/api/files/{track.file.file_id}"
    for bad_range in ("bytes=²-", "bytes=-²", "bytes=1-²"):
        status, _ = await call(sandbox_bot, "GET", url, headers={"Range": bad_range, **token(sandbox_bot)})
        assert status in (200, 206), bad_range


async def test_the_sandbox_admin_can_answer_a_support_message_by_replying_to_it(sandbox_bot: Runtime) -> None:
    """The page's send takes ``reply_to``: the Admin (1003, in ADMIN_IDS) answers Ada's support message."""
    standin, admin = sandbox_bot.standin, 1003
    assert standin is not None

    async def send(user_id: int, text: str, **extra: int) -> tuple[int, str]:
        body = {"user_id": user_id, "text": text, **extra}
        return await call(sandbox_bot, "POST", "/sandbox/api/send", headers=token(sandbox_bot), body=body)

    await send(ADA, "/support")
    await standin.wait_for(ADA, lambda m: "next message goes to an admin" in m.content)
    await send(ADA, "my track is silent")
    copy = await standin.wait_for(admin, lambda m: m.from_bot and "🆘 Support" in m.content)
    status, text = await send(admin, "nope", reply_to=999)
    assert status == 400 and "no bot message 999" in text
    assert (await send(admin, "Try again with seed=2", reply_to=copy.message_id))[0] == 200
    answer = await standin.wait_for(ADA, lambda m: "CloudMusic support" in m.content)
    assert answer.content.endswith("Try again with seed=2")

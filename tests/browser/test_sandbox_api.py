"""The sandbox page's HTTP side without a browser: input checks, live events, file downloads, sandbox-only routes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bot.__main__ import Runtime
from standin.web.guard import TOKEN_HEADER
from tests.conftest import LiveBot

ADA = 1001


def sandbox_session(runtime: Runtime) -> aiohttp.ClientSession:
    """A client carrying this run's sandbox token, as the page does."""
    assert runtime.sandbox_token is not None
    return aiohttp.ClientSession(headers={TOKEN_HEADER: runtime.sandbox_token})


async def post(runtime: Runtime, path: str, body: Any) -> tuple[int, Any]:
    """POST ``body`` (a str is sent as is, anything else as JSON); return the status and the decoded answer."""
    data = body if isinstance(body, str) else json.dumps(body)
    async with (
        sandbox_session(runtime) as session,
        session.post(f"{runtime.http.url}/sandbox/api/{path}", data=data) as response,
    ):
        return response.status, await response.json()


async def next_event(stream: aiohttp.StreamReader) -> tuple[str, Any]:
    """Read one server-sent event (skipping keep-alive comments); return its name and decoded data."""
    name, data = "message", ""
    while True:
        line = (await asyncio.wait_for(stream.readline(), 10)).decode().rstrip("\n")
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data += line.removeprefix("data: ")
        elif not line and data:
            return name, json.loads(data)


async def test_bad_requests_get_a_400_with_a_reason_and_reach_nobody(sandbox_bot: Runtime) -> None:
    """Unknown people, malformed JSON, wrong types, over-long or empty texts and unknown buttons are refused."""
    cases = [
        ("send", {"user_id": 999, "text": "hi"}, "unknown user 999"),
        ("send", "{not json", "must be JSON"),
        ("send", [ADA, "hi"], "JSON object"),
        ("send", {"user_id": "1001", "text": "hi"}, "user_id must be an integer"),
        ("send", {"user_id": True, "text": "hi"}, "user_id must be an integer"),
        ("send", {"user_id": ADA, "text": "   "}, "non-empty"),
        ("send", {"user_id": ADA, "text": "x" * 4097}, "at most 4096"),
        ("press", {"user_id": ADA, "message_id": 1, "callback_data": "rg:1"}, "no bot message 1"),
        ("pay", {"user_id": ADA, "message_id": 7}, "no bot message 7"),
    ]
    for path, body, reason in cases:
        status, answer = await post(sandbox_bot, path, body)
        assert status == 400 and reason in answer["error"], (path, body, answer)
    async with sandbox_session(sandbox_bot) as session:
        for chat in ("7", "abc", "9" * 5000):
            async with session.get(f"{sandbox_bot.http.url}/sandbox/api/transcript?chat={chat}") as response:
                assert response.status == 400 and "unknown chat" in (await response.json())["error"]
    assert sandbox_bot.standin is not None
    assert sandbox_bot.standin.transcript(ADA) == []
    status, answer = await post(sandbox_bot, "send", {"user_id": ADA, "text": "x" * 4096})
    assert status == 200 and answer["message_id"] == 1


async def test_event_stream_sends_a_snapshot_then_live_changes_and_closes_with_the_client(
    sandbox_bot: Runtime,
) -> None:
    """The snapshot holds the chat so far; the bot's reply arrives as an event; a departed client unsubscribes."""
    standin = sandbox_bot.standin
    assert standin is not None
    await standin.send_text(ADA, "/start")
    await standin.wait_for(ADA, lambda m: "Hi Ada" in m.content)
    await standin.wait_for(ADA, lambda m: m.kind == "audio", timeout=15, since=0)  # the first /start's demo track
    bus = standin.world.events
    before = bus.subscribers
    async with sandbox_session(sandbox_bot) as session:
        url = f"{sandbox_bot.http.url}/sandbox/api/events?chat={ADA}"
        async with session.get(url) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            kind, snapshot = await next_event(response.content)
            assert kind == "snapshot"
            assert [m["text"][:6] for m in snapshot["chats"][str(ADA)]][:2] == ["/start", "🎵 Hi A"]
            assert snapshot["chats"][str(ADA)][2]["kind"] == "audio"
            await standin.send_text(ADA, "/help")
            kinds = [await next_event(response.content) for _ in range(2)]
            assert [k for k, _ in kinds] == ["message", "message"]
            assert kinds[1][1]["message"]["from_bot"] and "commands" in kinds[1][1]["message"]["text"]
            assert bus.subscribers == before + 1
    for _ in range(40):
        if bus.subscribers == before:
            break
        await asyncio.sleep(0.05)
    assert bus.subscribers == before, "the stream kept its subscription after the client left"


async def test_files_stream_with_their_content_type_and_byte_ranges(sandbox_bot: Runtime) -> None:
    """A track's MP3 comes back as audio/mpeg, whole or by range; an unknown file is a 404."""
    standin = sandbox_bot.standin
    assert standin is not None
    await standin.send_text(ADA, "soft piano 20s")
    track = await standin.wait_for(ADA, lambda m: m.kind == "audio", timeout=15)
    assert track.file is not None
    url = f"{sandbox_bot.http.url}/sandbox/api/files/{track.file.file_id}"
    async with sandbox_session(sandbox_bot) as session:
        async with session.get(url) as whole:
            assert whole.status == 200 and whole.content_type == "audio/mpeg"
            assert await whole.read() == track.file.data
        async with session.get(url, headers={"Range": "bytes=10-19"}) as part:
            assert part.status == 206 and part.headers["Content-Range"] == f"bytes 10-19/{track.file.size}"
            assert await part.read() == track.file.data[10:20]
        async with session.get(url + "?download=1") as download:
            assert download.headers["Content-Disposition"].startswith("attachment;")
        async with session.get(f"{sandbox_bot.http.url}/sandbox/api/files/nope") as missing:
            assert missing.status == 404


async def test_page_and_api_exist_only_in_sandbox_mode(sandbox_bot: Runtime, live_bot: LiveBot) -> None:
    """With a real token there is no chat page; in sandbox mode it is served with a strict CSP."""
    async with aiohttp.ClientSession() as session:
        async with session.get(sandbox_bot.http.url + "/") as page:
            assert page.status == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
            assert '<script src="/sandbox/static/app.js"' in await page.text()
        async with session.get(sandbox_bot.http.url + "/sandbox/static/server.py") as other:
            assert other.status == 404
        for path in ("/", "/sandbox/api/users"):
            async with session.get(live_bot.runtime.http.url + path) as absent:
                assert absent.status == 404

"""The HTTP API end to end: the real bot against the Telegram stand-in, real SQLite, real HTTP on loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from tests.conftest import ADA, BOB, LiveBot
from tests.studio.helpers import Api, signed_init_data

ADMIN = 1009


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": frozenset({ADMIN})}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def mini_app(live_bot: LiveBot, session: aiohttp.ClientSession, user_id: int = ADA, **kw: Any) -> Api:
    init_data = signed_init_data(user_id, live_bot.clock(), **kw)
    return Api(session, live_bot.runtime.http.url, f"tma {init_data}")


async def jobs_of(live_bot: LiveBot, user_id: int) -> int:
    return await live_bot.runtime.services.studio.jobs.count_for_user(user_id)


async def test_a_mini_app_user_composes_and_gets_the_track_by_api_and_in_the_chat(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    api = mini_app(live_bot, session)
    status, me, _ = await api.call("GET", "/me")
    assert status == 200 and me["user_id"] == ADA and me["free_left"] == 4 and me["paid_credits"] == 0
    status, queued, _ = await api.call("POST", "/tracks", body={"prompt": "dark techno", "bpm": 128, "key": "Am",
                                                               "duration": 4, "seed": 7})  # fmt: skip
    assert status == 202 and queued["status"] == "queued", queued
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)
    assert len(live_bot.audio_messages(ADA)) == 1, "the finished track is also sent to the chat"
    status, track, _ = await api.call("GET", f"/tracks/{queued['id']}")
    assert status == 200 and track["status"] == "delivered"
    assert (track["bpm"], track["key"], track["seed"], track["duration"]) == (128, "A minor", 7, 4)
    status, mp3, answer = await api.call("GET", track["audio_url"].removeprefix("/api/v1"))
    assert status == 200 and answer.content_type == "audio/mpeg" and mp3[:3] == b"ID3"
    status, wav, answer = await api.call("GET", track["audio_url"].removeprefix("/api/v1") + "?format=wav")
    assert status == 200 and answer.content_type == "audio/wav" and wav[:4] == b"RIFF"
    status, cover, answer = await api.call("GET", f"/tracks/{queued['id']}/cover")
    assert status == 200 and answer.content_type == "image/jpeg" and cover[:2] == b"\xff\xd8"
    status, stems, answer = await api.call("GET", f"/tracks/{queued['id']}/stems")
    assert status == 200 and answer.content_type == "application/zip" and stems[:2] == b"PK"
    assert (await api.call("GET", f"/tracks/{queued['id']}/stems?part=2"))[0] == 404
    assert (await api.call("POST", f"/tracks/{queued['id']}/share"))[1] == {"shared": True, "already": False}
    assert (await api.call("POST", f"/tracks/{queued['id']}/share"))[1] == {"shared": True, "already": True}
    status, library, _ = await api.call("GET", "/tracks")
    assert status == 200 and [t["id"] for t in library["tracks"]] == [queued["id"]] and library["total"] == 1
    assert [t["id"] for t in (await api.call("GET", "/tracks?q=TECHNO"))[1]["tracks"]] == [queued["id"]]
    assert (await api.call("GET", "/tracks?q=polka"))[1] == {"tracks": [], "total": 0}
    assert (await api.call("GET", "/tracks?q=techno&offset=1"))[1] == {"tracks": [], "total": 1}
    assert (await api.call("GET", "/me"))[1]["free_left"] == 3, "the same quota as the chat"


async def test_another_persons_track_is_not_found(live_bot: LiveBot, session: aiohttp.ClientSession) -> None:
    status, queued, _ = await mini_app(live_bot, session).call("POST", "/tracks", body={"prompt": "calm piano 3s"})
    assert status == 202
    status, problem, _ = await mini_app(live_bot, session, BOB).call("GET", f"/tracks/{queued['id']}")
    assert status == 404 and problem["error"] == "not_found"
    assert (await mini_app(live_bot, session, BOB).call("GET", f"/tracks/{queued['id']}/audio"))[0] == 404


@pytest.mark.parametrize(
    "forge",
    ["one_field_changed", "wrong_token", "stale", "no_hash", "garbage", "empty", "other_scheme"],
)
async def test_forged_altered_or_stale_init_data_gets_401_and_nothing_else(
    live_bot: LiveBot, session: aiohttp.ClientSession, forge: str
) -> None:
    now = live_bot.clock()
    good = signed_init_data(ADA, now)
    header: str = {
        "one_field_changed": "tma " + good.replace("Ada", "Eve"),
        "wrong_token": "tma " + signed_init_data(ADA, now, token="999:OTHER-token-xxxxxxxxxxxxxxxxxxxx"),
        "stale": "tma " + signed_init_data(ADA, now - timedelta(days=1, seconds=1)),
        "no_hash": "tma " + re.sub(r"&hash=[0-9a-f]+", "", good),
        "garbage": "tma %%%",
        "empty": "tma ",
        "other_scheme": "Basic " + good,
    }[forge]
    api = Api(session, live_bot.runtime.http.url, header)
    for method, path, body in (("GET", "/me", None), ("POST", "/tracks", {"prompt": "x"}), ("GET", "/tracks", None)):
        status, problem, _ = await api.call(method, path, body=body)
        assert status == 401 and problem == {"error": "unauthorized", "message": problem["message"]}
    assert await live_bot.runtime.services.users.get(ADA) is None, "a refused caller is not even remembered"
    assert await jobs_of(live_bot, ADA) == 0
    assert not live_bot.standin.transcript(ADA)


async def test_an_init_data_a_day_old_still_works(live_bot: LiveBot, session: aiohttp.ClientSession) -> None:
    init_data = signed_init_data(ADA, live_bot.clock() - timedelta(days=1))
    assert (await Api(session, live_bot.runtime.http.url, f"tma {init_data}").call("GET", "/me"))[0] == 200


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"prompt": "techno", "bpm": 500}, "bpm"),
        ({"prompt": "techno", "key": "H"}, "key"),
        ({"prompt": ""}, "prompt"),
        ({"bpm": 100}, "prompt"),
        ({"prompt": "techno", "colour": "red"}, "colour"),
        ({"prompt": "techno", "duration": -3}, "duration"),
        ({"prompt": "bpm=120"}, "Add a few words"),
        ({"prompt": "techno wobble=3"}, "wobble"),
        ({"prompt": "techno\x07"}, "control characters"),
        ({"prompt": "techno key=Q"}, "isn't a key I know"),
        ("not an object", "Input should be"),
    ],
)
async def test_bad_input_gets_422_with_a_clear_message_and_spends_nothing(
    live_bot: LiveBot, session: aiohttp.ClientSession, body: Any, mentions: str
) -> None:
    api = mini_app(live_bot, session)
    status, problem, _ = await api.call("POST", "/tracks", body=body)
    assert status == 422 and problem["error"] == "invalid" and mentions in problem["message"], problem
    assert (await api.call("GET", "/me"))[1]["free_left"] == 4
    assert await jobs_of(live_bot, ADA) == 0


async def test_a_body_that_is_not_json_gets_422(live_bot: LiveBot, session: aiohttp.ClientSession) -> None:
    status, problem, _ = await mini_app(live_bot, session).call("POST", "/tracks", raw=b"{prompt: techno")
    assert status == 422 and "Invalid JSON" in problem["message"]


async def test_bad_library_and_audio_queries_get_422(live_bot: LiveBot, session: aiohttp.ClientSession) -> None:
    api = mini_app(live_bot, session)
    assert (await api.call("GET", "/tracks?limit=0"))[0] == 422
    assert (await api.call("GET", "/tracks?offset=x"))[0] == 422
    assert (await api.call("GET", "/tracks/1/audio?format=ogg"))[0] == 422


async def issue_key(live_bot: LiveBot, owner: int, name: str) -> tuple[int, str]:
    live_bot.standin.add_user(ADMIN, first_name="Root")
    answer = await live_bot.ask(ADMIN, f"/apikey new {owner} {name}", "API key")
    match = re.search(r"API key (\d+) .*\n(cm_[A-Za-z0-9_-]+)", answer.content)
    assert match, answer.content
    return int(match[1]), match[2]


async def test_an_admin_issues_a_key_that_spends_its_owners_credits_and_revokes_it(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    await live_bot.ask(BOB, "/start")
    key_id, key = await issue_key(live_bot, BOB, "Bob's jukebox")
    api = Api(session, live_bot.runtime.http.url, f"Bearer {key}")
    status, me, _ = await api.call("GET", "/me")
    assert status == 200 and me["user_id"] == BOB and me["first_name"] == "Bob"
    status, queued, _ = await api.call("POST", "/tracks", body={"prompt": "lofi beat", "duration": 3})
    assert status == 202
    language = live_bot.standin.world.users[BOB].get("language_code")  # Bob's Telegram speaks German
    done = live_bot.runtime.services.texts.get(language, "status.done", prompt="").split(":")[0]
    await live_bot.reply(BOB, lambda m: m.content.startswith(done), 15)
    assert (await api.call("GET", "/me"))[1]["free_left"] == 3
    assert "cm_" not in str(await live_bot.runtime.core.db.fetchall("SELECT * FROM api_keys")), "stored hashed"
    usage = await live_bot.ask(ADMIN, "/apikey", "/apikey new")  # HTML: the placeholders must be escaped
    assert "/apikey new <user id> <name>" in usage.content
    await live_bot.ask(ADMIN, f"/apikey revoke {key_id}", "revoked")
    for path in ("/me", f"/tracks/{queued['id']}", "/tracks"):
        status, problem, _ = await api.call("GET", path)
        assert status == 401 and problem["error"] == "unauthorized"
    assert "revoked" in (await live_bot.ask(ADMIN, f"/apikey list {BOB}", "API keys")).content


async def test_a_made_up_key_gets_401(live_bot: LiveBot, session: aiohttp.ClientSession) -> None:
    api = Api(session, live_bot.runtime.http.url, "Bearer cm_not-a-key")
    assert (await api.call("GET", "/me"))[0] == 401


async def test_apikey_is_for_admins_only(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/start")
    answer = await live_bot.ask(ADA, f"/apikey new {ADA} mine")
    assert "cm_" not in answer.content
    assert not await live_bot.runtime.core.db.fetchall("SELECT * FROM api_keys")


class TestLimits:
    @pytest.fixture
    def bot_settings(self) -> dict[str, Any]:
        return {"admin_ids": frozenset({ADMIN}), "api_rate_limit": 3, "api_ip_rate_limit": 5}

    async def test_a_caller_over_its_limit_gets_429_until_the_minute_passes(
        self, live_bot: LiveBot, session: aiohttp.ClientSession
    ) -> None:
        ada, bob = mini_app(live_bot, session), mini_app(live_bot, session, BOB, first_name="Bob")
        assert [(await ada.call("GET", "/me"))[0] for _ in range(3)] == [200, 200, 200]
        status, problem, answer = await ada.call("GET", "/me")
        assert status == 429 and problem["error"] == "rate_limited" and int(answer.headers["Retry-After"]) >= 1
        assert (await bob.call("GET", "/me"))[0] == 200, "the limit is per caller"
        live_bot.clock.advance(seconds=61)
        assert (await mini_app(live_bot, session).call("GET", "/me"))[0] == 200

    async def test_an_api_key_has_its_own_limit(self, live_bot: LiveBot, session: aiohttp.ClientSession) -> None:
        _, key = await issue_key(live_bot, BOB, "busy client")
        api = Api(session, live_bot.runtime.http.url, f"Bearer {key}")
        assert [(await api.call("GET", "/me"))[0] for _ in range(4)] == [200, 200, 200, 429]
        assert (await mini_app(live_bot, session, BOB, first_name="Bob").call("GET", "/me"))[0] == 200

    async def test_an_address_over_its_limit_gets_429_even_unauthenticated(
        self, live_bot: LiveBot, session: aiohttp.ClientSession
    ) -> None:
        anonymous = Api(session, live_bot.runtime.http.url, "tma forged")
        spoofed = [{"X-Forwarded-For": f"10.0.0.{n}"} for n in range(6)]
        statuses = [(await anonymous.call("GET", "/me", headers=h))[0] for h in spoofed]
        assert statuses == [401] * 5 + [429], "X-Forwarded-For from an untrusted peer is ignored"


class TestTrustedProxy:
    @pytest.fixture
    def bot_settings(self) -> dict[str, Any]:
        return {"api_ip_rate_limit": 2, "trusted_proxies": "127.0.0.1"}

    async def test_x_forwarded_for_counts_from_a_trusted_proxy(
        self, live_bot: LiveBot, session: aiohttp.ClientSession
    ) -> None:
        anonymous = Api(session, live_bot.runtime.http.url, "tma forged")
        first = [(await anonymous.call("GET", "/me", headers={"X-Forwarded-For": "203.0.113.7"}))[0] for _ in range(3)]
        assert first == [401, 401, 429]
        assert (await anonymous.call("GET", "/me", headers={"X-Forwarded-For": "203.0.113.8"}))[0] == 401


async def test_the_openapi_document_is_generated_from_the_validating_models(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    async with session.get(live_bot.runtime.http.url + "/api/v1/openapi.json") as answer:
        document = await answer.json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/me", "/api/v1/tracks", "/api/v1/tracks/{id}", "/api/v1/tracks/{id}/audio", "/api/v1/tracks/{id}/cover",
        "/api/v1/packs", "/api/v1/invoices", "/api/v1/checkout", "/api/v1/link", "/api/v1/tracks/{id}/stems",
        "/api/v1/tracks/{id}/share", "/api/v1/engines",
    }  # fmt: skip
    assert set(document["paths"]["/api/v1/tracks"]) == {"get", "post"}
    request = document["components"]["schemas"]["TrackRequest"]
    assert request["properties"]["bpm"]["anyOf"][0]["maximum"] == 220 and request["required"] == ["prompt"]
    post = document["paths"]["/api/v1/tracks"]["post"]
    assert {"202", "401", "402", "422", "429"} <= set(post["responses"])

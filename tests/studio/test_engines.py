"""Choosing the engine/model from the studio: the offer (price, licence, capabilities) from the catalogue, the
``engine`` field of a track request validated against it, and a dearer model paid from bought credits only — as
in the chat. The real bot against the Telegram stand-in, real SQLite, real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.conftest import ADA, BOB, LiveBot
from tests.studio.helpers import Api, signed_init_data


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"engines": "mock,synth", "model_costs": "synth=3", "takes_per_prompt": "synth=1,mock=1"}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def mini_app(live_bot: LiveBot, session: aiohttp.ClientSession, user_id: int = ADA) -> Api:
    return Api(session, live_bot.runtime.http.url, "tma " + signed_init_data(user_id, live_bot.clock()))


async def grant(live_bot: LiveBot, user_id: int, credits: int) -> None:
    services = live_bot.runtime.services
    await services.studio.credits.add_paid(services.fingerprint(user_id), credits, kind="grant", reference="grant")


async def test_the_engines_on_offer_come_with_price_licence_and_capabilities(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    status, offer, _ = await mini_app(live_bot, session).call("GET", "/engines")
    assert status == 200, offer
    assert [(e["key"], e["cost"], e["default"]) for e in offer["engines"]] == [("mock", 1, True), ("synth", 3, False)]
    synth = offer["engines"][1]
    assert synth["model"] == "synth-1" and synth["takes"] == 1 and "numpy" in synth["description"]
    assert synth["license"] == {
        "id": "CC0-1.0", "name": "CC0 1.0 — CloudMusic synth output",
        "url": "https://creativecommons.org/publicdomain/zero/1.0/", "commercial_use": True,
    }  # fmt: skip
    assert synth["capabilities"] | {"max_duration": 0} == {
        "max_duration": 0, "min_duration": 5.0, "can_loop": True, "can_continue": False, "stems": True,
        "vocals": False, "commercial_use": True,
    }  # fmt: skip
    assert offer["chosen"] == "mock", "nobody picked one: the default"
    async with session.get(live_bot.runtime.http.url + "/api/v1/openapi.json") as answer:
        document = await answer.json()
    assert "/api/v1/engines" in document["paths"]
    assert "engine" in document["components"]["schemas"]["TrackRequest"]["properties"]


async def test_an_unknown_engine_gets_422_naming_the_offer_and_spends_nothing(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    api = mini_app(live_bot, session)
    status, problem, _ = await api.call("POST", "/tracks", body={"prompt": "techno", "engine": "polka-9000"})
    assert status == 422 and problem["error"] == "invalid", problem
    assert "polka-9000" in problem["message"] and "mock, synth" in problem["message"]
    status, problem, _ = await api.call("POST", "/tracks", body={"prompt": "techno", "engine": "bad name!"})
    assert status == 422 and "engine" in problem["message"]
    assert (await api.call("GET", "/me"))[1]["free_left"] == 4
    assert await live_bot.runtime.services.studio.jobs.count_for_user(ADA) == 0


async def test_a_dearer_model_is_paid_from_bought_credits_only(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    api = mini_app(live_bot, session)
    request = {"prompt": "dreamy synthwave", "duration": 5, "engine": "synth"}
    status, problem, _ = await api.call("POST", "/tracks", body=request)
    assert status == 402 and problem["error"] == "paid_only", problem
    assert "costs 3 credits" in problem["message"] and "You have 0" in problem["message"]
    assert await live_bot.runtime.services.studio.jobs.count_for_user(ADA) == 0, "nothing queued, nothing spent"

    await grant(live_bot, ADA, 3)
    status, queued, _ = await api.call("POST", "/tracks", body=request)
    assert status == 202, queued
    _, me, _ = await api.call("GET", "/me")
    assert (me["free_left"], me["paid_credits"]) == (4, 0), "three bought credits, no free track"
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), 30)
    status, track, _ = await api.call("GET", f"/tracks/{queued['id']}")
    assert status == 200 and track["status"] == "delivered" and track["engine"] == "synth", track


async def test_without_an_engine_the_persons_chat_choice_applies(
    live_bot: LiveBot, session: aiohttp.ClientSession
) -> None:
    await live_bot.ask(BOB, "/engine synth", "synth")
    status, offer, _ = await mini_app(live_bot, session, BOB).call("GET", "/engines")
    assert status == 200 and offer["chosen"] == "synth"
    status, problem, _ = await mini_app(live_bot, session, BOB).call("POST", "/tracks", body={"prompt": "ambient"})
    assert status == 402 and problem["error"] == "paid_only", "the chat's /engine choice, at its price"
    status, queued, _ = await mini_app(live_bot, session).call("POST", "/tracks", body={"prompt": "ambient 2s"})
    assert status == 202 and queued["status"] == "queued", "Ada chose nothing: the 1-credit default, free"

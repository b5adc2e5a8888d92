"""``GET /metrics``, read back with the Prometheus client's own parser after real traffic through the stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ADA, LiveBot


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"free_daily_quota": 1}


async def scrape(live_bot: LiveBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the bot's /metrics, keyed by (sample name, sorted labels)."""
    async with aiohttp.ClientSession() as session, session.get(live_bot.runtime.http.url + "/metrics") as response:
        assert response.status == 200 and response.content_type == "text/plain"
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_updates_generations_decisions_and_telegram_errors(live_bot: LiveBot) -> None:
    before = await scrape(live_bot)
    assert value(before, "cloudmusic_queue_depth", engine="mock") == 0

    await live_bot.say(ADA, "warm lo-fi 2s")  # ALLOW free, delivered
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=15)
    await live_bot.ask(ADA, "another one 2s", "free tracks")  # BLOCK quota: the one free track is used
    live_bot.standin.inject_fault("sendMessage", kind="403", chat_id=ADA)  # the answer to /help is refused
    await live_bot.say(ADA, "/help")
    for _ in range(100):  # nothing reaches the chat: wait until the refused call has been counted
        after = await scrape(live_bot)
        if value(after, "cloudmusic_telegram_api_errors_total", method="sendMessage", kind="Forbidden"):
            break
        await asyncio.sleep(0.05)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("cloudmusic_updates_total", kind="message") == 3
    assert moved("cloudmusic_quota_decisions_total", decision="allow_free") == 1
    assert moved("cloudmusic_quota_decisions_total", decision="block_quota") == 1
    assert moved("cloudmusic_quota_decisions_total", decision="allow_paid") == 0
    assert moved("cloudmusic_generations_total", engine="mock", outcome="delivered") == 1
    assert moved("cloudmusic_generations_total", engine="mock", outcome="failed") == 0
    assert moved("cloudmusic_generation_seconds_count", engine="mock") == 1
    assert moved("cloudmusic_telegram_api_errors_total", method="sendMessage", kind="Forbidden") == 1
    assert sum(v for (name, _), v in after.items() if name == "cloudmusic_telegram_api_errors_total") == 1
    assert value(after, "cloudmusic_queue_depth", engine="mock") == 0
    assert sum(v for (name, _), v in after.items() if name == "cloudmusic_payments_total") == 0


async def test_two_bots_in_one_process_keep_separate_registries(live_bot: LiveBot) -> None:
    from bot.metrics import Metrics

    async def no_depth() -> dict[str, int]:
        return {}

    other = Metrics(["mock"], no_depth)  # would raise "Duplicated timeseries" on a shared registry
    other.updates.labels("message").inc(5)
    samples = await scrape(live_bot)
    assert value(samples, "cloudmusic_updates_total", kind="message") == 0

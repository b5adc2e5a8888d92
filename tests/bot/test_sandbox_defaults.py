"""Sandbox mode works out of the box: the page's Admin is an admin and its Channel tab fills (issue 14, item 4).

Without ``ADMIN_IDS`` and ``TEASER_CHANNEL``, a plain ``make run`` used to show an "Admin" who could not run admin
commands and a Channel tab that could never fill. Explicit settings still win, and a real token gets no defaults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.__main__ import Runtime, running_bot
from bot.settings import SANDBOX_ADMIN_ID, SANDBOX_TEASER_CHANNEL, Settings
from standin.web.cast import ADA, ADMIN_FALLBACK, CHANNEL_ID, CHANNEL_USERNAME, sandbox_cast
from storage import LedgerRepository
from tests.conftest import TOKEN


def settings(**values: Any) -> Settings:
    """Settings read from nothing but ``values`` (no environment file)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_sandbox_defaults_match_the_page_cast() -> None:
    assert SANDBOX_ADMIN_ID == ADMIN_FALLBACK and f"@{CHANNEL_USERNAME}" == SANDBOX_TEASER_CHANNEL


def test_sandbox_mode_makes_the_simulated_admin_an_admin_and_configures_a_teaser_channel() -> None:
    sandbox = settings(telegram_bot_token=None)
    assert sandbox.admin_ids == {SANDBOX_ADMIN_ID} and sandbox.teaser_channel == SANDBOX_TEASER_CHANNEL
    cast = sandbox_cast(sandbox.telegram.admin_ids, sandbox.teaser_channel)
    admin = cast.person(SANDBOX_ADMIN_ID)
    assert admin is not None and admin.admin and cast.channel.username == CHANNEL_USERNAME


def test_explicit_settings_win_over_the_sandbox_defaults() -> None:
    chosen = settings(telegram_bot_token=None, admin_ids="1001", teaser_channel="")
    assert chosen.admin_ids == {1001} and chosen.teaser_channel is None


def test_a_real_token_gets_no_sandbox_defaults() -> None:
    real = settings(telegram_bot_token=TOKEN)
    assert real.admin_ids == frozenset() and real.teaser_channel is None


@pytest.fixture
async def plain_sandbox(tmp_path: Path) -> AsyncIterator[Runtime]:
    """The bot in sandbox mode with nothing configured but the engine and ports (as a plain ``make run``)."""
    values: dict[str, Any] = {
        "telegram_bot_token": None,
        "data_dir": tmp_path / "data",
        "engine": "mock",
        "http_port": 0,
        "teaser_time": "23:59",  # no catch-up post at start: the admin's /teaser posts below
        "teaser_timezone": "Pacific/Kiritimati",
        "shutdown_grace": 0,
    }
    async with running_bot(settings(**values), poll_timeout=1) as runtime:
        assert runtime.standin is not None
        runtime.standin.set_language(SANDBOX_ADMIN_ID, "en")
        yield runtime
        assert not runtime.standin.violations, f"the bot made invalid Bot API calls: {runtime.standin.violations}"


async def test_in_a_plain_sandbox_the_admin_runs_admin_commands_and_the_channel_fills(plain_sandbox: Runtime) -> None:
    standin = plain_sandbox.standin
    assert standin is not None
    await standin.send_text(SANDBOX_ADMIN_ID, "/stats")
    stats = await standin.wait_for(SANDBOX_ADMIN_ID, lambda m: "CloudMusic" in m.content and "Users" in m.content)
    assert "Generations" in stats.content
    assert not [m for m in standin.transcript(CHANNEL_ID) if m.from_bot], "nothing posted before the teaser runs"
    await standin.send_text(SANDBOX_ADMIN_ID, "/teaser")
    post = await standin.wait_for(CHANNEL_ID, lambda m: m.kind == "audio", timeout=60)
    assert post.buttons and "start=teaser_" in (post.buttons[0].url or "")


@pytest.fixture
async def hosted_sandbox(tmp_path: Path) -> AsyncIterator[Runtime]:
    """The bot in sandbox mode with SANDBOX_HOSTED=true: Replicate and Stripe stand-ins started beside it."""
    values: dict[str, Any] = {
        "telegram_bot_token": None,
        "sandbox_hosted": True,
        "data_dir": tmp_path / "data",
        "engine": "mock",
        "http_port": 0,
        "teaser_channel": "",
        "shutdown_grace": 0,
    }
    async with running_bot(settings(**values), poll_timeout=1) as runtime:
        assert runtime.standin is not None
        runtime.standin.set_language(ADA, "en")
        yield runtime
        assert not runtime.standin.violations, f"the bot made invalid Bot API calls: {runtime.standin.violations}"


async def test_sandbox_hosted_pays_by_card_end_to_end(hosted_sandbox: Runtime) -> None:
    """/buy → the card button → the Checkout link → Pay on the Stripe stand-in's page → the bot credits Ada once."""
    standin = hosted_sandbox.standin
    assert standin is not None
    await standin.send_text(ADA, "/buy")
    menu = await standin.wait_for(ADA, lambda m: any(b.callback_data == "card:10" for b in m.buttons))
    await standin.press_button(ADA, menu.message_id, "card:10")
    link = await standin.wait_for(ADA, lambda m: "Stripe" in m.content and bool(m.buttons))
    (button,) = link.buttons
    assert button.url is not None
    async with aiohttp.ClientSession() as browser:
        async with browser.get(button.url) as page:
            assert page.status == 200 and "Pay" in await page.text()
        async with browser.post(button.url) as paid:
            assert paid.status == 200 and "Paid" in await paid.text()
        async with browser.post(button.url) as again:  # a second press of Pay on the same page
            assert again.status == 200 and "Already paid" in await again.text()
    told = await standin.wait_for(ADA, lambda m: "Payment received" in m.content, since=0, timeout=10)
    assert "10 credits added" in told.content
    balance = await LedgerRepository(hosted_sandbox.core.db).balance(hosted_sandbox.services.fingerprint(ADA), "paid")
    assert balance == 10
    assert sum("Payment received" in m.content for m in standin.transcript(ADA)) == 1


async def test_sandbox_hosted_composes_with_a_hosted_engine_end_to_end(hosted_sandbox: Runtime) -> None:
    """Replicate's MusicGen is offered beside the default engine, and a track made on the stand-in reaches Ada."""
    standin = hosted_sandbox.standin
    assert standin is not None
    await standin.send_text(ADA, "/engine musicgen")
    await standin.wait_for(ADA, lambda m: "From now on" in m.content and "musicgen" in m.content)
    await standin.send_text(ADA, "calm ambient pads 5s")
    await standin.wait_for(ADA, lambda m: m.content.startswith("✅ Done"), timeout=30)
    (track,) = [m for m in standin.transcript(ADA) if m.from_bot and m.kind == "audio"]
    assert "replicate" in track.content and "musicgen" in track.content

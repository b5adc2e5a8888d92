"""Fixtures: a running stand-in, a real PTB ``Bot`` pointed at it, and a polling PTB ``Application``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder

from standin import TelegramStandIn

TOKEN = "123456:TEST-TOKEN"
ADA = 1001

App = Application[Any, Any, Any, Any, Any, Any]
StartApp = Callable[[App], Awaitable[App]]


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    """A stand-in on an ephemeral port with one user, Ada (1001)."""
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as running:
        running.add_user(ADA, first_name="Ada", language_code="en")
        yield running


@pytest.fixture
async def bot(standin: TelegramStandIn) -> AsyncIterator[Bot]:
    """A real PTB Bot talking to the stand-in over HTTP."""
    async with Bot(TOKEN, base_url=standin.base_url, base_file_url=standin.file_base_url) as real_bot:
        yield real_bot


def build_app(standin: TelegramStandIn) -> App:
    """A PTB Application wired to the stand-in, exactly as production would build it."""
    return (
        ApplicationBuilder()
        .token(standin.token)
        .base_url(standin.base_url)
        .base_file_url(standin.file_base_url)
        .build()
    )


@pytest.fixture
async def polling(standin: TelegramStandIn) -> AsyncIterator[StartApp]:
    """Start a PTB Application polling the stand-in (add handlers first); stopped in reverse order after."""
    started: list[App] = []

    async def start(app: App) -> App:
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)
        started.append(app)
        return app

    yield start
    for app in reversed(started):
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

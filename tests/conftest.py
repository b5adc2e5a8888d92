"""Shared fixtures: the whole bot running against the Telegram stand-in, and a settable clock.

``live_bot`` starts the real wiring (``bot.__main__.running_bot``) with ``ENGINE=mock`` against a
:class:`TelegramStandIn` on 127.0.0.1, and fails the test if the bot made any call the official Bot API
description rejects.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.__main__ import Runtime, running_bot
from bot.settings import Settings
from standin import ChatMessage, TelegramStandIn
from standin.replicate_standin import ReplicateStandIn
from storage import Database
from storage.backends import connect
from tests.pg_server import REQUIRE, PostgresServer, binaries
from tests.s3_server import S3Server, running_s3_server, s3_credentials_in_env

TOKEN = "123456:TEST-cloudmusic-e2e-token-0000"
ADA, BOB = 1001, 1002


class Clock:
    """A clock tests can move; starts at noon UTC on a fixed day."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_settings(data_dir: Path, standin: TelegramStandIn, **overrides: Any) -> Settings:
    """Settings for a bot talking to ``standin`` with the mock engine."""
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": standin.base_url,
        "data_dir": data_dir,
        "engine": "mock",
        "http_port": 0,
        "fingerprint_secret": "test-fingerprint-secret",
        "generation_workers": 2,
        "shutdown_grace": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class LiveBot:
    """A running bot and the people around it."""

    standin: TelegramStandIn
    runtime: Runtime
    clock: Clock

    async def say(self, user_id: int, text: str) -> None:
        """The person sends ``text``."""
        await self.standin.send_text(user_id, text)

    async def reply(
        self, user_id: int, predicate: Callable[[ChatMessage], bool] = lambda m: True, timeout: float = 10.0
    ) -> ChatMessage:
        """The bot's next message (or edit) in the person's chat that matches ``predicate``."""
        return await self.standin.wait_for(user_id, predicate, timeout=timeout)

    async def ask(self, user_id: int, text: str, contains: str = "", timeout: float = 10.0) -> ChatMessage:
        """Send ``text`` and wait for a reply containing ``contains``."""
        await self.say(user_id, text)
        return await self.reply(user_id, lambda m: contains in m.content, timeout)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until the bot has taken every update Telegram holds for it and finished handling each one.

        The proof that nothing more is coming from those updates, instead of sleeping: the stand-in forgets an
        update only when the bot's next poll confirms it, which the updater sends after queueing the update, and
        PTB marks a queued update done only after its handlers return.
        """
        async with asyncio.timeout(timeout):
            while self.standin.pending_updates:
                await asyncio.sleep(0.01)
            await self.runtime.application.update_queue.join()

    async def callback_answer(self, query_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The bot's answer to a button press, once it has answered."""
        async with asyncio.timeout(timeout):
            while (answer := self.standin.callback_answer(query_id)) is None:
                await asyncio.sleep(0.01)
        return answer

    def audio_messages(self, user_id: int) -> list[ChatMessage]:
        """Every audio the bot sent the person."""
        return [m for m in self.standin.transcript(user_id) if m.from_bot and m.kind == "audio"]


@pytest.fixture
def clock() -> Clock:
    """A settable clock."""
    return Clock()


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    """A Telegram stand-in with two people, Ada and Bob; any Bot API violation fails the test."""
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as running:
        running.add_user(ADA, first_name="Ada", language_code="en")
        running.add_user(BOB, first_name="Bob", language_code="de")
        yield running
        assert not running.violations, f"the bot made invalid Bot API calls: {running.violations}"


@pytest.fixture
async def replicate_standin() -> AsyncIterator[ReplicateStandIn]:
    """A started Replicate stand-in, stopped after the test."""
    async with ReplicateStandIn() as started:
        yield started


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    """Per-test setting overrides for ``live_bot`` (override this fixture or mutate it before use)."""
    return {}


@pytest.fixture
async def live_bot(
    tmp_path: Path, standin: TelegramStandIn, clock: Clock, bot_settings: dict[str, Any], request: pytest.FixtureRequest
) -> AsyncIterator[LiveBot]:
    """The whole bot, polling the stand-in (on a fresh PostgreSQL database when the test is marked ``postgresql``)."""
    on_postgres = os.environ.get("CLOUDMUSIC_TEST_DATABASE") == "postgresql"  # every live_bot on PostgreSQL
    if on_postgres or request.node.get_closest_marker("postgresql") is not None:
        bot_settings = {**bot_settings, "database_url": request.getfixturevalue("postgres_url")}
    settings = make_settings(tmp_path / "data", standin, **bot_settings)
    async with running_bot(settings, clock=clock, poll_timeout=1) as runtime:
        yield LiveBot(standin, runtime, clock)


# --- PostgreSQL: one throwaway server per session, a fresh database per test -------------------------------------

TEMPLATE = "cloudmusic_template"
_database_names = itertools.count(1)
_postgres_missing: list[str] = []
#: The words every "needs a system program that is missing" skip carries; the end of the run repeats those reasons.
NOT_RUN = "NOT RUN"


def _admin(server: PostgresServer, sql: str) -> None:
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.encode())


def _migrate(url: str) -> None:
    async def run() -> None:
        db = await connect(url, Path("."))
        await db.close()

    with ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever loop the calling test runs
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """A PostgreSQL server with a migrated template database; None (and a loud summary line) without binaries."""
    bin_dir = binaries()
    if bin_dir is None:
        reason = f"POSTGRESQL TESTS {NOT_RUN}: binaries (initdb, pg_ctl) not found: apt-get install postgresql"
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{REQUIRE}=1 but {reason}")
        _postgres_missing.append(reason)
        yield None
        return
    server = PostgresServer.start(bin_dir)
    try:
        _admin(server, f"CREATE DATABASE {TEMPLATE}")
        _migrate(server.url(TEMPLATE))
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer | None) -> Iterator[str]:
    """A DATABASE_URL for a fresh, migrated PostgreSQL database (copied from the template: fast)."""
    if postgres_server is None:
        pytest.skip(_postgres_missing[0])
    name = f"test_{os.getpid()}_{next(_database_names)}"
    _admin(postgres_server, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield postgres_server.url(name)
    _admin(postgres_server, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """DATABASE_URL of each backend in turn: a SQLite file in tmp_path, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cloudmusic.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def any_db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """An open, migrated database of each backend in turn."""
    db = await connect(database_url, tmp_path)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """An S3-compatible server (moto) on loopback for the whole run, with throwaway AWS_* credentials set."""
    with s3_credentials_in_env(), running_s3_server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket on :func:`s3_server`."""
    return s3_server.new_bucket()


def pytest_configure(config: pytest.Config) -> None:
    """Register our markers (``xdist_group`` too, so ``--strict-markers`` accepts it when pytest-xdist is absent)."""
    config.addinivalue_line("markers", "postgresql: run live_bot on a throwaway PostgreSQL database")
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one pytest-xdist worker")


_not_run: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Note each test skipped because a system program is missing (its reason says NOT RUN).

    This hook runs where the reports are gathered — under pytest-xdist that is the controller, whose own fixtures
    never run — so the summary below hears of the skips in every worker.
    """
    if report.skipped and isinstance(report.longrepr, tuple) and NOT_RUN in str(report.longrepr[2]):
        _not_run.append(str(report.longrepr[2]).removeprefix("Skipped: "))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say loudly, at the very end, which tests did not run for want of a system program, and how to get it."""
    for reason in dict.fromkeys(_not_run):
        terminalreporter.write_sep("!", reason, red=True, bold=True)

"""The essential end-to-end chats (quota and recovery here; payments in the two modules beside) on PostgreSQL.

The same test functions run on SQLite where they are defined; imported here, this module's ``postgresql`` mark
makes ``live_bot`` (tests/conftest.py) start the bot with ``DATABASE_URL`` naming a fresh PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from standin import TelegramStandIn
from storage import JobRepository, LedgerRepository
from storage.backends import connect
from tests.bot.test_generation_e2e import (
    test_an_engine_failure_returns_the_credit_and_says_so,
    test_cancel_stops_the_running_job_and_returns_the_credit,
    test_the_fifth_prompt_of_the_day_is_blocked_until_midnight,
)
from tests.bot.test_process import bot_env, bot_process, read_until
from tests.conftest import ADA, TOKEN, LiveBot

pytestmark = pytest.mark.postgresql

__all__ = [
    "test_an_engine_failure_returns_the_credit_and_says_so",
    "test_cancel_stops_the_running_job_and_returns_the_credit",
    "test_the_fifth_prompt_of_the_day_is_blocked_until_midnight",
]


async def _ledger_kinds(url: str, tmp_path: Path) -> tuple[str, list[str]]:
    db = await connect(url, tmp_path)
    try:
        (job,) = await JobRepository(db).for_user(ADA)
        return job.status, [e.kind for e in await LedgerRepository(db).entries(job.fingerprint)]
    finally:
        await db.close()


async def test_on_postgresql_a_job_cut_off_by_sigterm_is_delivered_once_by_the_next_start(
    tmp_path: Path, postgres_url: str
) -> None:
    """Recovery: ``python -m bot`` with DATABASE_URL=postgresql://… re-queues on SIGTERM; the next start delivers."""
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_user(ADA, first_name="Ada")
        env = bot_env(
            tmp_path / "data", ENGINE="mock", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=standin.base_url
        )
        env.update(SHUTDOWN_GRACE="0", DATABASE_URL=postgres_url)
        async with bot_process(env) as first:
            await read_until(first, "CloudMusic is running", within=90)
            await standin.send_text(ADA, "[slow:3] come back to me 2s")
            await read_until(first, "started on engine", within=60)
            first.send_signal(signal.SIGTERM)
            await read_until(first, "interrupted by shutdown; re-queued", within=60)
            async with asyncio.timeout(60):
                assert await first.wait() == 0
        assert await _ledger_kinds(postgres_url, tmp_path) == ("queued", ["reserve"])
        async with bot_process(env) as second:
            await read_until(second, "CloudMusic is running", within=90)
            await standin.wait_for(ADA, lambda m: m.content.startswith("✅ Done"), timeout=60, since=0)
            second.send_signal(signal.SIGTERM)
            async with asyncio.timeout(60):
                assert await second.wait() == 0
        assert len([m for m in standin.transcript(ADA) if m.from_bot and m.kind == "audio"]) == 1
        assert not standin.violations
    assert not (tmp_path / "data" / "cloudmusic.db").exists(), "no SQLite file beside a PostgreSQL database"
    assert await _ledger_kinds(postgres_url, tmp_path) == ("delivered", ["reserve", "commit"])


async def test_healthz_names_the_postgresql_backend(live_bot: LiveBot) -> None:
    async with aiohttp.ClientSession() as session, session.get(live_bot.runtime.http.url + "/healthz") as response:
        body = await response.json()
    # Only the database checks: a loaded machine may fail the event-loop check, and that is not what is tested here.
    assert body["database"] == "ok" and body["database_backend"] == "postgresql"

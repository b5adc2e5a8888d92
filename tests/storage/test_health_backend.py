"""``/healthz`` names the database backend (the PostgreSQL case is in test_e2e_postgres.py)."""

from __future__ import annotations

import aiohttp

from tests.conftest import LiveBot


async def test_healthz_names_the_sqlite_backend(live_bot: LiveBot) -> None:
    async with aiohttp.ClientSession() as session, session.get(live_bot.runtime.http.url + "/healthz") as response:
        body = await response.json()
    # Only the database checks: a loaded machine may fail the event-loop check, and that is not what is tested here.
    assert body["database"] == "ok" and body["database_backend"] == "sqlite"

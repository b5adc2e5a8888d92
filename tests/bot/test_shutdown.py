"""SIGTERM during a generation loses nothing: ``python -m bot`` as a real process against the stand-in.

With time to spare (SHUTDOWN_GRACE) the running track is delivered before the process exits; without, the job
is put back in the queue with its credit still reserved, and the next start delivers it exactly once.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from standin import TelegramStandIn
from storage import Database, JobRepository, LedgerRepository
from tests.bot.test_process import bot_env, bot_process, read_until
from tests.conftest import ADA, TOKEN


def audios(standin: TelegramStandIn) -> int:
    return len([m for m in standin.transcript(ADA) if m.from_bot and m.kind == "audio"])


async def ledger_kinds(data: Path) -> tuple[str, list[str]]:
    async with await Database.open(data / "cloudmusic.db") as db:
        (job,) = await JobRepository(db).for_user(ADA)
        return job.status, [e.kind for e in await LedgerRepository(db).entries(job.fingerprint)]


async def test_sigterm_with_grace_delivers_the_running_track_before_exiting(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_user(ADA, first_name="Ada")
        env = bot_env(data, ENGINE="mock", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=standin.base_url)
        async with bot_process({**env, "SHUTDOWN_GRACE": "10"}) as process:
            await read_until(process, "CloudMusic is running")
            await standin.send_text(ADA, "[slow:3] finish me first 2s")
            await read_until(process, "started on engine", within=20)  # a worker has the job now
            process.send_signal(signal.SIGTERM)
            log = await read_until(process, "CloudMusic is stopping", within=5)
            async with asyncio.timeout(20):
                assert await process.wait() == 0
            assert audios(standin) == 1, "delivered before the process exited"
        assert not standin.violations
    assert "CloudMusic is stopping" in log
    assert await ledger_kinds(data) == ("delivered", ["reserve", "commit"])


async def test_sigterm_without_grace_requeues_the_job_and_a_restart_delivers_it_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_user(ADA, first_name="Ada")
        env = bot_env(data, ENGINE="mock", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=standin.base_url)
        env["SHUTDOWN_GRACE"] = "0"
        async with bot_process(env) as first:
            await read_until(first, "CloudMusic is running")
            await standin.send_text(ADA, "[slow:3] come back to me 2s")
            await read_until(first, "started on engine", within=20)  # a worker has the job now
            first.send_signal(signal.SIGTERM)
            await read_until(first, "interrupted by shutdown; re-queued", within=10)
            async with asyncio.timeout(20):
                assert await first.wait() == 0
        assert audios(standin) == 0
        assert await ledger_kinds(data) == ("queued", ["reserve"]), "re-queued with its credit still reserved"

        async with bot_process(env) as second:
            await read_until(second, "CloudMusic is running")
            await standin.wait_for(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20, since=0)
            second.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                assert await second.wait() == 0
        assert audios(standin) == 1, "delivered exactly once"
        assert not standin.violations
    assert await ledger_kinds(data) == ("delivered", ["reserve", "commit"]), "charged exactly once"

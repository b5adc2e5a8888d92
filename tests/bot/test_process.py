"""``python -m bot`` as a real process: sandbox mode with no token, SIGTERM, and SIGKILL in mid-generation."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from standin import TelegramStandIn
from storage import Database, JobRepository, LedgerRepository
from tests.conftest import ADA, TOKEN

ROOT = Path(__file__).resolve().parents[2]


def bot_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STRIPE_", "REPLICATE_"))}
    env.update(DATA_DIR=str(data_dir), HTTP_PORT="0", FINGERPRINT_SECRET="process-test-secret", LOG_LEVEL="INFO")
    env.update(extra)
    return env


@asynccontextmanager
async def bot_process(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_until(process: asyncio.subprocess.Process, marker: str, within: float = 30.0) -> str:
    """Read the process's log until a line contains ``marker``; returns everything read."""
    assert process.stdout is not None
    seen = ""
    async with asyncio.timeout(within):
        while marker not in seen:
            line = await process.stdout.readline()
            if not line:
                raise AssertionError(f"the bot exited before logging {marker!r}:\n{seen}")
            seen += line.decode()
    return seen


async def test_without_a_token_it_runs_in_sandbox_mode_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = bot_env(tmp_path / "data", ENGINE="mock")
    async with bot_process(env) as process:
        log = await read_until(process, "CloudMusic is running")
        assert "sandbox mode" in log and "TELEGRAM_BOT_TOKEN is not set" in log
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await process.wait() == 0
    assert (tmp_path / "data" / "sandbox" / "cloudmusic.db").exists(), "the sandbox keeps its own database"
    assert not (tmp_path / "data" / "cloudmusic.db").exists()


async def test_an_unknown_engine_stops_start_up_with_the_known_names(tmp_path: Path) -> None:
    async with bot_process(bot_env(tmp_path / "data", ENGINE="nope")) as process:
        async with asyncio.timeout(30):
            out, _ = await process.communicate()
    assert process.returncode == 1
    text = out.decode()
    assert "ENGINE" in text and "nope" in text and "mock" in text and "synth" in text


async def test_replicate_without_a_token_stops_start_up_naming_the_token(tmp_path: Path) -> None:
    async with bot_process(bot_env(tmp_path / "data", ENGINE="replicate")) as process:
        async with asyncio.timeout(30):
            out, _ = await process.communicate()
    assert process.returncode == 1
    text = out.decode()
    assert "REPLICATE_API_TOKEN is not set" in text and "busy or unavailable" not in text


async def test_sigkill_mid_generation_then_restart_delivers_once_and_charges_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_user(ADA, first_name="Ada")
        env = bot_env(data, ENGINE="mock", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=standin.base_url)
        async with bot_process(env) as first:
            await read_until(first, "CloudMusic is running")
            await standin.send_text(ADA, "[slow:3] survive a crash 2s")
            await read_until(first, "started on engine", within=20)  # a worker has the job now
            first.kill()
            await first.wait()
        async with await Database.open(data / "cloudmusic.db") as db:
            (job,) = await JobRepository(db).for_user(ADA)
            assert job.status == "running", "the crash left the job running"

        async with bot_process(env) as second:
            await read_until(second, "re-queued job")
            await standin.wait_for(ADA, lambda m: m.kind == "audio", timeout=30)
            await standin.wait_for(ADA, lambda m: m.content.startswith("✅ Done"), timeout=10, since=0)
            second.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                assert await second.wait() == 0
        audios = [m for m in standin.transcript(ADA) if m.from_bot and m.kind == "audio"]
        assert len(audios) == 1
        assert not standin.violations

    async with await Database.open(data / "cloudmusic.db") as db:
        (job,) = await JobRepository(db).for_user(ADA)
        assert job.status == "delivered" and job.attempts == 2
        kinds = [e.kind for e in await LedgerRepository(db).entries(job.fingerprint)]
        assert kinds == ["reserve", "commit"], "charged exactly once"


async def test_sigkill_while_the_track_is_being_sent_then_restart_resends_it_and_charges_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_user(ADA, first_name="Ada")
        env = bot_env(data, ENGINE="mock", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=standin.base_url)
        held = standin.inject_fault("sendAudio", "slow", delay=2.0)  # Telegram takes the upload, answers late
        async with bot_process(env) as first:
            await read_until(first, "CloudMusic is running")
            await standin.send_text(ADA, "crash while sending 2s")
            async with asyncio.timeout(30):  # until the stand-in holds the upload
                while held.times > 0:
                    await asyncio.sleep(0.01)
            first.kill()
            await first.wait()
        # Telegram processed the upload, but the bot died before it heard so, and before it settled.
        await standin.wait_for(ADA, lambda m: m.kind == "audio", timeout=10)
        async with await Database.open(data / "cloudmusic.db") as db:
            (job,) = await JobRepository(db).for_user(ADA)
            assert job.status == "running" and job.sending_at is not None, "the crash left it flagged as sending"

        async with bot_process(env) as second:
            await read_until(second, "sending it again")
            await standin.wait_for(ADA, lambda m: m.content.startswith("✅ Done"), timeout=30, since=0)
            second.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                assert await second.wait() == 0
        audios = [m for m in standin.transcript(ADA) if m.from_bot and m.kind == "audio"]
        assert len(audios) == 2, "the documented duplicate: the bot cannot know the first upload arrived"
        assert not standin.violations

    async with await Database.open(data / "cloudmusic.db") as db:
        (job,) = await JobRepository(db).for_user(ADA)
        assert job.status == "delivered" and job.attempts == 2
        kinds = [e.kind for e in await LedgerRepository(db).entries(job.fingerprint)]
        assert kinds == ["reserve", "commit"], "charged exactly once"

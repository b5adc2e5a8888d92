"""The scaled layout end to end, every part a real process or server: PostgreSQL, an S3 server (moto), one
``python -m bot`` that only takes updates (``WORKERS_IN_BOT=false``) and two ``python -m worker`` that generate,
all against the Telegram stand-in. Many people's prompts each come back exactly once, with the audio in the
bucket and one charge each; a worker SIGKILLed while it holds a job costs that person nothing twice.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from billing import fingerprint
from standin import TelegramStandIn
from storage import JobRepository, LedgerRepository
from storage.backends import connect
from storage.database import Database
from tests.bot.test_process import bot_env, bot_process
from tests.bot.test_replicas_process import Log
from tests.conftest import TOKEN
from tests.s3_server import S3Server
from tests.worker.test_worker_process import SECRET, TIMING, WorkerProcess, _first_to, start_worker

PREFIX = "audio"
PEOPLE = list(range(3000, 3020))
LATE = 3100  # the person whose job is running when its worker is killed


@pytest.fixture
async def db(postgres_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """The test's own connection to the shared database, to read jobs and the ledger."""
    opened = await connect(postgres_url, tmp_path / "reader")
    try:
        yield opened
    finally:
        await opened.close()


async def test_a_bot_and_two_workers_deliver_every_prompt_once_into_the_bucket_even_when_a_worker_is_killed(
    tmp_path: Path, postgres_url: str, s3_server: S3Server, s3_bucket: str, db: Database
) -> None:
    store = {"AUDIO_STORE": f"s3://{s3_bucket}/{PREFIX}", "S3_ENDPOINT_URL": s3_server.endpoint_url}
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_users([*PEOPLE, LATE])
        env = bot_env(
            tmp_path / "bot",
            ENGINE="mock",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=standin.base_url,
            DATABASE_URL=postgres_url,
            FINGERPRINT_SECRET=SECRET,
            WORKERS_IN_BOT="false",
            **TIMING,
            **store,
        )
        workers: list[WorkerProcess] = []
        readers: list[asyncio.Task[None]] = []
        try:
            async with bot_process(env) as bot:
                log = Log(bot)
                for i in (1, 2):
                    worker = await start_worker(f"worker-{i}", tmp_path / f"w{i}", standin, postgres_url, **store)
                    workers.append(worker)
                    readers.append(asyncio.create_task(worker.read()))
                await log.until("CloudMusic is running")
                for worker in workers:
                    await worker.until(r"worker ready: serving mock", timeout=60)

                # Twenty people at once: each gets one track, its objects are in the bucket, each is charged once.
                for uid in PEOPLE:
                    await standin.send_text(uid, f"tune for {uid} 1s")
                for uid in PEOPLE:
                    await standin.wait_for(uid, lambda m: m.kind == "audio", timeout=90)
                for uid in PEOPLE:
                    await standin.wait_for(uid, lambda m: m.content.startswith("✅ Done"), timeout=30, since=0)
                jobs = {uid: await JobRepository(db).for_user(uid) for uid in PEOPLE}
                assert all(len(j) == 1 and j[0].status == "delivered" for j in jobs.values()), jobs
                assert {w.name for w in workers if w.said(r"job \d+ delivered")} == {"worker-1", "worker-2"}
                keys = set(await asyncio.to_thread(s3_server.keys, s3_bucket))
                for uid, (job,) in jobs.items():
                    assert _audio_sent(standin, uid) == 1, uid
                    assert job.audio_path == f"s3://{s3_bucket}/{PREFIX}/job-{job.id}.mp3"
                    assert f"{PREFIX}/job-{job.id}.mp3" in keys, (job.id, sorted(keys))
                    assert await _ledger(db, uid) == ["reserve", "commit"], uid

                # One more prompt, slow enough to kill the worker that holds it while it generates.
                await standin.send_text(LATE, "night drive [slow:2] 1s")
                await standin.wait_for(LATE, lambda m: not m.content.startswith("✅"), timeout=30)
                (late,) = await JobRepository(db).for_user(LATE)
                started = rf"job {late.id} started on engine mock"
                holder = await _first_to(workers, started, timeout=30)
                survivor = next(w for w in workers if w is not holder)
                holder.process.send_signal(signal.SIGKILL)
                assert await holder.process.wait() == -signal.SIGKILL
                await survivor.until(started, timeout=30)  # once the dead worker's heartbeat lapsed
                await survivor.until(rf"job {late.id} delivered", timeout=30)
                await standin.wait_for(LATE, lambda m: m.content.startswith("✅ Done"), timeout=30, since=0)
                job = await JobRepository(db).get(late.id)
                assert job is not None and job.status == "delivered" and job.attempts == 2
                assert not holder.said(rf"job {late.id} delivered")
                assert _audio_sent(standin, LATE) == 1
                assert f"{PREFIX}/job-{late.id}.mp3" in await asyncio.to_thread(s3_server.keys, s3_bucket)
                assert await _ledger(db, LATE) == ["reserve", "commit"]

                for process in (bot, survivor.process):
                    process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(30):
                    assert [await bot.wait(), await survivor.process.wait()] == [0, 0]
        finally:
            for worker in workers:
                if worker.process.returncode is None:
                    worker.process.kill()
                await worker.process.wait()
            await asyncio.gather(*readers, return_exceptions=True)
        # The retrying worker sets the status it finds to "Composing…" again; when the killed worker had already done
        # so, Telegram refuses the identical edit ("message is not modified") and TelegramDelivery takes that as
        # done (bot/delivery.py). That one refusal is expected here; anything else the real API refuses is a defect.
        refused = [v for v in standin.violations if not (v.method == "editMessageText" and "not modified" in v.problem)]
        assert not refused, refused


def _audio_sent(standin: TelegramStandIn, uid: int) -> int:
    """How many audio messages the bot sent this person."""
    return len([m for m in standin.transcript(uid) if m.from_bot and m.kind == "audio"])


async def _ledger(db: Database, uid: int) -> list[str]:
    """The kinds of this person's ledger rows, oldest first."""
    return [e.kind for e in await LedgerRepository(db).entries(fingerprint(SECRET.encode(), uid))]

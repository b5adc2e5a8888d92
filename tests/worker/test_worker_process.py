"""``python -m worker`` as real processes against PostgreSQL and the Telegram stand-in: a worker SIGKILLed mid-job
loses nothing — another worker takes the job once the dead one's heartbeat lapses, delivers it once, charges once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from billing import fingerprint
from bot.app import build_bot
from bot.core import build_core, utc_now
from bot.delivery import TelegramDelivery
from bot.texts import Texts
from compose.studio import Requester
from standin import TelegramStandIn
from storage.ledger import LedgerRepository
from tests.conftest import ADA, TOKEN, make_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-fingerprint-secret"
TIMING = {"QUEUE_HEARTBEAT": "0.5", "QUEUE_STALLED_AFTER": "2"}


@dataclass
class WorkerProcess:
    """One ``python -m worker`` and the log lines it has written so far."""

    name: str
    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip())
            self.changed.set()

    def said(self, pattern: str) -> bool:
        return any(re.search(pattern, line) for line in self.lines)

    async def until(self, pattern: str, timeout: float = 30.0) -> None:
        """Until a log line matches ``pattern`` (or fail with the log)."""
        try:
            async with asyncio.timeout(timeout):
                while not self.said(pattern):
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            log = "\n".join(self.lines[-40:])
            raise AssertionError(f"{self.name} never logged {pattern!r}; its log:\n{log}") from None


async def start_worker(name: str, data_dir: Path, standin: TelegramStandIn, url: str, **extra: str) -> WorkerProcess:
    """A ``python -m worker`` on ``url`` and the stand-in; ``extra`` adds or overrides environment variables."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "DATABASE_URL": url,
        "DATA_DIR": str(data_dir),
        "ENGINE": "mock",
        "FINGERPRINT_SECRET": SECRET,
        "HTTP_PORT": "0",
        "GENERATION_WORKERS": "1",
        "SHUTDOWN_GRACE": "0",
        "LOG_LEVEL": "INFO",
        **TIMING,
        **extra,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "worker", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    return WorkerProcess(name, process)


@pytest.fixture
async def workers(tmp_path: Path, standin: TelegramStandIn, postgres_url: str) -> AsyncIterator[list[WorkerProcess]]:
    started = [await start_worker(f"worker-{i}", tmp_path / f"w{i}", standin, postgres_url) for i in (1, 2)]
    readers = [asyncio.create_task(w.read()) for w in started]
    try:
        yield started
    finally:
        for worker in started:
            if worker.process.returncode is None:
                worker.process.kill()
            await worker.process.wait()
        await asyncio.gather(*readers, return_exceptions=True)


async def test_a_worker_killed_mid_job_is_replaced_and_the_track_is_delivered_once_and_charged_once(
    tmp_path: Path, standin: TelegramStandIn, postgres_url: str, workers: list[WorkerProcess]
) -> None:
    settings = make_settings(
        tmp_path / "front",
        standin,
        database_url=postgres_url,
        fingerprint_secret=SECRET,
        workers_in_bot=False,
        queue_heartbeat=0.5,
        queue_stalled_after=2.0,
    )
    front = await build_core(settings)  # the bot's side: queues (telling the user so), runs no workers
    bot = build_bot(TOKEN, base_url=standin.base_url, base_file_url=standin.file_base_url)
    await bot.initialize()
    try:
        delivery = TelegramDelivery(bot, Texts.load(), front.users, can_extend=lambda *_: False)
        await front.start_workers(delivery)
        for worker in workers:
            await worker.until(r"worker ready: serving mock")
            await _serves_health_and_metrics_only(worker)
        who = Requester(ADA, ADA, fingerprint(front.fingerprint_secret, ADA), banned=False)
        await front.users.seen(
            telegram_id=ADA, fingerprint=who.fingerprint, first_name="Ada", username=None, language="en", now=utc_now()
        )
        submission = await front.studio.compose(who, "night drive [slow:2] 1s")
        assert submission.job is not None
        job_id = submission.job.id
        started = rf"job {job_id} started on engine mock"
        first = await _first_to(workers, started)
        survivor = next(w for w in workers if w is not first)
        first.process.send_signal(signal.SIGKILL)
        assert await first.process.wait() == -signal.SIGKILL
        await survivor.until(started, timeout=30)  # after the dead worker's heartbeat lapsed
        await survivor.until(rf"job {job_id} delivered", timeout=30)
        job = await front.queue.jobs.get(job_id)
        assert job is not None and job.status == "delivered" and job.attempts == 2
        sends = [c for c in standin.calls if c.method == "sendAudio" and c.status == 200]
        assert len(sends) == 1 and int(sends[0].params["chat_id"]) == ADA
        kinds = [e.kind for e in await LedgerRepository(front.db).entries(who.fingerprint)]
        assert kinds == ["reserve", "commit"]
        assert not first.said(rf"job {job_id} delivered")
        survivor.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(survivor.process.wait(), timeout=30) == 0
    finally:
        await front.close()
        await bot.shutdown()


async def _serves_health_and_metrics_only(worker: WorkerProcess) -> None:
    """/healthz says ok (its worker idle, no updates taken), /metrics answers, nothing else is served."""
    found = next(m for line in worker.lines if (m := re.search(r"health at (http://\S+)/healthz", line)))
    base = found.group(1)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            body = await response.json()
            assert response.status == 200, body
            assert body["worker_states"] == {"mock": ["idle"]} and body["updates"].startswith("none")
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 200 and "cloudmusic_generations" in await response.text()
        for path in ("/telegram/webhook", "/api/v1/me", "/studio", "/"):
            async with http.get(f"{base}{path}") as response:
                assert response.status == 404, path


async def _first_to(workers: list[WorkerProcess], pattern: str, timeout: float = 30.0) -> WorkerProcess:
    """The worker that logs ``pattern`` first."""
    async with asyncio.timeout(timeout):
        while True:
            for worker in workers:
                if worker.said(pattern):
                    return worker
            await asyncio.wait(
                [asyncio.ensure_future(w.changed.wait()) for w in workers], return_when="FIRST_COMPLETED"
            )
            for worker in workers:
                worker.changed.clear()

"""The composition core (``bot.core.build_core``): built without Telegram, shared by several processes' worth of
cores over one database, and a worker core runs what a core without workers queued."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from billing import fingerprint
from bot.core import Core, StartupError, build_core, utc_now
from bot.settings import Settings
from compose.studio import Requester
from tests.scheduler.test_queue import RecordingDelivery

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-cloudmusic-core-token-00000"
ADA = 1001


def core_settings(data_dir: Path, **overrides: Any) -> Settings:
    """A core's settings: the mock engine, a fixed fingerprint secret, the database under ``data_dir``."""
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "data_dir": data_dir,
        "engine": "mock",
        "fingerprint_secret": "test-core-secret",
        "shutdown_grace": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def ada(core: Core) -> Requester:
    """Ada, as the core's studio knows her."""
    return Requester(ADA, ADA, fingerprint(core.fingerprint_secret, ADA), banned=False)


def test_the_core_builds_and_closes_in_a_process_that_never_imports_telegram(tmp_path: Path) -> None:
    """A migration command or a worker builds the core alone: telegram stays unimported."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from bot.core import build_core
        from bot.settings import load_settings

        async def main():
            core = await build_core(load_settings(_env_file=None))
            balance = await core.credits.add_paid("fp-ada", 3, kind="grant")
            assert balance == 3, balance
            assert await core.admin.set_banned(1001, True) is False  # nobody by that id yet
            await core.close()

        asyncio.run(main())
        print("telegram imported:", "telegram" in sys.modules)
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATA_DIR": str(tmp_path / "data"),
        "ENGINE": "mock",
        "TELEGRAM_BOT_TOKEN": "",
        "FINGERPRINT_SECRET": "x" * 16,
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "telegram imported: False"
    assert (tmp_path / "data" / "sandbox" / "cloudmusic.db").exists(), "the sandbox's own database was migrated"


async def test_two_cores_over_one_database_see_each_others_credits(tmp_path: Path, database_url: str) -> None:
    """Two processes' cores over one DATABASE_URL: credits granted through one are there for the other."""
    settings = core_settings(tmp_path / "data", database_url=database_url)
    first = await build_core(settings)
    try:
        second = await build_core(settings)
        try:
            who = ada(first)
            await first.credits.add_paid(who.fingerprint, 7, kind="grant", note="by 1: welcome")
            assert (await second.credits.balance(who.fingerprint)).paid == 7
            assert (await second.studio.balance(who)).paid == 7
        finally:
            await second.close()
    finally:
        await first.close()


async def test_a_job_queued_by_a_core_without_workers_is_delivered_by_a_worker_core(tmp_path: Path) -> None:
    """The web or chat side queues; a separate worker core (workers started, its own delivery) makes the track."""
    settings = core_settings(tmp_path / "data")
    front = await build_core(settings)
    try:
        who = ada(front)
        await front.users.seen(
            telegram_id=ADA, fingerprint=who.fingerprint, first_name="Ada", username=None, language="en", now=utc_now()
        )
        submission = await front.studio.compose(ada(front), "lofi study beat 1s")
        assert submission.job is not None
        job = submission.job
        assert job.status_message_id is None, "nothing delivered from a core without workers"
        worker, delivery = await build_core(settings), RecordingDelivery()
        try:
            await worker.start_workers(delivery)
            await asyncio.wait_for(delivery.done.wait(), timeout=20)
            assert [e[:2] for e in delivery.events if e[0] != "working"] == [
                ("started", job.id),
                ("delivered", job.id),
                ("finished", job.id),
            ]
        finally:
            await worker.close()
        delivered = await front.queue.jobs.get(job.id)
        assert delivered is not None and delivered.status == "delivered"
    finally:
        await front.close()


async def test_a_bad_engine_stops_the_core_before_the_database_is_opened(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="ENGINE"):
        await build_core(core_settings(tmp_path / "data", engine="no-such-engine"))
    assert not (tmp_path / "data" / "cloudmusic.db").exists()


async def test_stopping_the_workers_twice_and_closing_is_safe(tmp_path: Path) -> None:
    core = await build_core(core_settings(tmp_path / "data", generation_workers=2))
    await core.start_workers(RecordingDelivery())
    assert core.queue.worker_states() == {"mock": ["idle", "idle"]}
    await core.stop_workers()
    await core.close()  # stops them again (a no-op now), then closes the engines and the database
    assert core.queue.worker_states() == {"mock": []}

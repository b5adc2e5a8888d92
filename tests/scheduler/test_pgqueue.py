"""The procrastinate queue backend (storage.pgqueue) under the generation queue, on a real PostgreSQL.

A front core (a bot with WORKERS_IN_BOT=false) queues; worker cores (``build_core(settings, worker=True)``) take the
work from procrastinate, render, deliver and settle. The embedded backend stays the default without PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.core import Core, StartupError, build_core, queue_backend, served_engines, utc_now
from bot.settings import Settings
from compose.studio import Requester
from storage.ledger import LedgerRepository
from storage.pgqueue import ProcrastinateQueue, queue_name
from tests.bot.test_core import ADA, ada, core_settings
from tests.scheduler.test_queue import RecordingDelivery

GRACE = 0.5
TIMING = {"queue_heartbeat": 0.5, "queue_stalled_after": 2.0}


def pg_settings(tmp_path: Path, url: str, **overrides: Any) -> Settings:
    """A core's settings on PostgreSQL: procrastinate (auto), no workers in the bot, quick heartbeats."""
    return core_settings(tmp_path / "data", database_url=url, workers_in_bot=False, **TIMING, **overrides)


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Until ``check()`` holds (a condition another task or process brings about)."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def meet(core: Core, user: int = ADA) -> Requester:
    who = ada(core) if user == ADA else Requester(user, user, f"fp-{user}", banned=False)
    await core.users.seen(
        telegram_id=user, fingerprint=who.fingerprint, first_name="U", username=None, language="en", now=utc_now()
    )
    return who


def backend(core: Core) -> ProcrastinateQueue:
    dispatch = core.queue.dispatch
    assert isinstance(dispatch, ProcrastinateQueue)
    return dispatch


def test_the_backend_follows_the_database(tmp_path: Path) -> None:
    """SQLite keeps the embedded queue (make run needs nothing); PostgreSQL goes through procrastinate."""
    assert queue_backend(core_settings(tmp_path)) == "embedded"
    url = "postgresql://u@127.0.0.1:1/db"
    assert queue_backend(core_settings(tmp_path, database_url=url)) == "procrastinate"
    assert queue_backend(core_settings(tmp_path, database_url=url, queue_backend="embedded")) == "embedded"
    with pytest.raises(StartupError, match="QUEUE_BACKEND=procrastinate needs DATABASE_URL"):
        queue_backend(core_settings(tmp_path, queue_backend="procrastinate"))
    assert served_engines(core_settings(tmp_path, engine="synth")) == ["synth"]
    assert served_engines(core_settings(tmp_path, engine="mock", engines="synth, mock,synth")) == ["synth", "mock"]


async def test_a_job_and_its_work_are_committed_together_and_paid_ones_go_first(
    tmp_path: Path, postgres_url: str
) -> None:
    """Each admitted job is deferred in the transaction that reserves its credit, on its engine's queue, a paid
    job above a free one; a refused request defers nothing; the position comes from the database."""
    front = await build_core(pg_settings(tmp_path, postgres_url, free_daily_quota=1, max_active_jobs=5))
    try:
        await front.start_workers(RecordingDelivery())  # WORKERS_IN_BOT=false: no workers start
        assert front.queue.worker_states() == {"mock": []}
        who = await meet(front)
        free = await front.studio.compose(who, "lofi beat one 1s")
        await front.credits.add_paid(who.fingerprint, 1, kind="grant")
        paid = await front.studio.compose(who, "lofi beat two 1s")
        refused = await front.studio.compose(who, "lofi beat three 1s")
        assert free.job is not None and paid.job is not None and refused.job is None
        deferred = await backend(front).deferred()
        assert [(d.job_id, d.queue, d.status) for d in deferred] == [
            (free.job.id, queue_name("mock"), "todo"),
            (paid.job.id, queue_name("mock"), "todo"),
        ]
        assert deferred[1].priority > deferred[0].priority
        assert (free.position, paid.position) == (1, 1)  # the paid job jumped the free one in the database
        assert await front.queue.position(free.job) == 2
    finally:
        await front.close()


async def test_a_worker_core_renders_delivers_and_settles_what_the_front_queued(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = pg_settings(tmp_path, postgres_url)
    front = await build_core(settings)
    worker = await build_core(settings, worker=True)
    delivery = RecordingDelivery()
    try:
        who = await meet(front)
        submission = await front.studio.compose(who, "lofi study beat 1s")
        assert submission.job is not None
        job_id = submission.job.id
        await worker.start_workers(delivery)
        assert worker.queue.worker_states()["mock"][0] in ("idle", "busy")
        await asyncio.wait_for(delivery.done.wait(), timeout=30)
        assert [e[:2] for e in delivery.events if e[0] != "working"] == [
            ("started", job_id),
            ("delivered", job_id),
            ("finished", job_id),
        ]
        job = await front.queue.jobs.get(job_id)
        assert job is not None and job.status == "delivered" and job.attempts == 1
        kinds = [e.kind for e in await LedgerRepository(front.db).entries(who.fingerprint)]
        assert kinds == ["reserve", "commit"]
        await wait_for(lambda: _no_work_left(front))  # succeeded work is deleted by procrastinate
    finally:
        await worker.close()
        await front.close()


async def _no_work_left(core: Core) -> bool:
    return await backend(core).deferred() == []


async def test_cancel_in_the_front_aborts_the_job_running_on_a_worker_and_returns_the_credit(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = pg_settings(tmp_path, postgres_url)
    front = await build_core(settings)
    worker = await build_core(settings, worker=True)
    delivery = RecordingDelivery()
    try:
        await worker.start_workers(delivery)
        who = await meet(front)
        submission = await front.studio.compose(who, "slow song [slow:60] 1s")
        assert submission.job is not None
        job_id = submission.job.id
        await wait_for(lambda: _has_event(delivery, "started"))
        canceled = await front.studio.cancel(who)
        assert canceled is not None and canceled.id == job_id and canceled.status == "canceled"
        kinds = [e.kind for e in await LedgerRepository(front.db).entries(who.fingerprint)]
        assert kinds == ["reserve", "release"]
        assert ("canceled", job_id) in [e[:2] for e in delivery.events]
    finally:
        await worker.close()
        await front.close()


async def _has_event(delivery: RecordingDelivery, kind: str) -> bool:
    return any(e[0] == kind for e in delivery.events)


async def test_a_job_claimed_too_many_times_fails_and_returns_the_credit(tmp_path: Path, postgres_url: str) -> None:
    """Its workers died mid-job each time: the next claim beyond max_attempts fails it instead of running it."""
    settings = pg_settings(tmp_path, postgres_url)
    front = await build_core(settings)
    worker = await build_core(settings, worker=True)
    delivery = RecordingDelivery()
    try:
        who = await meet(front)
        submission = await front.studio.compose(who, "lofi study beat 1s")
        assert submission.job is not None
        job_id = submission.job.id
        await front.queue.jobs.update(job_id, attempts=worker.queue.max_attempts)
        await worker.start_workers(delivery)
        await asyncio.wait_for(delivery.settled.wait(), timeout=30)
        job = await front.queue.jobs.get(job_id)
        assert job is not None and job.status == "failed"
        assert [e[:2] for e in delivery.events] == [("failed", job_id)]
        kinds = [e.kind for e in await LedgerRepository(front.db).entries(who.fingerprint)]
        assert kinds == ["reserve", "release"]
    finally:
        await worker.close()
        await front.close()


async def test_a_worker_stopping_mid_job_puts_it_back_and_another_worker_delivers_it_once(
    tmp_path: Path, postgres_url: str
) -> None:
    """Shutdown grace runs out: the job goes back to procrastinate, and the next worker delivers it, charged once."""
    settings = pg_settings(tmp_path, postgres_url, shutdown_grace=GRACE)
    front = await build_core(settings)
    first, first_delivery = await build_core(settings, worker=True), RecordingDelivery()
    try:
        who = await meet(front)
        submission = await front.studio.compose(who, "slow song [slow:2] 1s")
        assert submission.job is not None
        job_id = submission.job.id
        await first.start_workers(first_delivery)
        await wait_for(lambda: _has_event(first_delivery, "started"))
        await first.close()
        assert not await _has_event(first_delivery, "delivered")
        second, second_delivery = await build_core(settings, worker=True), RecordingDelivery()
        try:
            await second.start_workers(second_delivery)
            await asyncio.wait_for(second_delivery.done.wait(), timeout=30)
        finally:
            await second.close()
        job = await front.queue.jobs.get(job_id)
        assert job is not None and job.status == "delivered" and job.attempts == 2
        kinds = [e.kind for e in await LedgerRepository(front.db).entries(who.fingerprint)]
        assert kinds == ["reserve", "commit"]
    finally:
        await first.close()
        await front.close()


async def test_a_worker_serves_only_the_engines_it_names(tmp_path: Path, postgres_url: str) -> None:
    """ENGINES=synth on a worker: it renders the synth job; the mock job stays on its own queue for a mock worker."""
    offer = {"engines": "mock,synth", "takes_per_prompt": "mock=1,synth=1", "max_active_jobs": 5}
    front = await build_core(pg_settings(tmp_path, postgres_url, **offer))
    worker = await build_core(pg_settings(tmp_path, postgres_url, **{**offer, "engines": "synth"}), worker=True)
    delivery = RecordingDelivery()
    try:
        assert worker.queue.worker_states() == {"synth": []}  # before start: nothing runs
        await front.start_workers(RecordingDelivery())  # WORKERS_IN_BOT=false: only the delivery is attached
        who = await meet(front)
        mock_job = (await front.studio.compose(who, "lofi beat 1s", engine="mock")).job
        synth_job = (await front.studio.compose(who, "lofi beat 5s", engine="synth")).job
        assert mock_job is not None and synth_job is not None
        assert (mock_job.engine, synth_job.engine) == ("mock", "synth")
        await worker.start_workers(delivery)
        assert list(worker.queue.worker_states()) == ["synth"]
        assert set(worker.queue.worker_states()["synth"]) <= {"idle", "busy"}  # GENERATION_WORKERS=2, alive
        await asyncio.wait_for(delivery.done.wait(), timeout=60)
        assert [e[:2] for e in delivery.events if e[0] == "delivered"] == [("delivered", synth_job.id)]
        waiting = await front.queue.jobs.get(mock_job.id)
        assert waiting is not None and waiting.status == "queued"
        left = [(mock_job.id, queue_name("mock"), "todo")]

        async def only_the_mock_job_left() -> bool:  # the synth work is deleted once procrastinate records it done
            return [(d.job_id, d.queue, d.status) for d in await backend(front).deferred()] == left

        await wait_for(only_the_mock_job_left)
    finally:
        await worker.close()
        await front.close()

"""The generation queue: reserve → generate → deliver → settle, with failures, timeouts, cancel and recovery."""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing import Credits, Decision, JobSpec
from engines import Engine, EngineOptions, get_engine
from engines.base import GeneratedTrack
from scheduler.delivery import DeliveryError, FailureReason, Receipt, TrackFiles
from scheduler.queue import GenerationQueue
from scheduler.tracks import write_track_files
from standin.replicate_standin import ReplicateStandIn
from storage import Database, Job, LedgerRepository, UserRepository

FP = "fp-1"


class RecordingDelivery:
    """A Delivery that records what the user would have seen."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, object]] = []
        self.fail_delivery = False
        self.delivered = asyncio.Event()
        self.settled = asyncio.Event()
        self.done = asyncio.Event()
        self.sending = asyncio.Event()  # deliver() was called
        self.release: asyncio.Event | None = None  # when set up, deliver() waits for it (a slow upload)

    async def queued(self, job: Job, position: int) -> int | None:
        self.events.append(("queued", job.id, position))
        return 1000 + job.id

    async def started(self, job: Job) -> None:
        self.events.append(("started", job.id, None))

    async def working(self, job: Job) -> None:
        self.events.append(("working", job.id, None))

    async def deliver(self, job: Job, files: TrackFiles) -> Receipt:
        self.sending.set()
        if self.release is not None:
            await self.release.wait()
        if self.fail_delivery:
            raise DeliveryError("telegram is down")
        assert all([await files.store.exists(key) for key in (files.mp3, files.wav, files.cover)])
        self.events.append(("delivered", job.id, files))
        self.delivered.set()
        return Receipt(file_id=f"file-{job.id}", message_id=1)

    async def finished(self, job: Job) -> None:
        self.events.append(("finished", job.id, None))
        self.done.set()

    async def failed(self, job: Job, reason: FailureReason) -> None:
        self.events.append(("failed", job.id, reason))
        self.settled.set()

    async def canceled(self, job: Job) -> None:
        self.events.append(("canceled", job.id, None))
        self.settled.set()

    def kinds(self, job_id: int) -> list[str]:
        return [kind for kind, jid, _ in self.events if jid == job_id and kind != "working"]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "q.db") as database:
        for uid in (1, 2):
            await UserRepository(database).seen(
                telegram_id=uid,
                fingerprint=f"fp-{uid}",
                first_name="U",
                username=None,
                language="en",
                now=datetime(2026, 1, 1, tzinfo=UTC),
            )
        yield database


def make_queue(
    db: Database,
    tmp_path: Path,
    delivery: RecordingDelivery,
    quota: int = 4,
    engine: Engine | None = None,
    **kwargs: object,
) -> GenerationQueue:
    clock = lambda: datetime(2026, 11, 21, 12, tzinfo=UTC)  # noqa: E731
    credits = Credits(db, free_daily_quota=quota, zone=ZoneInfo("UTC"), clock=clock, max_active_jobs=5)
    return GenerationQueue(
        db=db,
        credits=credits,
        engines={"mock": engine or get_engine("mock", EngineOptions(timeout_s=30))},
        delivery=delivery,
        audio_dir=tmp_path / "audio",
        clock=clock,
        heartbeat_s=0.05,
        **kwargs,
    )  # type: ignore[arg-type]


def spec(prompt: str, uid: int = 1, **params: object) -> JobSpec:
    return JobSpec(
        telegram_id=uid,
        fingerprint=f"fp-{uid}",
        chat_id=uid,
        prompt=prompt,
        engine="mock",
        params={"duration": 2.0, **params},
    )


async def wait_until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_a_prompt_becomes_delivered_files_and_a_committed_credit(db: Database, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery)
    await queue.start()
    try:
        sub = await queue.submit(spec("warm house"), banned=False)
        assert sub.admission.decision is Decision.ALLOW_FREE and sub.job is not None
        assert sub.position in (0, 1), "next in line, or already claimed by the idle worker"
        await asyncio.wait_for(delivery.delivered.wait(), 10)
        await queue.stop()  # stopping right after delivery must neither undo nor repeat it
    finally:
        await queue.stop()
    job = await queue.jobs.get(sub.job.id)
    assert job is not None and job.status == "delivered" and job.file_id == f"file-{job.id}"
    assert job.status_message_id == 1000 + job.id and job.seed is not None and job.has_stems
    assert delivery.kinds(job.id) == ["queued", "started", "delivered", "finished"]
    kinds = [e.kind for e in await LedgerRepository(db).entries(FP)]
    assert kinds == ["reserve", "commit"]


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [("[fail] techno", FailureReason.ENGINE_UNAVAILABLE), ("[reject] techno", FailureReason.ENGINE_REJECTED)],
)
async def test_an_engine_failure_releases_the_credit_and_tells_the_user(
    db: Database, tmp_path: Path, prompt: str, reason: FailureReason
) -> None:
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery)
    await queue.start()
    try:
        sub = await queue.submit(spec(prompt), banned=False)
        await asyncio.wait_for(delivery.settled.wait(), 10)
    finally:
        await queue.stop()
    assert sub.job is not None
    assert delivery.events[-1] == ("failed", sub.job.id, reason)
    assert (await queue.jobs.get(sub.job.id)).status == "failed"  # type: ignore[union-attr]
    assert await LedgerRepository(db).balance(FP, "free") == 0, "reserve and release cancel out"


async def test_an_aborted_replicate_prediction_fails_the_job_cleanly_and_returns_the_credit(
    db: Database, tmp_path: Path
) -> None:
    delivery = RecordingDelivery()
    async with ReplicateStandIn() as replicate:
        replicate.set_scenario("aborted")  # its deadline passed before it ran
        options = EngineOptions(
            replicate_api_token=replicate.token, replicate_base_url=replicate.base_url, poll_interval_s=0.01
        )
        engine = get_engine("replicate", options)
        queue = make_queue(db, tmp_path, delivery, engine=engine)
        await queue.start()
        try:
            sub = await queue.submit(spec("ambient"), banned=False)
            await asyncio.wait_for(delivery.settled.wait(), 10)
        finally:
            await queue.stop()
            await engine.aclose()
    assert sub.job is not None
    assert delivery.events[-1] == ("failed", sub.job.id, FailureReason.ENGINE_UNAVAILABLE), "not INTERNAL"
    job = await queue.jobs.get(sub.job.id)
    assert job is not None and job.status == "failed" and "aborted" in (job.error or "")
    assert await LedgerRepository(db).balance(FP, "free") == 0, "reserve and release cancel out"


async def test_a_job_past_its_timeout_is_failed_and_refunded(db: Database, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery, timeout_s=0.3)
    await queue.start()
    try:
        sub = await queue.submit(spec("[slow:20] ambient"), banned=False)
        await asyncio.wait_for(delivery.settled.wait(), 10)
    finally:
        await queue.stop()
    assert sub.job is not None and delivery.events[-1] == ("failed", sub.job.id, FailureReason.TIMEOUT)
    assert await LedgerRepository(db).balance(FP, "free") == 0


async def test_a_failed_delivery_releases_the_credit(db: Database, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    delivery.fail_delivery = True
    queue = make_queue(db, tmp_path, delivery)
    await queue.start()
    try:
        sub = await queue.submit(spec("trap"), banned=False)
        await asyncio.wait_for(delivery.settled.wait(), 10)
    finally:
        await queue.stop()
    assert sub.job is not None and delivery.events[-1] == ("failed", sub.job.id, FailureReason.DELIVERY)
    assert await LedgerRepository(db).balance(FP, "free") == 0


async def test_cancel_stops_a_running_job_and_a_queued_one(db: Database, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery)
    await queue.start()
    try:
        running = await queue.submit(spec("[slow:20] one"), banned=False)
        queued = await queue.submit(spec("[slow:20] two"), banned=False)
        assert queued.position == 1 and running.job is not None and queued.job is not None
        await wait_until(lambda: ("started", running.job.id, None) in delivery.events)  # type: ignore[union-attr]
        canceled = await queue.cancel(1)
        assert canceled is not None and canceled.id == queued.job.id and canceled.status == "queued"
        canceled = await queue.cancel(1)
        assert canceled is not None and canceled.id == running.job.id and canceled.status == "canceled"
        assert await queue.cancel(1) is None
    finally:
        await queue.stop()
    assert await LedgerRepository(db).balance(FP, "free") == 0
    assert delivery.kinds(queued.job.id) == ["queued", "canceled"]


async def test_paid_jobs_run_before_free_ones(db: Database, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery, quota=1)  # workers not started: everything stays queued
    first_free = await queue.submit(spec("free one"), banned=False)
    await Credits(
        db, free_daily_quota=1, zone=ZoneInfo("UTC"), clock=lambda: datetime(2026, 11, 21, tzinfo=UTC)
    ).add_paid("fp-1", 1, kind="grant")
    paid = await queue.submit(spec("paid one"), banned=False)
    assert paid.admission.decision is Decision.ALLOW_PAID and paid.position == 1
    assert first_free.job is not None and await queue.position(first_free.job) == 2


async def test_restart_requeues_interrupted_jobs_and_gives_up_after_max_attempts(db: Database, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery, max_attempts=2)
    sub = await queue.submit(spec("interrupted"), banned=False)
    assert sub.job is not None
    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    claimed = await queue.jobs.claim_next("mock", now)  # a worker took it, then the process died
    assert claimed is not None and claimed.attempts == 1
    assert await queue.recover() == [sub.job.id]
    assert (await queue.jobs.get(sub.job.id)).status == "queued"  # type: ignore[union-attr]
    await queue.jobs.claim_next("mock", now)  # died again: attempts == 2 == max
    assert await queue.recover() == []
    job = await queue.jobs.get(sub.job.id)
    assert job is not None and job.status == "failed"
    assert delivery.events[-1] == ("failed", sub.job.id, FailureReason.INTERRUPTED)
    assert await LedgerRepository(db).balance(FP, "free") == 0, "the credit came back, nothing charged twice"


# --- supervised workers, and the track being sent ------------------------------------------------------------


class DatabaseLock:
    """A second, real SQLite connection holding ``BEGIN EXCLUSIVE``: every other writer gets "database is locked"."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=10)

    def take(self) -> None:
        self._conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self._conn.execute("ROLLBACK")
        self._conn.close()


async def test_a_locked_database_is_logged_and_the_worker_backs_off_then_resumes(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await db.execute("PRAGMA busy_timeout = 100")  # the writer gives up on a lock after 0.1 s, not 10 s
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery, idle_poll_s=0.02, retry_backoff_s=(0.05, 0.2))
    lock = DatabaseLock(db.path)
    await queue.start()
    try:
        assert queue.worker_states() == {"mock": ["idle"]}
        with caplog.at_level(logging.INFO, logger="scheduler.queue"):
            lock.take()
            try:
                await wait_until(lambda: queue.worker_states() == {"mock": ["backoff"]})
                await wait_until(lambda: "database is locked" in caplog.text)
            finally:
                lock.release()
            await wait_until(lambda: queue.worker_states() == {"mock": ["idle"]})
            sub = await queue.submit(spec("after the lock"), banned=False)
            await asyncio.wait_for(delivery.done.wait(), 10)
    finally:
        await queue.stop()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "worker-mock-0 failed" in r.getMessage()]
    assert errors and "Unavailable: database is locked" in errors[0].getMessage()
    assert "worker-mock-0 resumed" in caplog.text
    assert sub.job is not None and delivery.kinds(sub.job.id) == ["queued", "started", "delivered", "finished"]


async def test_cancel_is_refused_once_the_track_is_being_sent(db: Database, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    delivery.release = asyncio.Event()  # the upload stays open until the test lets it finish
    queue = make_queue(db, tmp_path, delivery)
    await queue.start()
    try:
        sub = await queue.submit(spec("almost there"), banned=False)
        await asyncio.wait_for(delivery.sending.wait(), 10)
        refused = await queue.cancel(1)
        assert sub.job is not None and refused is not None and refused.id == sub.job.id
        assert refused.active and refused.sending and refused.sending_at is not None
        delivery.release.set()
        await asyncio.wait_for(delivery.done.wait(), 10)
    finally:
        await queue.stop()
    job = await queue.jobs.get(sub.job.id)
    assert job is not None and job.status == "delivered"
    assert delivery.kinds(job.id) == ["queued", "started", "delivered", "finished"], "never told 'canceled'"
    assert [e.kind for e in await LedgerRepository(db).entries(FP)] == ["reserve", "commit"]


async def test_a_crash_between_sending_and_settling_resends_from_disk_and_charges_once(
    db: Database, tmp_path: Path
) -> None:
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery)
    sub = await queue.submit(spec("crash while sending"), banned=False)
    assert sub.job is not None
    # What a process killed during sendAudio leaves behind: the job running and flagged, its files on disk.
    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    claimed = await queue.jobs.claim_next("mock", now)
    assert claimed is not None
    track = await queue.engines["mock"].generate(await queue.request_for(claimed, stems=False))
    files = await write_track_files(track, queue.audio_store, f"job-{claimed.id}", prompt=claimed.prompt)
    locator = queue.audio_store.locator(files.mp3)
    await queue.jobs.update(claimed.id, audio_path=locator, duration=track.duration, seed=track.seed)
    assert await queue.jobs.mark_sending(claimed.id, now)

    assert await queue.recover() == [claimed.id]
    await queue.start()
    try:
        await asyncio.wait_for(delivery.done.wait(), 10)
    finally:
        await queue.stop()
    job = await queue.jobs.get(claimed.id)
    assert job is not None and job.status == "delivered" and job.seed == track.seed, "sent again, not regenerated"
    assert delivery.kinds(job.id) == ["queued", "delivered", "finished"]
    assert [e.kind for e in await LedgerRepository(db).entries(FP)] == ["reserve", "commit"], "charged once"


async def test_a_locked_database_while_settling_a_sent_track_never_refunds_it(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await db.execute("PRAGMA busy_timeout = 100")
    delivery = RecordingDelivery()
    delivery.release = asyncio.Event()
    queue = make_queue(db, tmp_path, delivery, retry_backoff_s=(0.05, 0.2))
    lock = DatabaseLock(db.path)
    await queue.start()
    try:
        sub = await queue.submit(spec("settle later"), banned=False)
        await asyncio.wait_for(delivery.sending.wait(), 10)
        lock.take()
        try:
            delivery.release.set()  # the upload finishes while nothing can be written
            await wait_until(lambda: "was sent but could not be settled" in caplog.text)
        finally:
            lock.release()
        await asyncio.wait_for(delivery.done.wait(), 10)
    finally:
        await queue.stop()
    assert sub.job is not None
    job = await queue.jobs.get(sub.job.id)
    assert job is not None and job.status == "delivered" and job.file_id == f"file-{job.id}"
    assert delivery.kinds(job.id) == ["queued", "started", "delivered", "finished"]
    assert [e.kind for e in await LedgerRepository(db).entries(FP)] == ["reserve", "commit"]


@pytest.mark.parametrize(
    ("max_attempts", "outcome"), [(3, FailureReason.ENGINE_UNAVAILABLE), (1, FailureReason.INTERRUPTED)]
)
async def test_a_job_whose_failure_could_not_be_recorded_is_run_again_or_failed_never_left_running(
    db: Database, tmp_path: Path, max_attempts: int, outcome: FailureReason
) -> None:
    await db.execute("PRAGMA busy_timeout = 100")
    delivery = RecordingDelivery()
    queue = make_queue(db, tmp_path, delivery, max_attempts=max_attempts, retry_backoff_s=(0.05, 0.2))
    lock = DatabaseLock(db.path)
    await queue.start()
    try:
        sub = await queue.submit(spec("[slow:0.5] [fail] techno"), banned=False)
        assert sub.job is not None
        await wait_until(lambda: ("started", sub.job.id, None) in delivery.events)  # type: ignore[union-attr]
        lock.take()  # the engine fails while nothing can be written: the credit cannot be released yet
        try:
            await wait_until(lambda: queue.worker_states() == {"mock": ["backoff"]})
        finally:
            lock.release()
        await asyncio.wait_for(delivery.settled.wait(), 10)
    finally:
        await queue.stop()
    job = await queue.jobs.get(sub.job.id)
    assert job is not None and job.status == "failed" and job.attempts == min(max_attempts, 2)
    assert delivery.events[-1] == ("failed", job.id, outcome)
    assert [e.kind for e in await LedgerRepository(db).entries(FP)] == ["reserve", "release"]


async def test_an_upload_in_progress_no_longer_holds_the_rendered_samples(db: Database, tmp_path: Path) -> None:
    # The track is on disk before it is sent; 8 uploads of 30 s tracks held ~85 MB of float samples for nothing.
    delivery = RecordingDelivery()
    delivery.release = asyncio.Event()  # the upload stays open until the test lets it finish
    queue = make_queue(db, tmp_path, delivery)
    await queue.start()
    try:
        sub = await queue.submit(spec("slow network"), banned=False)
        await asyncio.wait_for(delivery.sending.wait(), 10)
        recorded = await queue.jobs.get(sub.job.id) if sub.job is not None else None
        assert recorded is not None and recorded.seed is not None  # recorded before the upload starts
        gc.collect()  # other tests' tracks may still be alive: only this job's counts
        held = [o for o in gc.get_objects() if isinstance(o, GeneratedTrack) and o.seed == recorded.seed]
        delivery.release.set()
        await asyncio.wait_for(delivery.done.wait(), 10)
    finally:
        delivery.release.set()
        await queue.stop()
    assert held == []
    job = await queue.jobs.get(sub.job.id) if sub.job is not None else None
    assert job is not None and job.status == "delivered" and job.duration == 2.0

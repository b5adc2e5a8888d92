"""The persistent generation queue and its workers: reserve → generate → deliver → settle.

Jobs live in SQLite, so a crash loses nothing: on start-up, jobs left ``running`` are queued again (their credit
stays reserved) or, after ``max_attempts``, failed and their credit released. Each engine has its own workers
(``concurrency``); paid jobs run before free ones; a job that outlives ``timeout_s`` is failed and refunded; a
canceled job is refunded. Engines do their CPU work in threads, so the event loop keeps serving everyone else.

Workers are supervised: an error a worker does not expect (``database is locked`` for a few seconds, a full disk)
is logged, the worker backs off (doubling from ``retry_backoff_s[0]`` to ``retry_backoff_s[1]``) and resumes; the
job whose run it broke is re-queued. :meth:`GenerationQueue.worker_states` reports each worker's liveness for
``/healthz``.

Once a track's upload begins, the job is flagged ``sending`` (in memory and in ``jobs.sending_at``): ``/cancel``
is refused from then on, because the user may already have the track. Settling a sent track is retried until it
sticks (a refund would give the track away). If the process dies between the upload and the settlement, the
restart sends the track again from disk and settles it once: the user may get it twice, never pays twice.

A job composed with a clip as its melody reference (``params["reference_clip"]``: a file name in
:attr:`GenerationQueue.clips_dir`) reads the clip when it runs and deletes it as soon as the engine is done with
it — when the track is made, or when the job fails or is canceled — never on shutdown (the restart needs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from billing import Admission, Credits, JobSpec
from engines.base import (
    Engine,
    EngineError,
    EngineRejected,
    EngineTimedOut,
    GeneratedTrack,
    GenerationRequest,
)
from scheduler.clips import CLIPS_DIR
from scheduler.delivery import Delivery, DeliveryError, FailureReason, TrackFiles
from scheduler.observe import JobOutcome, NullObserver, QueueObserver
from scheduler.tracks import (
    StemsFailure,
    TooBigToSend,
    files_for,
    note_stems_failure,
    sendable_stems,
    write_stems_zip,
    write_track_files,
)
from storage import Connection, Database, Job, JobRepository
from storage.audio import AudioStore, LocalAudioStore, key_of, with_suffix
from storage.errors import AudioMissing
from storage.reservations import Queued

log = logging.getLogger(__name__)

#: What a worker is doing: waiting for a job, running one, backing off after an error, or ended (not alive).
WorkerState = Literal["idle", "busy", "backoff", "stopped"]
ALIVE: frozenset[WorkerState] = frozenset({"idle", "busy"})
#: How long a worker waits, after a job was queued in another process, for that process to record the user's
#: "queued" status message (a Bot API call after the commit: tens of milliseconds).
ANNOUNCE_WAIT_S = 2.0


class Dispatch(Protocol):
    """A queue backend that hands jobs to workers in any process (``storage.pgqueue.ProcrastinateQueue``).

    Without one the queue's own workers claim jobs from the ``jobs`` table in this process (the embedded default).
    """

    async def enqueue(self, conn: Connection, queued: Queued) -> None:
        """Hand the job's work on, inside the transaction that inserts the job and reserves its credit."""

    async def abort(self, job_id: int) -> bool:
        """Ask whichever worker runs job ``job_id`` to stop it (it settles it as canceled); False when none does."""

    async def enqueue_stems(self, job_id: int, engine: str) -> bool:
        """Ask a worker of ``engine`` to re-render job ``job_id``'s stems (``stems`` of :meth:`start_workers`);
        False when such a request is already waiting or running (nothing more is queued)."""

    async def enqueue_teaser(self, chat_id: int, admin_id: int, engine: str) -> bool:
        """Ask a worker of ``engine`` to post a teaser now and report to ``chat_id`` (``teaser`` of
        :meth:`start_workers`); False when a request from that chat is already waiting."""

    async def start_workers(
        self,
        runner: Callable[[int], Awaitable[None]],
        *,
        engines: Iterable[str],
        concurrency: int,
        shutdown_grace_s: float,
        stems: Callable[[int, bool], Awaitable[None]] | None = None,
        teaser: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> None:
        """Run ``runner(job_id)`` for jobs of ``engines``, ``concurrency`` at a time, in this process, and
        ``stems(job_id, resumed)`` for the stems renders asked of them; a render cut off by a shutdown must be run
        again (by any worker) with ``resumed=True``; ``teaser(chat_id, admin_id)`` for the teasers admins ask for."""

    async def stop_workers(self) -> None:
        """Stop this process's workers (running jobs get the grace, then go back to the queue); safe twice."""

    @property
    def workers_alive(self) -> bool:
        """This process's workers run."""


class StemsCourier(Protocol):
    """Tells the person who pressed 🎚 about the stems a worker rendered for a process that renders nothing
    (``bot/`` sends them to the chat). Either method may raise; the queue then leaves a note for the next press."""

    async def stems_ready(self, job: Job) -> None:
        """The job's stems archives are in the audio store: send them."""
        ...

    async def stems_failed(self, job: Job, reason: StemsFailure) -> None:
        """The stems could not be made (``reason``): say so."""
        ...


@dataclass(frozen=True, slots=True)
class Submission:
    """The result of submitting a prompt: the quota decision and, when queued, the job and its place."""

    admission: Admission
    job: Job | None = None
    position: int = 0


@dataclass(slots=True)
class _Worker:
    """One supervised worker and what it is doing now."""

    engine: str
    name: str
    state: WorkerState = "idle"
    failures: int = 0  # errors in a row; reset when the database answers again
    last_error: str | None = None
    task: asyncio.Task[None] | None = None


class GenerationQueue:
    """Owns the workers; safe to use from many handlers at once."""

    def __init__(
        self,
        *,
        db: Database,
        credits: Credits,
        engines: Mapping[str, Engine],
        delivery: Delivery,
        audio_dir: Path,
        clock: Callable[[], datetime],
        concurrency: Mapping[str, int] | None = None,
        timeout_s: float = 300.0,
        max_attempts: int = 3,
        heartbeat_s: float = 4.0,
        observer: QueueObserver | None = None,
        idle_poll_s: float = 5.0,
        retry_backoff_s: tuple[float, float] = (0.5, 30.0),
        audio_store: AudioStore | None = None,
        dispatch: Dispatch | None = None,
        shutdown_grace_s: float = 0.0,
        serves: Iterable[str] | None = None,
    ) -> None:
        self._db, self._credits, self._engines = db, credits, dict(engines)
        #: The queue backend (None: this queue's own workers, in this process) and how long its workers' running
        #: jobs may finish when they stop.
        self.dispatch, self._grace = dispatch, shutdown_grace_s
        self._on_queued = dispatch.enqueue if dispatch is not None else None
        #: The engines whose jobs this process's workers take from the backend (ENGINES on a worker machine).
        self._serves = [name for name in (serves or engines) if name in self._engines]
        self._delivery, self._audio_dir, self._clock = delivery, audio_dir, clock
        #: Where track files go (storage.audio); ``audio_dir`` keeps the clips waiting for their job either way.
        self.audio_store: AudioStore = audio_store or LocalAudioStore(audio_dir)
        self._jobs = JobRepository(db)
        self._concurrency = {name: (concurrency or {}).get(name, 1) for name in self._engines}
        self.timeout_s, self.max_attempts, self._heartbeat_s = timeout_s, max_attempts, heartbeat_s
        self._wake = {name: asyncio.Event() for name in self._engines}
        self._idle_poll_s, self._backoff = idle_poll_s, retry_backoff_s
        self._workers: list[_Worker] = []
        self._sending: set[int] = set()  # jobs whose track is being uploaded: no longer cancelable
        self._orphans: set[int] = set()  # jobs whose run a worker error broke: re-queued by the next worker step
        self._running: dict[int, asyncio.Task[None]] = {}
        self._announcing: dict[int, asyncio.Event] = {}
        self._busy: dict[str, int] = {}  # engine → workers running a job now
        self._stopping = False
        self._dispatching = False  # the backend's workers run in this process
        self._observer: QueueObserver = observer or NullObserver()
        self._courier: StemsCourier | None = None  # who hands over stems rendered here for another process

    @property
    def clips_dir(self) -> Path:
        """Where clips kept as melody references wait for their job (``params["reference_clip"]`` names one)."""
        return self._audio_dir / CLIPS_DIR

    @property
    def jobs(self) -> JobRepository:
        """The job records."""
        return self._jobs

    @property
    def engines(self) -> Mapping[str, Engine]:
        """The engines this queue runs, by name."""
        return self._engines

    def workers(self, engine: str) -> int:
        """How many workers run ``engine``'s jobs."""
        return self._concurrency.get(engine, 0)

    def worker_states(self) -> dict[str, list[WorkerState]]:
        """Each engine's workers and what each is doing; ``idle`` and ``busy`` ones are alive (:data:`ALIVE`)."""
        states: dict[str, list[WorkerState]]
        if self.dispatch is not None:  # this process's workers serve only these engines' queues
            states = {name: [] for name in self._serves}
            if self._dispatching:
                alive = self.dispatch.workers_alive
                for name in self._serves:
                    count = self._concurrency[name]
                    busy = self._busy.get(name, 0) if alive else 0
                    idle: WorkerState = "idle" if alive else "stopped"
                    busy_states: list[WorkerState] = ["busy"] * min(busy, count)
                    states[name] = busy_states + [idle] * max(0, count - busy)
            return states
        states = {name: [] for name in self._engines}
        for worker in self._workers:
            done = worker.task is None or worker.task.done()
            states[worker.engine].append("stopped" if done else worker.state)
        return states

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def start(
        self,
        stems_courier: StemsCourier | None = None,
        teasers: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> None:
        """Recover interrupted jobs, then start the workers (with a queue backend: its workers in this process, which
        also render the stems other processes ask for and hand them over through ``stems_courier``, and post the
        teasers admins ask for with ``teasers(chat_id, admin_id)``)."""
        self._stopping, self._courier = False, stems_courier
        if self.dispatch is not None:
            # Interrupted jobs come back through the backend (stalled workers' jobs are retried), not from here.
            self._dispatching = True
            await self.dispatch.start_workers(
                self.run_job,
                engines=self._serves,
                concurrency=max(self._concurrency.values(), default=1),
                shutdown_grace_s=self._grace,
                stems=self.run_stems,
                teaser=teasers,
            )
            return
        await self.recover()
        for name, count in self._concurrency.items():
            for index in range(count):
                worker = _Worker(engine=name, name=f"worker-{name}-{index}")
                worker.task = asyncio.create_task(self._supervise(worker), name=worker.name)
                self._workers.append(worker)

    async def stop(self, grace_s: float = 0.0) -> None:
        """Stop taking jobs; give running ones ``grace_s`` to finish, then interrupt and re-queue them."""
        self._stopping = True
        if self.dispatch is not None:
            await self.dispatch.stop_workers()  # its own grace (shutdown_grace_s), then running jobs are re-queued
            self._dispatching = False
            return
        for event in self._wake.values():
            event.set()
        running = list(self._running.values())
        if running and grace_s > 0:
            await asyncio.wait(running, timeout=grace_s)
        workers = [worker.task for worker in self._workers if worker.task is not None]
        for task in workers + list(self._running.values()):
            task.cancel()
        await asyncio.gather(*workers, *self._running.values(), return_exceptions=True)
        self._workers.clear()

    async def recover(self) -> list[int]:
        """Re-queue jobs a crash left running, or fail them (credit released) after too many attempts."""
        requeued = []
        for job in await self._jobs.running():
            if job.attempts < self.max_attempts:
                await self._jobs.requeue(job.id)
                requeued.append(job.id)
                log.info("re-queued job %s after an interruption (attempt %s)", job.id, job.attempts)
            elif await self._credits.settle(job.id, "failed", error="interrupted too many times"):
                log.warning("job %s failed after %s interrupted attempts; credit released", job.id, job.attempts)
                self._observer.job_finished(job.engine, JobOutcome.FAILED)
                await self._tell(self._delivery.failed(job, FailureReason.INTERRUPTED))
        return requeued

    # --- submitting and canceling ---------------------------------------------------------------------------

    async def submit(self, spec: JobSpec, *, banned: bool) -> Submission:
        """Admit the request (reserving a credit) and queue it; tells the user their place."""
        if spec.engine not in self._engines:
            raise EngineRejected(f"engine {spec.engine!r} is not running")
        admission = await self._credits.admit(spec, banned=banned, on_queued=self._on_queued)
        if admission.job_id is None:
            return Submission(admission)
        # No await since the commit, so no worker has run yet: register before one can claim the job, and make
        # it wait until the user has seen "queued", or its "composing" edit would have no message to edit.
        announced = self._announcing[admission.job_id] = asyncio.Event()
        try:
            job = await self._jobs.get(admission.job_id)
            assert job is not None
            position = await self.position(job)
            try:
                message_id = await self._delivery.queued(job, position)
            except Exception:  # the status message is a courtesy: the job still runs
                log.warning("could not show the queue position of job %s", job.id, exc_info=True)
                message_id = None
            if message_id is not None:
                job = await self._jobs.update(job.id, status_message_id=message_id) or job
        finally:
            announced.set()
            del self._announcing[admission.job_id]
        self._wake[spec.engine].set()
        return Submission(admission, job, position)

    async def submit_house(self, spec: JobSpec) -> Job:
        """Queue a job the house pays for (no quota, no credit); delivered like any other."""
        if spec.engine not in self._engines:
            raise EngineRejected(f"engine {spec.engine!r} is not running")
        job_id = await self._credits.admit_house(spec, on_queued=self._on_queued)
        announced = self._announcing[job_id] = asyncio.Event()
        job = await self._jobs.get(job_id)
        assert job is not None
        try:
            message_id = await self._delivery.queued(job, await self._jobs.queue_position(job))
            if message_id is not None:
                job = await self._jobs.update(job.id, status_message_id=message_id) or job
        except Exception:
            log.warning("could not show the queue position of house job %s", job_id, exc_info=True)
        finally:
            announced.set()
            del self._announcing[job_id]
        self._wake[spec.engine].set()
        return job

    async def cancel(self, telegram_id: int) -> Job | None:
        """Cancel the user's newest active job (queued or running); returns it, or None when there is none.

        A job whose track is being sent cannot be canceled (the user may have it already): when that is the only
        one, it is returned still active, and the caller says "too late".
        """
        sending: Job | None = None
        for job in reversed(await self._jobs.active_for_user(telegram_id)):
            if job.sending_at is not None or job.id in self._sending:
                sending = sending or job
                continue
            if job.status == "queued" and await self._credits.settle(job.id, "canceled", expect_status="queued"):
                self._drop_reference(job)
                self._observer.job_finished(job.engine, JobOutcome.CANCELED)
                await self._tell(self._delivery.canceled(job))
                return job
            task = self._running.get(job.id)
            if job.id in self._sending:  # the upload began during the await above
                sending = sending or job
                continue
            if task is not None and not task.done():  # no await since the check: the upload cannot begin first
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({task})
                return await self._jobs.get(job.id)
            if task is None and self.dispatch is not None and await self.dispatch.abort(job.id):
                return await self._settled_elsewhere(job)
        return sending

    async def _settled_elsewhere(self, job: Job, within_s: float = 10.0) -> Job:
        """The job once the worker elsewhere that was asked to abort it has settled it (or as it stands after
        ``within_s``: it was being sent, and the worker finishes it)."""
        deadline = time.monotonic() + within_s
        current = job
        while time.monotonic() < deadline:
            current = await self._jobs.get(job.id) or current
            if not current.active or current.sending_at is not None:
                break
            await asyncio.sleep(0.05)
        return current

    async def position(self, job: Job) -> int:
        """The job's place in line for a worker of its engine: 0 when it is running or a free worker will take it."""
        place = await self._jobs.queue_position(job)
        if self.dispatch is not None:
            # Workers may be on other machines: the place is the database's count of queued jobs ahead of it.
            return place
        started = sum(1 for w in self._workers if w.engine == job.engine and w.task is not None and not w.task.done())
        free = started - self._busy.get(job.engine, 0)
        return max(0, place - max(0, free))

    # --- the workers ----------------------------------------------------------------------------------------

    async def _supervise(self, worker: _Worker) -> None:
        """Run one worker until the queue stops; an unexpected error is logged, then it backs off and resumes."""
        while not self._stopping:
            try:
                await self._work(worker)
            except Exception as exc:
                worker.failures += 1
                worker.state, worker.last_error = "backoff", f"{type(exc).__name__}: {exc}"
                delay = min(self._backoff[0] * 2 ** (worker.failures - 1), self._backoff[1])
                log.error(
                    "%s failed (%s; %d in a row); resuming in %.1f s",
                    worker.name,
                    worker.last_error,
                    worker.failures,
                    delay,
                    exc_info=exc,
                )
                await asyncio.sleep(delay)
        worker.state = "stopped"

    async def _work(self, worker: _Worker) -> None:
        engine, wake = worker.engine, self._wake[worker.engine]
        while not self._stopping:
            await self._requeue_orphans()
            job = await self._jobs.claim_next(engine, self._clock())
            if worker.failures:
                log.info("%s resumed after %d failed attempts", worker.name, worker.failures)
            worker.state, worker.failures = "idle", 0  # the database answers again
            if job is None:
                wake.clear()
                with contextlib.suppress(TimeoutError):  # also picks up jobs queued elsewhere
                    await asyncio.wait_for(wake.wait(), timeout=self._idle_poll_s)
                continue
            task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
            self._running[job.id] = task
            self._busy[engine] = self._busy.get(engine, 0) + 1
            worker.state = "busy"
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():  # the worker itself was stopped: stop its job too
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                if self._stopping:
                    return
            except Exception:
                self._orphans.add(job.id)  # e.g. the database failed while the job settled: run it again
                raise
            finally:
                self._running.pop(job.id, None)
                self._busy[engine] -= 1
                worker.state = "idle"

    async def run_job(self, job_id: int) -> None:
        """Run one job the queue backend handed to this process: claim it, then generate → deliver → settle.

        A job settled meanwhile (canceled while queued) is skipped; one claimed more than ``max_attempts`` times
        (its workers died) fails and its credit is released. Raises ``CancelledError`` when the backend aborts it
        (shutdown: the job is back in the queue) and a database error when it must be tried again."""
        job = await self._jobs.claim(job_id, self._clock())
        if job is None:
            return
        if job.attempts > self.max_attempts:
            await self._fail(job, FailureReason.INTERRUPTED, f"interrupted {job.attempts - 1} times")
            return
        if job.id not in self._announcing:  # submitted in another process: its "queued" message may be on its way
            job = await self._announced_elsewhere(job)
        task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
        self._running[job.id] = task
        self._busy[job.engine] = self._busy.get(job.engine, 0) + 1
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():  # aborted (/cancel elsewhere) or shut down: stop the job, which settles or re-queues
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            raise
        finally:
            self._running.pop(job.id, None)
            self._busy[job.engine] -= 1

    # --- stems, re-rendered on request --------------------------------------------------------------------------

    async def render_stems(self, job: Job) -> list[str]:
        """Re-render a delivered job from its seed with stems and put them in the audio store as ZIPs; their keys in
        order, empty when the engine made no stems. Raises ``EngineError`` (``EngineRejected`` when the job cannot
        be re-rendered here) and ``TooBigToSend``; bounded by ``timeout_s``."""
        engine = self._engines.get(job.engine)
        if engine is None or job.seed is None or job.audio_path is None:
            raise EngineRejected(f"job {job.id} cannot be re-rendered by this process")
        request = await self.request_for(job, stems=True, seed=job.seed)
        try:
            async with asyncio.timeout(self.timeout_s):
                track = await engine.generate(request)
        except TimeoutError as exc:
            raise EngineTimedOut(f"re-rendering job {job.id} took over {self.timeout_s:g} s") from exc
        if not track.stems:
            return []
        return await write_stems_zip(track, self.audio_store, PurePosixPath(key_of(job.audio_path)).stem)

    async def request_stems(self, job: Job) -> bool:
        """Hand the job's stems render to the workers (the queue backend's); False when already asked for."""
        if self.dispatch is None:
            raise RuntimeError("no queue backend: stems are rendered where they are asked for")
        return await self.dispatch.enqueue_stems(job.id, job.engine)

    async def request_teaser(self, chat_id: int, admin_id: int, *, engine: str) -> bool:
        """Hand an admin's teaser to the workers of ``engine`` (the queue backend's); False when already asked for."""
        if self.dispatch is None:
            raise RuntimeError("no queue backend: teasers are posted where they are asked for")
        return await self.dispatch.enqueue_teaser(chat_id, admin_id, engine)

    async def run_stems(self, job_id: int, resumed: bool = False) -> None:
        """A worker's stems render (asked for by :meth:`request_stems`), then the stems courier sends them (or says
        why not). Archives already in the store were sent by whoever made them — unless ``resumed``: an earlier
        attempt was cut off by a shutdown, maybe before or during the upload, so they are sent now (at least once).
        Without a courier, or when it fails, a failure is recorded beside the track (``note_stems_failure``) for the
        next press to tell."""
        job = await self._jobs.get(job_id)
        if job is None or job.audio_path is None:
            return
        stem = PurePosixPath(key_of(job.audio_path)).stem
        made = bool(await sendable_stems(self.audio_store, stem))
        if made and not resumed:
            return
        reason: StemsFailure | None = None
        try:
            if not made and not await self.render_stems(job):
                reason = "no_stems"
        except TooBigToSend as exc:
            log.warning("the stems of job %s cannot be sent: %s", job.id, exc)
            reason = "too_big"
        except EngineError as exc:
            log.warning("re-rendering the stems of job %s failed: %s", job.id, exc)
            reason = "engine"
        if reason is None:
            log.info("job %s: stems rendered for a press elsewhere", job.id, extra={"job_id": job.id})
        if self._courier is not None:
            try:
                await (self._courier.stems_ready(job) if reason is None else self._courier.stems_failed(job, reason))
                return
            except Exception:  # the archives are in the store (or the note below says why): the next press has them
                log.warning("could not hand over the stems of job %s", job.id, exc_info=True)
        if reason is not None:
            await note_stems_failure(self.audio_store, stem, reason)

    async def _announced_elsewhere(self, job: Job) -> Job:
        """The job once the process that submitted it has recorded the user's status message, so "composing"
        edits that message rather than sending a second one; waits only for a fresh first attempt in a chat
        (negative chat ids are web visitors, who get no status message), at most ``ANNOUNCE_WAIT_S``."""
        fresh = (self._clock() - job.created_at).total_seconds() < ANNOUNCE_WAIT_S
        if job.status_message_id is not None or job.attempts > 1 or job.chat_id < 0 or not fresh:
            return job
        deadline = time.monotonic() + ANNOUNCE_WAIT_S
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            current = await self._jobs.get(job.id)
            if current is None or current.status_message_id is not None:
                return current or job
        return job

    async def _requeue_orphans(self) -> None:
        """Jobs whose run a worker error broke: queued again, or failed (credit released) after too many tries."""
        for job_id in list(self._orphans):
            job = await self._jobs.get(job_id)
            if job is not None and job.status == "running":
                if job.attempts < self.max_attempts:
                    await self._jobs.requeue(job_id)
                    log.info("re-queued job %s after a worker error", job_id)
                else:
                    await self._fail(job, FailureReason.INTERRUPTED, "interrupted by worker errors too many times")
            self._orphans.discard(job_id)

    async def _run(self, job: Job) -> None:
        """Generate, deliver and settle one claimed job; raises only on shutdown or when the database fails."""
        engine = self._engines[job.engine]
        self._observer.job_started(job.id, job.engine)  # in this task's context: marks the job's log lines
        log.info("job %s started on engine %s", job.id, job.engine, extra={"job_id": job.id})
        announced = self._announcing.get(job.id)
        if announced is not None:
            await announced.wait()
            job = await self._jobs.get(job.id) or job
        heartbeat = asyncio.create_task(self._heartbeat(job))
        sending: asyncio.Future[None] | None = None
        try:
            files = await self._files_to_resend(job)
            if files is not None:
                log.info(
                    "job %s was being sent when the bot stopped; sending it again", job.id, extra={"job_id": job.id}
                )
                heartbeat.cancel()
                sending = self._start_sending(job, files, 0.0)
                await asyncio.shield(sending)
                return
            await self._tell(self._delivery.started(job))
            async with asyncio.timeout(self.timeout_s):
                began = time.monotonic()
                track = await engine.generate(await self._request(job, engine))
                self._drop_reference(job)  # the engine is done with it
                self._observer.generated(job.engine, time.monotonic() - began)
                log.info("job %s generated by %s (%s)", job.id, job.engine, track.model, extra={"job_id": job.id})
                files = await write_track_files(
                    track, self.audio_store, f"job-{job.id}", prompt=job.prompt, mood=job.params.get("mood")
                )
            job = await self._record(job, track, files)
            seconds = track.seconds_taken
            del track  # the files hold it now: an upload (seconds, on a slow network) must not keep the samples
            heartbeat.cancel()
            # From here the user may get the track at any instant: sending and settling run to their end even if
            # this task is cancelled (by /cancel, which is refused from now on, or by shutdown).
            sending = self._start_sending(job, files, seconds)
            await asyncio.shield(sending)
        except asyncio.CancelledError:
            if sending is not None:
                while not sending.done():  # a second cancel (the worker stopping too) must not cut it short either
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.shield(sending)
                raise
            if self._stopping:
                await self._jobs.requeue(job.id)
                self._observer.job_finished(job.engine, JobOutcome.REQUEUED)
                log.info("job %s interrupted by shutdown; re-queued", job.id)
                raise
            self._drop_reference(job)
            if await self._credits.settle(job.id, "canceled", error="canceled by the user"):
                self._observer.job_finished(job.engine, JobOutcome.CANCELED)
                await self._tell(self._delivery.canceled(job))
        except TimeoutError:
            await self._fail(job, FailureReason.TIMEOUT, f"timed out after {self.timeout_s:g} s")
        except EngineError as exc:
            reason = (
                FailureReason.ENGINE_REJECTED if isinstance(exc, EngineRejected) else FailureReason.ENGINE_UNAVAILABLE
            )
            await self._fail(job, reason, f"{type(exc).__name__}: {exc}")
        except DeliveryError as exc:
            await self._fail(job, FailureReason.DELIVERY, f"delivery failed: {exc}")
        except Exception as exc:
            log.exception("job %s failed unexpectedly", job.id)
            await self._fail(job, FailureReason.INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            heartbeat.cancel()
            if not self._stopping:  # a job re-queued by the shutdown needs its reference clip after the restart
                self._drop_reference(job)

    def _drop_reference(self, job: Job) -> None:
        """Delete the clip a job used as its melody reference (a single unlink: safe while being cancelled)."""
        name = job.params.get("reference_clip")
        if name:
            (self.clips_dir / Path(str(name)).name).unlink(missing_ok=True)

    async def _request(self, job: Job, engine: Engine) -> GenerationRequest:
        caps = engine.capabilities(job.params.get("model"))
        # A deterministic engine re-renders stems when someone asks for them (compose.studio); rendering, keeping
        # and zipping them for every job would cost CPU and disk (a 30 s synth track's stems are ~14 MB).
        return await self.request_for(job, stems=caps.stems and not caps.deterministic)

    async def request_for(self, job: Job, *, stems: bool, seed: int | None = None) -> GenerationRequest:
        """The engine request a job describes (``seed`` overrides the one asked for)."""
        params = job.params
        continue_from = None
        if params.get("continue_job"):
            source = await self._jobs.get(int(params["continue_job"]))
            if source is not None and source.audio_path:
                with contextlib.suppress(AudioMissing):  # deleted by the retention: the engine starts afresh
                    continue_from = await self.audio_store.read(with_suffix(key_of(source.audio_path), ".wav"))
        reference_audio = None
        if params.get("reference_clip"):
            clip = self.clips_dir / Path(str(params["reference_clip"])).name
            try:
                reference_audio = await asyncio.to_thread(clip.read_bytes)
            except FileNotFoundError:  # kept past its retention, or used already: never compose without it
                raise EngineRejected(f"the reference clip {clip.name} is gone") from None
        return GenerationRequest(
            prompt=job.prompt,
            duration=float(params.get("duration", 30.0)),
            seed=seed if seed is not None else params.get("seed"),
            bpm=params.get("bpm"),
            key=params.get("key"),
            genre=params.get("genre"),
            mood=params.get("mood"),
            loop=bool(params.get("loop", False)),
            continue_from=continue_from,
            stems=stems,
            model=params.get("model"),
            lyrics=job.lyrics,
            reference_audio=reference_audio,
        )

    async def _record(self, job: Job, track: GeneratedTrack, files: TrackFiles) -> Job:
        updated = await self._jobs.update(
            job.id,
            model=track.model,
            seed=track.seed,
            audio_path=self.audio_store.locator(files.mp3),
            title=files.title,
            duration=track.duration,
            bpm=track.bpm,
            music_key=track.key,
            style=track.genre,
            license_id=track.license.id,
            commercial=int(track.commercial_use),
            has_stems=int(files.stems_zip is not None or self._stems_on_demand(job)),
            cost_usd=track.cost_usd,
        )
        return updated or job

    def _stems_on_demand(self, job: Job) -> bool:
        caps = self._engines[job.engine].capabilities(job.params.get("model"))
        return caps.stems and caps.deterministic

    async def _files_to_resend(self, job: Job) -> TrackFiles | None:
        """The files of a job a crash interrupted while they were being sent, if they are still in the store."""
        if job.sending_at is None:
            return None
        stem = f"job-{job.id}"
        return await files_for(self.audio_store, stem, prompt=job.prompt, engine=job.engine, duration=job.duration)

    def _start_sending(self, job: Job, files: TrackFiles, seconds: float) -> asyncio.Future[None]:
        # Flagged before the task starts: a /cancel in between must already see that the upload is under way.
        self._sending.add(job.id)
        sending = asyncio.ensure_future(self._send(job, files, seconds))
        sending.add_done_callback(lambda _: self._sending.discard(job.id))
        return sending

    async def _send(self, job: Job, files: TrackFiles, seconds: float) -> None:
        """Flag the job as sending, upload the track and settle; a failed upload fails the job (credit released)."""
        await self._jobs.mark_sending(job.id, self._clock())
        log.info("job %s: sending the track", job.id, extra={"job_id": job.id})
        try:
            receipt = await self._delivery.deliver(job, files)
        except DeliveryError as exc:
            await self._fail(job, FailureReason.DELIVERY, f"delivery failed: {exc}")
            return
        except Exception as exc:
            log.exception("job %s: sending failed unexpectedly", job.id)
            await self._fail(job, FailureReason.INTERNAL, f"{type(exc).__name__}: {exc}")
            return
        await self._settle_delivered(job, receipt.file_id, seconds)

    async def _settle_delivered(self, job: Job, file_id: str, seconds: float) -> None:
        # The user has the track: retry until the charge sticks (releasing the credit would give the track away).
        # On shutdown the job stays flagged as sending, and the restart sends it again and settles it once.
        failures = 0
        while True:
            try:
                await self._jobs.update(job.id, file_id=file_id)
                await self._credits.settle(job.id, "delivered")
                break
            except Exception as exc:
                if self._stopping:  # flagged as sending: the restart sends it again and settles it once
                    log.warning("job %s was sent but is left unsettled by the shutdown (%s)", job.id, exc)
                    return
                failures += 1
                delay = min(self._backoff[0] * 2 ** (failures - 1), self._backoff[1])
                log.error(
                    "job %s was sent but could not be settled (%s: %s); retrying in %.1f s",
                    job.id,
                    type(exc).__name__,
                    exc,
                    delay,
                    extra={"job_id": job.id},
                )
                await asyncio.sleep(delay)
        self._observer.job_finished(job.engine, JobOutcome.DELIVERED)
        log.info("job %s delivered (%s, %.1f s)", job.id, job.engine, seconds, extra={"job_id": job.id})
        await self._tell(self._delivery.finished(job))

    async def _fail(self, job: Job, reason: FailureReason, error: str) -> None:
        log.warning("job %s failed: %s", job.id, error, extra={"job_id": job.id, "reason": reason.value})
        self._drop_reference(job)  # before the user hears of it: nothing they sent outlives the job
        if await self._credits.settle(job.id, "failed", error=error):
            outcome = JobOutcome.TIMEOUT if reason is FailureReason.TIMEOUT else JobOutcome.FAILED
            self._observer.job_finished(job.engine, outcome)
            await self._tell(self._delivery.failed(job, reason))

    async def _heartbeat(self, job: Job) -> None:
        # A track done within a second needs no "recording audio…" indicator: start it only for longer work.
        await asyncio.sleep(min(1.0, self._heartbeat_s))
        while True:
            await self._tell(self._delivery.working(job))
            await asyncio.sleep(self._heartbeat_s)

    @staticmethod
    async def _tell(call: Awaitable[object]) -> None:
        """Await a Delivery notification; a failure to notify is logged, never fatal."""
        try:
            await call
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("could not notify the user", exc_info=True)

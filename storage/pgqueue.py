"""The PostgreSQL queue backend: generation jobs handed to workers on any machine through procrastinate.

The ``jobs`` table stays the record of what was asked and where it stands; procrastinate carries the *work*: one
procrastinate job per generation job, deferred on the connection of the transaction that inserts the ``jobs`` row
and reserves its credit (``enqueue``), so a job exists for the workers exactly when its credit is held. Each engine
has its own procrastinate queue (``engine.<name>``): a worker serves only the engines it was started for.
Priorities are the jobs' (paid above free). One active job per user is the admission's rule, decided under the
user's lock in the same transaction (``storage.reservations``): procrastinate's own ``lock`` is not used, since a
job waiting on a lock is only looked at again at the next poll.

Stalled jobs: each worker process beats its heartbeat into ``procrastinate_workers``; a periodic task, deferred
once per period across all workers, sends the running jobs of workers whose heartbeat lapsed back to ``todo``
(procrastinate's ``get_stalled_jobs`` + ``retry_job``), so another worker runs them. The runner (the scheduler's
job runner) counts attempts in the ``jobs`` row and fails the job, releasing its credit, after too many.

Abort: ``abort`` asks procrastinate to abort a running job; the worker running it cancels its asyncio task, which
the runner settles as canceled. On shutdown procrastinate waits ``shutdown_grace_s``, then aborts what runs; the
runner re-queues those jobs and procrastinate retries them (its retry strategy). A stems render cut off that way is
retried too, and told it was (``resumed``): its archives may be made but not yet sent, so they are sent then.

What procrastinate does not express, and how it is covered: the queue position shown to a user is counted in
the ``jobs`` table (``JobRepository.queue_position``), which mirrors the queued work, rather than from
procrastinate's rows; exactly-once delivery after a worker died mid-upload is the runner's ``sending_at`` flag.

Sources: procrastinate 3.10 docs and source — "Defer a job within a transaction" (``configure(connection=…)``,
``JobManager.batch_defer_jobs_async(connection=…)``), "Retry stalled jobs" (``get_stalled_jobs(
seconds_since_heartbeat=…)`` + ``retry_job``, worker ``update_heartbeat_interval``/``stalled_worker_timeout``),
"Launch a task periodically" (6-field cron with seconds, one defer per period), "Abort a running job" (async
tasks are cancelled), "Retry a job" (``RetryStrategy``); the schema is ``SchemaManager.get_schema()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from procrastinate import App, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.job_context import JobContext
from procrastinate.schema import SchemaManager

from storage.database import Connection
from storage.reservations import Queued

log = logging.getLogger(__name__)

GENERATE = "cloudmusic.generate"
STEMS = "cloudmusic.stems"
RECOVER = "cloudmusic.recover_stalled"
TEASER = "cloudmusic.teaser"
#: Stems asked for by someone pressing 🎚 right now: ahead of the generation jobs waiting (free 0, paid 1).
STEMS_PRIORITY = 2
#: Runs one generation job by its ``jobs`` id; raises only when the job must be tried again (shutdown, database).
Runner = Callable[[int], Awaitable[None]]
#: Renders job ``job_id``'s stems; ``resumed``: an earlier attempt was cut off (shutdown), maybe mid-upload.
StemsRunner = Callable[[int, bool], Awaitable[None]]
#: Posts a teaser an admin asked for in chat ``chat_id`` and reports there: ``(chat_id, admin_id)``.
TeaserRunner = Callable[[int, int], Awaitable[None]]


def procrastinate_schema() -> str:
    """procrastinate's own schema (tables, functions, triggers), applied verbatim by a migration on PostgreSQL."""
    return SchemaManager.get_schema()


def queue_name(engine: str) -> str:
    """The procrastinate queue of an engine's jobs."""
    return f"engine.{engine}"


@dataclass(frozen=True, slots=True)
class QueueTiming:
    """How often workers beat, when a silent worker counts as dead, and how often stalled jobs are looked for."""

    heartbeat_s: float = 10.0
    stalled_s: float = 30.0
    poll_s: float = 1.0  # how often an idle worker looks for work it was not notified of
    retry_wait_s: float = 1.0  # before a job broken by a shutdown or a database error runs again
    max_retries: int = 20  # procrastinate's own attempts; the runner's ``jobs.attempts`` is the user-facing limit

    @property
    def recover_every_s(self) -> int:
        """How often stalled jobs are looked for: about half ``stalled_s``, a divisor of 60 (a cron's seconds)."""
        return next((d for d in (1, 2, 3, 5, 10, 15, 20, 30) if d >= self.stalled_s / 2), 30)


class ProcrastinateQueue:
    """Defers generation jobs and runs procrastinate workers for some engines; one per process."""

    def __init__(self, url: str, *, timing: QueueTiming | None = None, pool_size: int = 4) -> None:
        self.timing = timing or QueueTiming()
        self._runner: Runner | None = None
        self._stems_runner: StemsRunner | None = None
        self._teaser_runner: TeaserRunner | None = None
        self._app = App(connector=PsycopgConnector(conninfo=url, min_size=1, max_size=max(2, pool_size)))
        self._worker: asyncio.Task[None] | None = None
        self._opened = False
        self._register()

    def _register(self) -> None:
        timing = self.timing

        @self._app.task(
            name=GENERATE,
            retry=RetryStrategy(max_attempts=timing.max_retries, wait=int(timing.retry_wait_s) or 1),
        )
        async def generate(job_id: int) -> None:
            if self._runner is None:
                raise RuntimeError("no runner: this process defers jobs but runs none")
            await self._runner(job_id)

        @self._app.task(
            name=STEMS,
            pass_context=True,
            retry=RetryStrategy(max_attempts=timing.max_retries, wait=int(timing.retry_wait_s) or 1),
        )
        async def stems(context: JobContext, job_id: int) -> None:
            if self._stems_runner is None:
                raise RuntimeError("no stems runner: this process defers stems but renders none")
            await self._stems_runner(job_id, context.job.attempts > 0)

        # Not retried: a teaser cut off by a shutdown may be in the channel already (never post twice).
        @self._app.task(name=TEASER)
        async def teaser(chat_id: int, admin_id: int) -> None:
            if self._teaser_runner is None:
                raise RuntimeError("no teaser runner: this process defers teasers but posts none")
            await self._teaser_runner(chat_id, admin_id)

        @self._app.periodic(cron=f"* * * * * */{timing.recover_every_s}", periodic_id="stalled")
        @self._app.task(name=RECOVER, queue="maintenance")
        async def recover_stalled(timestamp: int) -> None:
            await self.retry_stalled()

    async def open(self) -> None:
        """Open the connection pool (deferring and aborting need it; workers too)."""
        if not self._opened:
            await self._app.open_async()
            self._opened = True

    async def close(self) -> None:
        """Stop the workers (if running) and close the pool."""
        await self.stop_workers()
        if self._opened:
            await self._app.close_async()
            self._opened = False

    # --- the bot side ------------------------------------------------------------------------------------------

    async def enqueue(self, conn: Connection, queued: Queued) -> None:
        """Defer the job's work inside the caller's transaction (the one inserting the ``jobs`` row)."""
        await self._app.configure_task(
            GENERATE,
            queue=queue_name(queued.engine),
            priority=queued.priority,
            connection=conn.native,
        ).defer_async(job_id=queued.job_id)

    async def enqueue_stems(self, job_id: int, engine: str) -> bool:
        """Ask a worker of ``engine`` to re-render job ``job_id``'s stems; False when that is already waiting or
        being rendered (one request per job at a time: a second press queues nothing)."""
        lock = f"stems-{job_id}"
        manager = self._app.job_manager
        for status in ("todo", "doing"):
            if list(await manager.list_jobs_async(task=STEMS, queueing_lock=lock, status=status)):
                return False
        try:  # two presses at once: procrastinate's queueing lock keeps one waiting request per job
            await self._app.configure_task(
                STEMS, queue=queue_name(engine), priority=STEMS_PRIORITY, queueing_lock=lock
            ).defer_async(job_id=job_id)
        except AlreadyEnqueued:
            return False
        return True

    async def enqueue_teaser(self, chat_id: int, admin_id: int, engine: str) -> bool:
        """Ask a worker of ``engine`` (which may render a house track) to post a teaser now and report to
        ``chat_id``; False when a request from that chat is already waiting (nothing more is queued)."""
        try:
            await self._app.configure_task(
                TEASER, queue=queue_name(engine), priority=STEMS_PRIORITY, queueing_lock=f"teaser-{chat_id}"
            ).defer_async(chat_id=chat_id, admin_id=admin_id)
        except AlreadyEnqueued:
            return False
        return True

    async def abort(self, job_id: int) -> bool:
        """Ask the worker running job ``job_id`` to stop it; False when no worker runs it."""
        for job in await self._app.job_manager.list_jobs_async(task=GENERATE, status="doing"):
            if job.task_kwargs.get("job_id") == job_id and job.id is not None:
                return await self._app.job_manager.cancel_job_by_id_async(job.id, abort=True)
        return False

    # --- the worker side ---------------------------------------------------------------------------------------

    async def start_workers(
        self,
        runner: Runner,
        *,
        engines: Iterable[str],
        concurrency: int,
        shutdown_grace_s: float,
        stems: StemsRunner | None = None,
        teaser: TeaserRunner | None = None,
    ) -> None:
        """Run ``concurrency`` jobs at a time of ``engines``' queues (and the stalled-job sweep) in this process;
        ``stems(job_id, resumed)`` re-renders a job's stems when asked (:meth:`enqueue_stems`), ``teaser(chat_id,
        admin_id)`` posts the teasers admins ask for (:meth:`enqueue_teaser`)."""
        await self.open()
        self._runner, self._stems_runner, self._teaser_runner = runner, stems, teaser
        queues = [queue_name(e) for e in engines] + ["maintenance"]
        self._worker = asyncio.create_task(
            self._app.run_worker_async(
                queues=queues,
                concurrency=concurrency + 1,  # one slot for the sweep, which never waits for a generation
                install_signal_handlers=False,
                shutdown_graceful_timeout=shutdown_grace_s,
                fetch_job_polling_interval=self.timing.poll_s,  # new work is notified; a retried job is polled
                update_heartbeat_interval=self.timing.heartbeat_s,
                stalled_worker_timeout=self.timing.stalled_s,
                delete_jobs="successful",
            ),
            name="procrastinate-worker",
        )

    @property
    def workers_alive(self) -> bool:
        """The worker runs (started, not ended)."""
        return self._worker is not None and not self._worker.done()

    async def stop_workers(self) -> None:
        """Stop the worker: running jobs get the shutdown grace, then are aborted and retried later."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    async def retry_stalled(self) -> list[int]:
        """Send jobs of workers whose heartbeat lapsed back to ``todo``; returns their ``jobs`` ids (generations;
        a stems render left behind is retried too)."""
        manager = self._app.job_manager
        retried = []
        for task in (GENERATE, STEMS):
            for job in await manager.get_stalled_jobs(task_name=task, seconds_since_heartbeat=self.timing.stalled_s):
                await manager.retry_job(job)
                job_id = job.task_kwargs["job_id"]
                assert isinstance(job_id, int)
                if task == GENERATE:
                    retried.append(job_id)
                log.warning("%s of job %s: its worker stopped beating; queued for another worker", task, job_id)
        return retried

    async def deferred(self) -> list[Deferred]:
        """The generation work procrastinate holds (waiting, running, failed; succeeded work is deleted)."""
        found = []
        for job in await self._app.job_manager.list_jobs_async(task=GENERATE):
            job_id = job.task_kwargs.get("job_id")
            assert isinstance(job_id, int)
            found.append(Deferred(job_id, job.queue, job.priority, str(job.status), job.attempts))
        return sorted(found, key=lambda d: d.job_id)


@dataclass(frozen=True, slots=True)
class Deferred:
    """A generation job's work as procrastinate holds it."""

    job_id: int
    queue: str
    priority: int
    status: str  # todo, doing, failed, aborted, …
    attempts: int  # procrastinate's: runs that ended in a retry

"""Prometheus metrics for one running bot, served at ``GET /metrics`` in the Prometheus text format.

Each :class:`Metrics` has its own ``CollectorRegistry`` (never the process-global one), so many bots can run in
one process — as they do in the tests. The scheduler and billing report through small callbacks
(:class:`scheduler.observe.QueueObserver`, ``Credits(on_decision=…)``, ``Payments(on_payment=…)``) and never
import this module. Metric names::

    cloudmusic_updates_total{kind}                    updates received (kind: message, callback_query, …)
    cloudmusic_generations_total{engine,outcome}      finished jobs (delivered, failed, timeout, canceled, requeued)
    cloudmusic_generation_seconds{engine}             histogram: wall time the engine took per track
    cloudmusic_queue_depth{engine}                    jobs waiting, read from the database on each scrape
    cloudmusic_quota_decisions_total{decision}        allow_free, allow_paid, block_quota, block_banned, block_busy
    cloudmusic_payments_total{provider}               newly credited payments (stars, telegram, stripe)
    cloudmusic_telegram_api_errors_total{method,kind} Bot API calls that raised (kind: the TelegramError class)
    cloudmusic_event_loop_lag_seconds                 how late the event loop's last heartbeat tick ran
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import TypeHandler

from billing import Decision
from bot.logs import trace_id_var
from scheduler.observe import JobOutcome
from storage import Provider

#: Seconds; spans the mock engine (milliseconds) to hosted models (minutes).
GENERATION_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class Metrics:
    """The bot's instruments, their registry, and the callbacks that feed them."""

    def __init__(
        self, engines: Iterable[str] = (), queue_depth: Callable[[], Awaitable[dict[str, int]]] | None = None
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._engines, self._queue_depth = tuple(engines), queue_depth
        r = self.registry
        self.updates = Counter("cloudmusic_updates", "Telegram updates received.", ["kind"], registry=r)
        self.generations = Counter(
            "cloudmusic_generations", "Generation jobs finished, by outcome.", ["engine", "outcome"], registry=r
        )
        self.generation_seconds = Histogram(
            "cloudmusic_generation_seconds",
            "Wall time an engine took to make one track.",
            ["engine"],
            buckets=GENERATION_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge("cloudmusic_queue_depth", "Jobs waiting in the queue.", ["engine"], registry=r)
        self.decisions = Counter("cloudmusic_quota_decisions", "Quota decisions.", ["decision"], registry=r)
        self.payments = Counter("cloudmusic_payments", "Payments credited.", ["provider"], registry=r)
        self.api_errors = Counter(
            "cloudmusic_telegram_api_errors", "Bot API calls that failed.", ["method", "kind"], registry=r
        )
        self.loop_lag = Gauge(
            "cloudmusic_event_loop_lag_seconds", "How late the event loop's last heartbeat ran.", registry=r
        )
        self._exposition = make_aiohttp_handler(self.registry)
        self.watch_queue(self._engines, queue_depth)

    def watch_queue(self, engines: Iterable[str], queue_depth: Callable[[], Awaitable[dict[str, int]]] | None) -> None:
        """Which engines' queues to show, and how to read their depth on each scrape.

        Separate from the constructor because the metrics exist before the core whose queue they watch (the core
        reports its decisions and payments to them as it is built)."""
        self._engines, self._queue_depth = tuple(engines), queue_depth
        for engine in self._engines:  # so a dashboard sees zeros rather than gaps before the first job
            self.queue_depth.labels(engine).set(0)

    # --- callbacks for the scheduler, billing and the transport -----------------------------------------------

    def decision(self, decision: Decision) -> None:
        """Count one quota decision (``Credits(on_decision=…)``)."""
        self.decisions.labels(decision.name.lower()).inc()

    def payment(self, provider: Provider) -> None:
        """Count one newly credited payment (``Payments(on_payment=…)``)."""
        self.payments.labels(provider).inc()

    def api_error(self, method: str, error: TelegramError) -> None:
        """Count a failed Bot API call (the observer of ``bot.observed_limiter``)."""
        self.api_errors.labels(method, type(error).__name__).inc()

    def generated(self, engine: str, seconds: float) -> None:
        """Record one engine run's duration."""
        self.generation_seconds.labels(engine).observe(seconds)

    def job_finished(self, engine: str, outcome: JobOutcome) -> None:
        """Count one finished job."""
        self.generations.labels(engine, outcome.value).inc()

    # --- updates and the HTTP route -----------------------------------------------------------------------------

    def update_handler(self) -> TypeHandler[Update, Any, None]:
        """A handler for group -1 that counts every update and lets it through to the other groups."""
        return TypeHandler(Update, self._count_update)

    async def _count_update(self, update: Update, _context: object) -> None:
        self.updates.labels(update_kind(update)).inc()

    def routes(self) -> list[web.RouteDef]:
        """``GET /metrics``."""
        return [web.get("/metrics", self._serve)]

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        """The registry in the text format the scraper asks for, with the queue depth read just now."""
        depth = await self._queue_depth() if self._queue_depth is not None else {}
        for engine in {*self._engines, *depth}:
            self.queue_depth.labels(engine).set(depth.get(engine, 0))
        return await self._exposition(request)


class QueueTelemetry:
    """The bot's :class:`scheduler.observe.QueueObserver`: job metrics, and the job's trace id on its log lines."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def job_started(self, job_id: int, engine: str) -> None:
        """Every line the job's task logs from now on carries ``trace_id=job-<id>``."""
        trace_id_var.set(job_trace_id(job_id))

    def generated(self, engine: str, seconds: float) -> None:
        """Record the engine's time."""
        self._metrics.generated(engine, seconds)

    def job_finished(self, engine: str, outcome: JobOutcome) -> None:
        """Count the outcome."""
        self._metrics.job_finished(engine, outcome)


def job_trace_id(job_id: int) -> str:
    """The trace id of everything one job logs, from the engine to the delivery."""
    return f"job-{job_id}"


def update_kind(update: Update) -> str:
    """The update's kind as the Bot API names it (``message``, ``callback_query``, …), else ``other``."""
    for kind in Update.ALL_TYPES:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"

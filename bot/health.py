"""``GET /healthz``: is this bot able to serve? 200 when every check passes, else 503 naming what failed.

The checks::

    database     the database answers ``SELECT 1`` (``database_backend`` names it: ``sqlite`` or ``postgresql``)
    event_loop   the loop's heartbeat (a task that sleeps ``TICK_S`` and measures how late it woke) is late by
                 less than ``LOOP_LAG_LIMIT_S``, and has ticked within that limit
    updates      the transport that brings updates is alive (polling: the updater runs; webhook: registered,
                 not failing)
    queue        the queue depth per engine can be read (reported, never a reason to be unhealthy by itself)
    workers      every engine has at least one live generation worker (idle or busy; one backing off after an
                 error, e.g. ``database is locked``, or one that ended is not alive)

The body maps each check to ``"ok"`` or the reason, e.g. ``{"status": "unhealthy", "database": "unreachable",
"event_loop": "ok", …, "queue_depth": {"synth": 2}, "worker_states": {"synth": ["busy", "idle"]},
"loop_lag_s": 0.001, "uptime_s": 3600.0}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from storage import Database

log = logging.getLogger(__name__)

#: Worker states that count as alive (see ``scheduler.queue.WorkerState``).
ALIVE_WORKER_STATES = frozenset({"idle", "busy"})

#: How often the heartbeat ticks.
TICK_S = 0.25
#: How late a tick may be before the loop counts as blocked. Measured on this project's hardware: the synth
#: engine rendering two 30 s tracks at once (each in a thread, then MP3 export) delayed ticks by at most 26 ms (GIL
#: hand-overs; median 6 ms), an idle loop by < 4 ms; a full second late means something blocked the loop.
LOOP_LAG_LIMIT_S = 1.0
#: How long a stall over the limit keeps the loop reported as blocked after it ended: a probe polling every few
#: seconds (and a request that itself waited behind the next tick) still sees a stall that has just passed.
STALL_HOLD_S = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    """One check's outcome: ``reason`` says what is wrong (or what is right, when ``ok``)."""

    ok: bool
    reason: str = "ok"


class TransportStatus(Protocol):
    """How updates reach the bot (polling or webhook) and whether that still works."""

    def status(self) -> Check:
        """Whether updates can arrive now; must return at once."""


class LoopMonitor:
    """A heartbeat task measuring how late the event loop runs it: the loop's lag, in seconds."""

    def __init__(self, tick_s: float = TICK_S, on_tick: Callable[[float], None] | None = None) -> None:
        self.tick_s = tick_s
        self.last_lag = 0.0
        self.max_lag = 0.0  # since start, for the operator's curiosity
        self._on_tick = on_tick
        self._last_tick = time.monotonic()
        self._stall = (0.0, float("-inf"))  # the last tick over the limit: (its lag, when)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start ticking."""
        self._last_tick = time.monotonic()
        self._task = asyncio.create_task(self._run(), name="loop-monitor")

    async def stop(self) -> None:
        """Stop ticking. Safe to call twice."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def lag(self) -> float:
        """The current lag: how late the last tick was, how overdue the next one is, or a stall over the limit in
        the last ``STALL_HOLD_S``, whichever is more."""
        now = time.monotonic()
        overdue = now - self._last_tick - self.tick_s
        stall, at = self._stall
        recent = stall if now - at < STALL_HOLD_S else 0.0
        return max(self.last_lag, overdue, recent, 0.0)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            now = time.monotonic()
            self.last_lag = max(0.0, now - self._last_tick - self.tick_s)
            self.max_lag = max(self.max_lag, self.last_lag)
            self._last_tick = now
            if self.last_lag > LOOP_LAG_LIMIT_S:
                self._stall = (self.last_lag, now)
                log.warning("the event loop was blocked for %.2f s", self.last_lag)
            if self._on_tick is not None:
                self._on_tick(self.last_lag)


class Health:
    """Runs the checks and serves them at ``GET /healthz``."""

    def __init__(
        self,
        *,
        db: Database,
        loop: LoopMonitor,
        transport: TransportStatus,
        queue_depth: Callable[[], Awaitable[dict[str, int]]],
        worker_states: Callable[[], Mapping[str, Sequence[str]]] | None = None,
        lag_limit_s: float = LOOP_LAG_LIMIT_S,
    ) -> None:
        self._db, self._loop, self._transport, self._queue_depth = db, loop, transport, queue_depth
        self._worker_states = worker_states
        self.lag_limit_s = lag_limit_s
        self.started_at = time.monotonic()

    async def report(self) -> tuple[bool, dict[str, object]]:
        """Whether every check passes, and the body that says so."""
        lag = self._loop.lag()
        checks = {
            "database": await self._database(),
            "event_loop": self._event_loop(lag),
            "updates": self._transport.status(),
        }
        depth: dict[str, int] | None = None
        try:
            depth = await self._queue_depth()
            checks["queue"] = Check(True)
        except Exception as exc:  # a closed or broken database: already reported by the database check
            checks["queue"] = Check(False, f"unreadable ({type(exc).__name__})")
        states: dict[str, list[str]] | None = None
        if self._worker_states is not None:
            states = {engine: list(each) for engine, each in self._worker_states().items()}
            checks["workers"] = _workers(states)
        ok = all(c.ok for c in checks.values())
        body: dict[str, object] = {"status": "ok" if ok else "unhealthy"}
        body.update({name: check.reason for name, check in checks.items()})
        body.update(
            database_backend=self._db.backend,
            queue_depth=depth,
            worker_states=states,
            loop_lag_s=round(lag, 4),
            uptime_s=round(time.monotonic() - self.started_at, 1),
        )
        return ok, body

    def _event_loop(self, lag: float) -> Check:
        if lag <= self.lag_limit_s:
            return Check(True)
        return Check(False, f"blocked: {lag:.2f} s late (limit {self.lag_limit_s:g} s)")

    async def _database(self) -> Check:
        try:
            answers = await self._db.ping()
        except Exception as exc:  # a closed SQLite connection raises ValueError, not StorageError
            return Check(False, f"unreachable ({type(exc).__name__})")
        return Check(True) if answers else Check(False, "unreachable")

    async def respond(self, request: web.Request) -> web.Response:
        """The ``GET /healthz`` handler: 200 or 503 with the body of :meth:`report`."""
        ok, body = await self.report()
        return web.json_response(body, status=200 if ok else 503)


def _workers(states: Mapping[str, Sequence[str]]) -> Check:
    dead = sorted(engine for engine, each in states.items() if not ALIVE_WORKER_STATES.intersection(each))
    if not dead:
        return Check(True)
    return Check(False, "no live worker for " + ", ".join(dead))


class PollingStatus:
    """Long polling's status: alive while PTB's updater runs."""

    def __init__(self, is_running: Callable[[], bool]) -> None:
        self._is_running = is_running

    def status(self) -> Check:
        """``ok`` while polling; the reason otherwise."""
        return Check(True) if self._is_running() else Check(False, "polling stopped")

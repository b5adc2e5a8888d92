"""What the generation queue tells an observer (metrics, log context) about its jobs, without knowing who listens.

The scheduler must not import Prometheus or Telegram; ``bot/`` implements :class:`QueueObserver` and passes it to
:class:`scheduler.queue.GenerationQueue`. Every method is called synchronously from the event loop and must
return at once: no I/O, no awaiting, no exceptions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class JobOutcome(StrEnum):
    """How one generation ended, as counted by an observer."""

    DELIVERED = "delivered"
    FAILED = "failed"  # the engine or the delivery failed, or the job was interrupted too often
    TIMEOUT = "timeout"
    CANCELED = "canceled"
    REQUEUED = "requeued"  # interrupted by shutdown; it runs again after a restart


class QueueObserver(Protocol):
    """Receives the queue's events; the default :class:`NullObserver` ignores them."""

    def job_started(self, job_id: int, engine: str) -> None:
        """A worker took the job. Called in the job's own task before anything is logged for it, so setting a
        context variable here (the bot sets the log trace id to ``job-<id>``) marks every line the job logs."""

    def generated(self, engine: str, seconds: float) -> None:
        """The engine produced audio in ``seconds`` of wall time."""

    def job_finished(self, engine: str, outcome: JobOutcome) -> None:
        """The job ended (or was put back in the queue) with ``outcome``."""


class NullObserver:
    """An observer that ignores everything."""

    def job_started(self, job_id: int, engine: str) -> None:
        """Ignored."""

    def generated(self, engine: str, seconds: float) -> None:
        """Ignored."""

    def job_finished(self, engine: str, outcome: JobOutcome) -> None:
        """Ignored."""

"""Storage: the database port (SQLite embedded, or PostgreSQL), its append-only migrations, and one repository
per table group. The only package that writes SQL or imports a database driver.

Knows nothing of Telegram, engines or billing rules. Errors (``storage.errors``)::

    StorageError           base; the database could not be opened or used
    ├── MigrationError     the database was written by a newer CloudMusic, or a migration step failed
    ├── Unavailable        locked, unreachable, read-only or full: try again later
    ├── Refused            a constraint or trigger refused the write (append-only ledger, foreign key, check)
    │   └── Duplicate      a unique key was already recorded (a payment id, an idempotency reference)
    ├── NotFound           the row an operation needs does not exist
    └── Conflict           the row exists but is not in the state the operation expects
"""

from storage.audit import AuditEntry, AuditRepository
from storage.broadcasts import Broadcast, BroadcastRepository
from storage.daily_runs import DailyRunRepository
from storage.database import Connection, Database, Row, SqliteDatabase
from storage.errors import (
    Conflict,
    Duplicate,
    MigrationError,
    NotFound,
    Refused,
    StorageError,
    Unavailable,
)
from storage.inbox import InboxEntry, InboxError, InboxKind, PaymentInbox
from storage.jobs import Job, JobRepository, JobStatus
from storage.ledger import LedgerEntry, LedgerRepository
from storage.migrations import MIGRATIONS, Migration, apply_migrations
from storage.payments import Payment, PaymentRepository, Provider
from storage.reservations import Claim, Holdings, NewJob, ReservationStore, Snapshot
from storage.stats import Stats, StatsRepository
from storage.teasers import Teaser, TeaserRepository
from storage.tracks import TrackRepository
from storage.users import User, UserRepository

__all__ = [
    "MIGRATIONS",
    "AuditEntry",
    "AuditRepository",
    "Broadcast",
    "BroadcastRepository",
    "Claim",
    "Conflict",
    "Connection",
    "DailyRunRepository",
    "Database",
    "Duplicate",
    "Holdings",
    "InboxEntry",
    "InboxError",
    "InboxKind",
    "Job",
    "JobRepository",
    "JobStatus",
    "LedgerEntry",
    "LedgerRepository",
    "Migration",
    "MigrationError",
    "NewJob",
    "NotFound",
    "Payment",
    "PaymentInbox",
    "PaymentRepository",
    "Provider",
    "Refused",
    "ReservationStore",
    "Row",
    "Snapshot",
    "SqliteDatabase",
    "Stats",
    "StatsRepository",
    "StorageError",
    "Teaser",
    "TeaserRepository",
    "TrackRepository",
    "Unavailable",
    "User",
    "UserRepository",
    "apply_migrations",
]

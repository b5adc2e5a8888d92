"""Storage: the SQLite database, its append-only migrations, and one repository per table group.

Knows nothing of Telegram, engines or billing rules.
"""

from storage.audit import AuditEntry, AuditRepository
from storage.broadcasts import Broadcast, BroadcastRepository
from storage.database import Database, MigrationError, StorageError
from storage.inbox import InboxEntry, InboxError, InboxKind, PaymentInbox
from storage.jobs import Job, JobRepository, JobStatus
from storage.ledger import LedgerEntry, LedgerRepository
from storage.migrations import MIGRATIONS, Migration, apply_migrations
from storage.payments import Payment, PaymentRepository, Provider
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
    "Database",
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
    "Payment",
    "PaymentInbox",
    "PaymentRepository",
    "Provider",
    "Stats",
    "StatsRepository",
    "StorageError",
    "Teaser",
    "TeaserRepository",
    "TrackRepository",
    "User",
    "UserRepository",
    "apply_migrations",
]

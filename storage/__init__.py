"""Storage: the SQLite database, its append-only migrations, and one repository per table group.

Knows nothing of Telegram, engines or billing rules.
"""

from storage.database import Database, MigrationError, StorageError
from storage.jobs import Job, JobRepository, JobStatus
from storage.ledger import LedgerEntry, LedgerRepository
from storage.migrations import MIGRATIONS, Migration, apply_migrations
from storage.payments import Payment, PaymentRepository, Provider
from storage.teasers import Teaser, TeaserRepository
from storage.users import User, UserRepository

__all__ = [
    "MIGRATIONS",
    "Database",
    "Job",
    "JobRepository",
    "JobStatus",
    "LedgerEntry",
    "LedgerRepository",
    "Migration",
    "MigrationError",
    "Payment",
    "PaymentRepository",
    "Provider",
    "StorageError",
    "Teaser",
    "TeaserRepository",
    "User",
    "UserRepository",
    "apply_migrations",
]

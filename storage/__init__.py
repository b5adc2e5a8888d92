"""Storage: the SQLite database, its append-only migrations, and one repository per table group.

Knows nothing of Telegram, engines or billing rules.
"""

from storage.database import Database, MigrationError, StorageError
from storage.jobs import Job, JobRepository, JobStatus
from storage.ledger import LedgerEntry, LedgerRepository
from storage.migrations import MIGRATIONS, Migration, apply_migrations
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
    "StorageError",
    "User",
    "UserRepository",
    "apply_migrations",
]

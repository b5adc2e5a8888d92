"""Storage's own exception tree: what callers catch instead of a driver's errors (no ``sqlite3`` or ``psycopg``
outside ``storage/``).

Errors::

    StorageError           base; the database could not be opened or used
    ├── MigrationError     the database was written by a newer CloudMusic, or a migration step failed
    ├── Unavailable        the database is locked, unreachable, read-only or full: try again later
    ├── Refused            a constraint or trigger refused the write (append-only ledger, foreign key, check)
    │   └── Duplicate      a unique key was already recorded (a payment id, an idempotency reference)
    ├── NotFound           the row an operation needs does not exist
    │   └── AudioMissing   an audio object (a track's MP3, WAV, cover or stems) is not in the audio store
    └── Conflict           the row exists but is not in the state the operation expects
"""

from __future__ import annotations


class StorageError(Exception):
    """The database could not be opened or used."""


class MigrationError(StorageError):
    """A migration step failed, or the database is from a newer version."""


class Unavailable(StorageError):
    """The database is busy, unreachable, read-only or full; the operation changed nothing and may be retried."""


class Refused(StorageError):
    """A constraint or trigger refused the write; nothing of the transaction was kept."""


class Duplicate(Refused):
    """A unique key (an external payment id, an event id, a ledger reference) was recorded before."""


class NotFound(StorageError):
    """The row the operation needs does not exist."""


class AudioMissing(NotFound):
    """The audio store holds no object under the key asked for (never written, or deleted by the retention)."""


class Conflict(StorageError):
    """The row is not in the state the operation expects (e.g. a job settled by someone else meanwhile)."""

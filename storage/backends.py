"""``DATABASE_URL`` → an open ``Database``: SQLite under DATA_DIR by default, PostgreSQL when asked.

unset or empty               DATA_DIR/cloudmusic.db (the embedded default; nothing to install)
sqlite:///relative/path.db   relative to DATA_DIR
sqlite:////absolute/path.db  an absolute path (four slashes, as SQLAlchemy spells it)
postgresql://user:pass@host:port/db   PostgreSQL through psycopg 3 with a pool (``postgres://`` too)
"""

from __future__ import annotations

from pathlib import Path

from storage.database import Database
from storage.errors import StorageError

DEFAULT_FILE = "cloudmusic.db"


def backend_of(url: str | None) -> str:
    """``sqlite`` or ``postgresql`` for a DATABASE_URL; ``StorageError`` naming the accepted forms otherwise."""
    if not url or url.startswith("sqlite:///"):
        return "sqlite"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    raise StorageError("DATABASE_URL must be sqlite:///path or postgresql://user:password@host:port/database")


def sqlite_path(url: str | None, data_dir: Path) -> Path:
    """The SQLite file a DATABASE_URL (or its absence) names."""
    if not url:
        return data_dir / DEFAULT_FILE
    rest = url.removeprefix("sqlite:///")
    if not rest:
        raise StorageError("DATABASE_URL sqlite:/// names no file")
    path = Path(rest)
    return path if path.is_absolute() else data_dir / path


async def connect(url: str | None, data_dir: Path, *, migrate: bool = True) -> Database:
    """Open the database ``url`` names and bring its schema up to date (under a lock on PostgreSQL)."""
    if backend_of(url) == "postgresql":
        assert url is not None
        from storage.postgres import PostgresDatabase  # psycopg is imported only when PostgreSQL is chosen

        return await PostgresDatabase.open_url(url, migrate=migrate)
    return await Database.open(sqlite_path(url, data_dir))

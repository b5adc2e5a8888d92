"""The database seam: one abstract ``Database`` (the port) and its embedded SQLite implementation.

``Database`` is what every repository talks to: reads of committed data (``fetchall``/``fetchone``/``scalar``),
single write statements (``execute``/``write_returning``) and multi-statement transactions (``transaction()``,
which yields a ``Connection``). Repositories write portable SQL with ``?`` placeholders (no ``INSERT OR IGNORE``:
``ON CONFLICT DO NOTHING``); a backend translates it for its driver. Two backends implement the port:

    SqliteDatabase     one file under DATA_DIR, WAL, a single writer and a separate reader (the default)
    PostgresDatabase   PostgreSQL through psycopg 3 with a connection pool (``storage.postgres``)

``storage.connect(url, data_dir)`` picks one from ``DATABASE_URL``. Driver errors never leave ``storage/``: they
are translated into the tree in ``storage.errors`` (drawn in the ``storage`` package's docstring).
"""

from __future__ import annotations

import abc
import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any, ClassVar, Protocol

import aiosqlite

from storage.errors import (
    Conflict,
    Duplicate,
    MigrationError,
    NotFound,
    Refused,
    StorageError,
    Unavailable,
)

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]

__all__ = [
    "Conflict",
    "Connection",
    "Database",
    "Duplicate",
    "MigrationError",
    "NotFound",
    "Refused",
    "Result",
    "Row",
    "SqliteDatabase",
    "StorageError",
    "Unavailable",
]


class Row(Protocol):
    """One result row: by position (``row[0]``) or by column name (``row["id"]``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Result:
    """What one statement gave: its rows (already fetched) and how many rows it changed.

    There is no ``lastrowid`` (PostgreSQL has none): an insert that needs its id says ``RETURNING id``.
    """

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> Row | None:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Row]:
        """Every row."""
        return list(self._rows)

    async def close(self) -> None:
        """Nothing to release (the rows were fetched with the statement); kept so callers may close a cursor."""


class Connection(abc.ABC):
    """The connection of one open transaction (``Database.transaction()``); statements run inside it, in order.

    Errors are storage's (``Duplicate`` for a unique key, ``Refused`` for another constraint or a trigger,
    ``Unavailable`` for a busy or unreachable database); the caller's transaction is rolled back by ``transaction``.
    """

    dialect: ClassVar[str]

    @abc.abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> Result:
        """Run one statement (``?`` placeholders) and return its rows and row count."""

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one statement and return its rows."""
        return await (await self.execute(sql, params)).fetchall()

    @abc.abstractmethod
    async def run_script(self, sql: str, *, verbatim: bool = False) -> None:
        """Run a schema step of several statements (written in SQLite's DDL; a backend translates it unless
        ``verbatim``: a third party's schema in the backend's own dialect)."""

    @property
    def native(self) -> Any:
        """The driver's connection under this transaction, for a library that must write in it (procrastinate
        deferring a job in the transaction that reserves its credit: storage.pgqueue)."""
        raise NotImplementedError(f"{type(self).__name__} lends no native connection")

    @abc.abstractmethod
    async def lock_user(self, telegram_id: int) -> None:
        """Hold the user's row until the transaction ends, so concurrent decisions for one user run one at a time.

        SQLite's ``BEGIN IMMEDIATE`` already serialises every writer, so there it does nothing; PostgreSQL takes
        ``SELECT … FOR UPDATE`` on the user's row (READ COMMITTED would otherwise let two transactions read the same
        balance and both spend it).
        """

    @abc.abstractmethod
    async def lock_key(self, key: str) -> None:
        """Like ``lock_user`` for a key with no user row (an anonymous visitor's quota fingerprint)."""


class Database(abc.ABC):
    """An open database (the storage port). Reads see committed data; writes are atomic per call or transaction."""

    #: "sqlite" or "postgresql": what /healthz and the logs name.
    backend: ClassVar[str]

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        """Open (creating if needed) the SQLite database at ``path`` and bring its schema up to date."""
        return await SqliteDatabase.open_file(path)

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the data lives, without secrets (a file path, or a PostgreSQL URL without its password)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close every connection. Safe to call twice."""

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """A write transaction: commits when the block ends, rolls back on any exception."""

    @abc.abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; after an INSERT into a table with an ``id`` column,
        returns the new row's id (0 when nothing was inserted or the table has none)."""

    @abc.abstractmethod
    async def write_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one write statement with ``RETURNING`` in its own transaction; returns its rows."""

    @abc.abstractmethod
    async def executescript(self, sql: str) -> None:
        """Run several statements (schema work, no parameters)."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """One row of committed data, or None (meant for queries that select one row)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    @abc.abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of committed data, as of the moment the query runs."""

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @abc.abstractmethod
    async def tables(self) -> list[str]:
        """The names of the application's tables (not the migrations record), sorted."""

    async def after_copy(self, table: str) -> None:
        """Called after rows with explicit ids were copied into ``table`` (PostgreSQL moves its id sequence on)."""
        return None  # SQLite's AUTOINCREMENT follows the largest id inserted by itself

    async def checkpoint(self) -> tuple[int, int]:
        """Fold the write-ahead log back into the database where the backend keeps one in a file; returns its size
        in bytes before and after (0, 0 where the server manages its own log)."""
        return 0, 0

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            return bool(await self.scalar("SELECT 1") == 1)
        except (StorageError, ValueError):  # aiosqlite raises ValueError on a closed connection
            return False


def sqlite_error(exc: sqlite3.Error) -> StorageError:
    """Storage's exception for a sqlite3 error (the caller raises it ``from`` the original)."""
    text = str(exc)
    if isinstance(exc, sqlite3.IntegrityError):
        return Duplicate(text) if "UNIQUE constraint failed" in text else Refused(text)
    if isinstance(exc, sqlite3.OperationalError) and any(
        word in text for word in ("locked", "busy", "readonly", "read-only", "disk", "unable to open")
    ):
        return Unavailable(text)
    return StorageError(text)


@contextmanager
def _sqlite_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise sqlite_error(exc) from exc


class _SqliteConnection(Connection):
    """A transaction on the SQLite writer."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> Result:
        raw = self._conn

        def run() -> Result:
            # One trip to aiosqlite's thread (execute, fetch and counts together) instead of four: the writer is
            # the bottleneck of every quota decision (bench/quota.py). aiosqlite has no public call for this.
            cursor = raw._conn.execute(sql, params)
            try:
                rows = cursor.fetchall()
                return Result(rows, cursor.rowcount)
            finally:
                cursor.close()

        with _sqlite_errors():
            result: Result = await raw._execute(run)  # type: ignore[no-untyped-call]
            return result

    async def run_script(self, sql: str, *, verbatim: bool = False) -> None:
        from storage.migrations import statements

        for statement in statements(sql):
            await self.execute(statement)

    async def lock_user(self, telegram_id: int) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` holds SQLite's single write lock for the whole transaction."""

    async def lock_key(self, key: str) -> None:
        """Nothing to do (see ``lock_user``)."""


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = aiosqlite.connect(path, isolation_level=None, timeout=10.0)
    try:
        await conn
    except BaseException:
        await _worker_finished(conn)
        raise
    try:  # SQLite opens the file lazily: a read-only or missing directory fails here, on the first statement
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 10000")
        await conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        await conn.close()  # its thread is not a daemon: left open, it would keep the process from exiting
        raise
    return conn


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _create_private(path: Path) -> None:
    """Create the database file 0600 if it is missing (an empty file is an empty SQLite database).

    SQLite gives the ``-wal`` and ``-shm`` files the permissions of the database file, so they are 0600 too; left
    to SQLite, the file would be created 0644 and anyone on the host could read users, payments and the ledger.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


async def _worker_finished(conn: aiosqlite.Connection) -> None:
    """Wait until the worker thread of a connection whose connect failed has ended.

    On a failed connect aiosqlite 0.22 queues a stop for its worker thread but drops the future, so the thread posts
    its last result to this event loop some time later; if the loop has closed by then (``asyncio.run`` ending after
    a failed start-up) the thread dies with an "Event loop is closed" traceback (PITFALLS.md, aiosqlite). aiosqlite
    has no public ``join()`` (omnilib/aiosqlite issue #387), hence the private attribute.
    """
    worker = conn._thread
    if worker.is_alive():
        await asyncio.to_thread(worker.join, 10.0)


class SqliteDatabase(Database):
    """An open SQLite database. Writes go through one connection, one transaction at a time; reads use another.

    Coroutines sharing a connection share its transaction, so writes are serialised with a lock and a reader
    connection only ever sees committed data (WAL lets it read while the writer writes).
    """

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._closed = False

    backend = "sqlite"

    @classmethod
    async def open_file(cls, path: Path) -> SqliteDatabase:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        from storage.migrations import MIGRATIONS, apply_migrations

        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the data directory {path.parent}: {exc.strerror}") from exc
        try:
            _create_private(path)
        except OSError as exc:
            raise StorageError(f"cannot open the database {path}: {exc.strerror}") from exc
        writer: aiosqlite.Connection | None = None
        reader: aiosqlite.Connection | None = None
        try:
            writer = await _connect(path)
            mode = await (await writer.execute("PRAGMA journal_mode = WAL")).fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                log.warning("SQLite did not switch to WAL (journal_mode=%s)", mode[0] if mode else None)
            reader = await _connect(path)
            db = cls(path, writer, reader)
            await apply_migrations(db, MIGRATIONS)
            return db
        except sqlite3.Error as exc:
            for conn in (reader, writer):
                if conn is not None:
                    await conn.close()
            raise StorageError(f"cannot open the database {path}: {exc}") from exc
        except BaseException:
            for conn in (reader, writer):
                if conn is not None:
                    await conn.close()
            raise

    async def close(self) -> None:
        """Checkpoint and close both connections. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        async with self._write_lock:
            await self._reader.close()
            try:
                await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:  # a read-only or full disk must not stop the close
                log.warning("WAL checkpoint on close failed: %s", exc)
            await self._writer.close()

    @property
    def location(self) -> str:
        """The database file."""
        return str(self.path)

    async def tables(self) -> list[str]:
        """Every table but SQLite's own and the migrations record."""
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "AND name <> 'schema_migrations' ORDER BY name"
        )
        return [str(r[0]) for r in rows]

    async def checkpoint(self) -> tuple[int, int]:
        """``PRAGMA wal_checkpoint(TRUNCATE)``; the ``-wal`` file's size before and after."""
        wal = self.path.with_name(self.path.name + "-wal")
        before = await asyncio.to_thread(_file_size, wal)
        await self.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return before, await asyncio.to_thread(_file_size, wal)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on the writer; rolls back on any exception."""
        async with self._write_lock:
            with _sqlite_errors():
                await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteConnection(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                try:
                    await self._writer.execute("COMMIT")
                except sqlite3.Error as exc:
                    with suppress(sqlite3.Error):
                        await self._writer.execute("ROLLBACK")
                    raise sqlite_error(exc) from exc

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns the new row's id after an INSERT."""
        async with self._write_lock:
            with _sqlite_errors():
                cursor = await self._writer.execute(sql, params)
                return cursor.lastrowid or 0

    async def write_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one write statement with ``RETURNING`` in its own (implicit) transaction; returns its rows.

        A single statement is atomic in SQLite, so this needs no BEGIN/COMMIT: one trip to the writer thread
        instead of three, on paths every job takes.
        """
        async with self._write_lock:
            with _sqlite_errors():
                return list(await self._writer.execute_fetchall(sql, params))

    async def executescript(self, sql: str) -> None:
        """Run several statements (schema work); not wrapped in a transaction."""
        async with self._write_lock:
            with _sqlite_errors():
                await self._writer.executescript(sql)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of committed data, as of the moment the query runs.

        The statement runs to completion in one trip to the connection's thread. Stepping a cursor across awaits
        (execute, then fetch, then close) would let concurrent queries overlap on the reader, and an unfinished
        statement keeps SQLite's read snapshot open: the next query would not see rows committed meanwhile.
        """
        with _sqlite_errors():
            return list(await self._reader.execute_fetchall(sql, params))

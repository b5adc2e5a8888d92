"""The SQLite database: one file, WAL, a single writer, a separate reader, always closed.

Errors::

    StorageError           base; the database could not be opened or used
    └── MigrationError     the file was written by a newer CloudMusic, or a migration step failed
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]


class StorageError(Exception):
    """The database could not be opened or used."""


class MigrationError(StorageError):
    """A migration step failed, or the database is from a newer version."""


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None, timeout=10.0)
    try:  # SQLite opens the file lazily: a read-only or missing directory fails here, on the first statement
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 10000")
        await conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        await conn.close()  # its thread is not a daemon: left open, it would keep the process from exiting
        raise
    return conn


def _create_private(path: Path) -> None:
    """Create the database file 0600 if it is missing (an empty file is an empty SQLite database).

    SQLite gives the ``-wal`` and ``-shm`` files the permissions of the database file, so they are 0600 too; left
    to SQLite, the file would be created 0644 and anyone on the host could read users, payments and the ledger.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Database:
    """An open database. Writes go through one connection, one transaction at a time; reads use another.

    Coroutines sharing a connection share its transaction, so writes are serialised with a lock and a reader
    connection only ever sees committed data (WAL lets it read while the writer writes).
    """

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> Database:
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

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on the writer; rolls back on any exception."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns the last row id."""
        async with self._write_lock:
            cursor = await self._writer.execute(sql, params)
            return cursor.lastrowid or 0

    async def write_returning(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Run one write statement with ``RETURNING`` in its own (implicit) transaction; returns its rows.

        A single statement is atomic in SQLite, so this needs no BEGIN/COMMIT: one trip to the writer thread
        instead of three, on paths every job takes.
        """
        async with self._write_lock:
            return list(await self._writer.execute_fetchall(sql, params))

    async def executescript(self, sql: str) -> None:
        """Run several statements (schema work); not wrapped in a transaction."""
        async with self._write_lock:
            await self._writer.executescript(sql)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """One row of committed data, or None (meant for queries that select one row)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Every row of committed data, as of the moment the query runs.

        The statement runs to completion in one trip to the connection's thread. Stepping a cursor across awaits
        (execute, then fetch, then close) would let concurrent queries overlap on the reader, and an unfinished
        statement keeps SQLite's read snapshot open: the next query would not see rows committed meanwhile.
        """
        rows: Iterable[aiosqlite.Row] = await self._reader.execute_fetchall(sql, params)
        return list(rows)

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            return bool(await self.scalar("SELECT 1") == 1)
        except sqlite3.Error:
            return False

"""The PostgreSQL backend: psycopg 3 (async) with a connection pool, behind the same ``Database`` port.

Repositories write portable SQL with ``?`` placeholders; ``translate`` turns it into psycopg's ``%s`` form (and
SQLite's case-insensitive ``LIKE`` into ``ILIKE``). Migrations are the same list as SQLite's: ``postgres_ddl``
rewrites the few SQLite-only spellings (``AUTOINCREMENT``, 64-bit ``INTEGER``, ``REAL``, ``…_at TEXT`` timestamps
as ``timestamptz``, ``RAISE(ABORT)`` triggers as PL/pgSQL), and a migration may carry its own PostgreSQL text.
Timestamps come back as ISO strings, as SQLite stores them, so repositories read both backends alike.

Concurrency under READ COMMITTED: ``Connection.lock_user`` takes ``SELECT … FOR UPDATE`` on the user's row and
``lock_key`` a transaction-scoped advisory lock, so money decisions of one user run one at a time; unique keys
(payment ids, Stripe event ids, ledger references) make a second writer's insert do nothing or fail, never count
twice. Migrations run under ``pg_advisory_lock`` so two replicas starting together apply them once.

Sources: psycopg 3 docs, "Connection pools" (psycopg_pool ``AsyncConnectionPool``, ``configure``, ``open(wait=)``),
"Adapting basic Python types" (``str`` is sent with the unknown oid, so PostgreSQL casts an ISO string to
``timestamptz`` itself), "Row factories"; PostgreSQL 15 docs, "Explicit Locking" (row-level locks, advisory locks)
and "Transaction Isolation" (READ COMMITTED sees rows committed before each statement).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from storage.database import Connection, Database, Params, Result, Row
from storage.errors import Duplicate, MigrationError, Refused, StorageError, Unavailable

#: The advisory lock key migrations run under (any constant shared by every replica): "CMmigr" in ASCII.
MIGRATION_LOCK = 0x434D6D696772


class PgRow:
    """A row readable by position and by column name, like ``sqlite3.Row``."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: tuple[Any, ...], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str, /) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=False))!r})"


def _plain(value: Any) -> Any:
    """What SQLite would have given: ISO text for a timestamp, an int for a whole ``SUM``."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _row_factory(cursor: Any) -> RowMaker[PgRow]:
    names = [c.name for c in cursor.description or ()]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(tuple(_plain(v) for v in values), index)

    return make


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?|%|\bLIKE\b", re.IGNORECASE)


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """Portable SQL with ``?`` placeholders → psycopg's ``%s`` (every ``%`` doubled, string literals included;
    ``LIKE`` → ``ILIKE``). A ``?`` inside a string literal stays a question mark."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token.upper() == "LIKE":
            return "ILIKE"  # SQLite's LIKE ignores ASCII case; PostgreSQL's does not
        return token.replace("%", "%%")  # a quoted string or identifier: psycopg parses % placeholders there too

    return _TOKEN.sub(swap, sql)


_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+) BEFORE (UPDATE|DELETE) ON (\w+)\s+BEGIN SELECT RAISE\(ABORT, '([^']*)'\); END;",
    re.IGNORECASE,
)
_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION cloudmusic_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END;
$$;
"""


def postgres_ddl(sql: str) -> str:
    """A SQLite migration step in PostgreSQL's spelling."""
    sql = re.sub(
        r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql
    )
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)  # Telegram ids need 64 bits
    sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)
    sql = re.sub(r"\b(\w+_at)(\s+)TEXT\b", r"\1\2TIMESTAMPTZ", sql)
    if _TRIGGER.search(sql):
        sql = _REFUSE_FUNCTION + _TRIGGER.sub(
            r"CREATE TRIGGER \1 BEFORE \2 ON \3 FOR EACH ROW EXECUTE FUNCTION cloudmusic_refuse('\4');", sql
        )
    return sql


def pg_error(exc: psycopg.Error) -> StorageError:
    """Storage's exception for a psycopg error."""
    text = str(exc).strip()
    if isinstance(exc, pg_errors.UniqueViolation):
        return Duplicate(text)
    if isinstance(exc, psycopg.IntegrityError | pg_errors.RaiseException):
        return Refused(text)
    if isinstance(exc, psycopg.OperationalError):
        return Unavailable(text)
    return StorageError(text)


@contextmanager
def _pg_errors() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        raise pg_error(exc) from exc
    except PoolTimeout as exc:
        raise Unavailable(f"no database connection free: {exc}") from exc


def _params(params: Params) -> Params:
    if isinstance(params, dict):
        return {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
    return [int(v) if isinstance(v, bool) else v for v in params]  # SQLite keeps booleans as 0/1 integers


async def _run(conn: psycopg.AsyncConnection[PgRow], sql: str, params: Params) -> Result:
    cursor = await conn.execute(translate(sql), _params(params))
    rows: list[Row] = list(await cursor.fetchall()) if cursor.description is not None else []
    return Result(rows, cursor.rowcount)


class _PgConnection(Connection):
    """A transaction on one pooled connection."""

    dialect = "postgresql"

    def __init__(self, conn: psycopg.AsyncConnection[PgRow]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> Result:
        with _pg_errors():
            return await _run(self._conn, sql, params)

    async def run_script(self, sql: str, *, verbatim: bool = False) -> None:
        """Run a migration step (SQLite DDL translated unless ``verbatim``, no parameters) in one round trip."""
        with _pg_errors():
            await self._conn.execute(sql if verbatim else postgres_ddl(sql))

    @property
    def native(self) -> psycopg.AsyncConnection[PgRow]:
        """The pooled psycopg connection this transaction runs on."""
        return self._conn

    async def lock_user(self, telegram_id: int) -> None:
        """``SELECT … FOR UPDATE`` on the user's row: concurrent money decisions of one user queue here."""
        await self.execute("SELECT 1 FROM users WHERE telegram_id = ? FOR UPDATE", (telegram_id,))

    async def lock_key(self, key: str) -> None:
        """A transaction-scoped advisory lock on the key's 64-bit hash (released at COMMIT or ROLLBACK)."""
        await self.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))


def redact(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresDatabase(Database):
    """An open PostgreSQL database: a pool of autocommit connections, one per statement or transaction."""

    backend = "postgresql"

    def __init__(self, url: str, pool: AsyncConnectionPool[psycopg.AsyncConnection[PgRow]]) -> None:
        self._url = url
        self._pool = pool
        self._closed = False

    @classmethod
    async def open_url(cls, url: str, *, max_connections: int = 10, migrate: bool = True) -> PostgresDatabase:
        """Connect to ``url`` (``postgresql://user:pass@host:port/db``) and bring the schema up to date under a
        cluster-wide lock."""
        from storage.migrations import MIGRATIONS, apply_migrations

        async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
            conn.row_factory = _row_factory
            await conn.execute("SET TIME ZONE 'UTC'")

        pool: AsyncConnectionPool[psycopg.AsyncConnection[PgRow]] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max(2, max_connections),  # migrations hold one connection for the lock and use another
            kwargs={"autocommit": True},
            configure=configure,
            open=False,
            timeout=30.0,
        )
        try:
            await pool.open(wait=True, timeout=15.0)
        except PoolTimeout as exc:
            await pool.close()
            raise StorageError(f"cannot connect to the database {redact(url)}: {exc}") from exc
        db = cls(url, pool)
        if not migrate:
            return db
        try:
            async with pool.connection() as lock:
                with _pg_errors():
                    await lock.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
                try:
                    await apply_migrations(db, MIGRATIONS)
                finally:
                    await lock.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        except BaseException as exc:
            await db.close()
            if isinstance(exc, StorageError | psycopg.Error) and not isinstance(exc, MigrationError):
                raise StorageError(f"cannot open the database {redact(url)}: {exc}") from exc
            raise
        return db

    @property
    def location(self) -> str:
        """The URL without its password."""
        return redact(self._url)

    async def close(self) -> None:
        """Close the pool. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        await self._pool.close()

    async def tables(self) -> list[str]:
        """The tables of the connection's schema, but the migrations record and procrastinate's (the queue
        backend's own, storage.pgqueue)."""
        rows = await self.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' "
            "AND left(table_name, 14) <> 'procrastinate_' ORDER BY table_name"
        )
        return [str(r[0]) for r in rows]

    async def after_copy(self, table: str) -> None:
        """Move an identity column's sequence past the ids copied in (else the next insert would collide)."""
        sequence = await self.scalar(
            "SELECT pg_get_serial_sequence(table_name, 'id') FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'id'",
            (table,),
        )
        if sequence is not None:
            await self.execute(
                f"SELECT setval(?, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",  # table: from the catalog
                (sequence,),
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """``BEGIN`` … ``COMMIT`` (READ COMMITTED) on one pooled connection; rolls back on any exception."""
        with _pg_errors():
            async with self._pool.connection() as conn, conn.transaction():
                yield _PgConnection(conn)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement (autocommit); after an INSERT, the new row's ``id`` (SQLite's last row id)."""
        inserting = sql.lstrip().upper().startswith("INSERT") and "RETURNING" not in sql.upper()
        with _pg_errors():
            async with self._pool.connection() as conn:
                result = await _run(conn, sql + " RETURNING *" if inserting else sql, params)
        rows = await result.fetchall()
        # keys(): a row iterates over its values, so `"id" in row` would search the values
        return int(rows[0]["id"]) if inserting and rows and "id" in rows[0].keys() else 0  # noqa: SIM118

    async def write_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one write statement with ``RETURNING`` (autocommit); returns its rows."""
        with _pg_errors():
            async with self._pool.connection() as conn:
                return await (await _run(conn, sql, params)).fetchall()

    async def executescript(self, sql: str) -> None:
        """Run several schema statements (SQLite DDL is translated) in one round trip."""
        with _pg_errors():
            async with self._pool.connection() as conn:
                await conn.execute(postgres_ddl(sql))

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of committed data, as of the moment the query runs."""
        with _pg_errors():
            async with self._pool.connection() as conn:
                return await (await _run(conn, sql, params)).fetchall()

"""Copy an installation's data from one database to another (SQLite → PostgreSQL, or back), checked by counts.

The target must be empty (it is migrated first, so its schema matches the source's); every table is copied in
one transaction, parents before children (users, jobs, payments and web sessions first), ids kept. Afterwards
the row count of every table, the ledger's sum per bucket and the payments' count and credits must match, or
``CopyMismatch`` says what differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database
from storage.errors import Conflict, StorageError

#: Tables others point at, copied first so foreign keys hold as rows arrive.
PARENTS = ("users", "jobs", "payments", "web_sessions", "broadcasts")


class CopyMismatch(StorageError):
    """The target's counts differ from the source's after the copy."""


@dataclass(frozen=True, slots=True)
class Tally:
    """What a database holds, as compared before and after a copy."""

    rows: dict[str, int]
    ledger: dict[str, int]  # sum of amounts per bucket
    payments: tuple[int, int]  # how many, and the credits they bought

    def describe(self) -> str:
        """One line per figure, for the operator."""
        lines = [f"{table}: {count} rows" for table, count in sorted(self.rows.items())]
        lines += [f"ledger {bucket}: sum {total}" for bucket, total in sorted(self.ledger.items())]
        lines.append(f"payments: {self.payments[0]} for {self.payments[1]} credits")
        return "\n".join(lines)


async def tally(db: Database) -> Tally:
    """Count every table, sum the ledger per bucket and the payments."""
    rows = {table: int(await db.scalar(f"SELECT COUNT(*) FROM {table}")) for table in await db.tables()}
    ledger = {
        str(r[0]): int(r[1])
        for r in await db.fetchall("SELECT bucket, COALESCE(SUM(amount), 0) FROM credit_ledger GROUP BY bucket")
    }
    payment = await db.fetchone("SELECT COUNT(*), COALESCE(SUM(credits), 0) FROM payments")
    return Tally(rows, ledger, (int(payment[0]), int(payment[1])) if payment is not None else (0, 0))


async def copy_database(source: Database, target: Database) -> Tally:
    """Copy every row of ``source`` into the empty ``target``; returns the tally both now share.

    Raises ``Conflict`` when the target holds any row, ``CopyMismatch`` when the counts differ afterwards.
    """
    before = await tally(source)
    held = {table: n for table, n in (await tally(target)).rows.items() if n}
    if held:
        raise Conflict(f"the target is not empty ({', '.join(f'{t}: {n}' for t, n in sorted(held.items()))})")
    missing = sorted(set(before.rows) - set(await target.tables()))
    if missing:
        raise Conflict(f"the target has no table {', '.join(missing)} (is it an older CloudMusic?)")
    order = [t for t in PARENTS if t in before.rows] + [t for t in sorted(before.rows) if t not in PARENTS]
    async with target.transaction() as conn:
        for table in order:
            rows = await source.fetchall(f"SELECT * FROM {table} ORDER BY 1")
            if not rows:
                continue
            columns = rows[0].keys()
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            for row in rows:
                await conn.execute(insert, tuple(row[c] for c in columns))
    for table in order:
        await target.after_copy(table)
    after = await tally(target)
    if after != before:
        raise CopyMismatch(f"counts differ after the copy.\nsource:\n{before.describe()}\ntarget:\n{after.describe()}")
    return after

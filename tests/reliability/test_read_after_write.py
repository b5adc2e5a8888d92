"""A committed write is visible to the very next read, however many other reads are in flight.

Found by ``bench/``: under a burst of prompts, ``GenerationQueue.submit`` could not read back the job it had just
committed (``assert job is not None``) because another coroutine's half-read cursor held the reader connection's
snapshot open.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import Database


async def test_a_committed_row_is_read_back_while_other_reads_overlap(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "rw.db") as db:
        await db.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        for n in range(300):
            await db.execute("INSERT INTO t (v) VALUES (?)", (f"row {n}",))
        stop = asyncio.Event()

        async def busy_reader() -> None:
            while not stop.is_set():
                await db.fetchall("SELECT * FROM t")
                await db.fetchone("SELECT COUNT(*) FROM t")

        readers = [asyncio.create_task(busy_reader()) for _ in range(8)]
        try:
            missing = []
            for n in range(150):
                row_id = await db.execute("INSERT INTO t (v) VALUES (?)", (f"new {n}",))
                if await db.fetchone("SELECT id FROM t WHERE id = ?", (row_id,)) is None:
                    missing.append(row_id)
        finally:
            stop.set()
            await asyncio.gather(*readers)
        assert not missing, f"{len(missing)} of 150 committed rows were not visible to the next read"

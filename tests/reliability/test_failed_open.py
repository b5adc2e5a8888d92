"""A database that cannot be opened leaves nothing running behind it.

aiosqlite runs each connection on its own (non-daemon) worker thread. When the connect itself fails, aiosqlite
queues a stop for that thread but does not wait for it; the thread then posts its last result to the event loop.
If the loop has closed by then (``asyncio.run`` returning after a failed start-up) the thread dies with an
"Event loop is closed" traceback on stderr. ``Database.open`` must therefore return its error only once the worker
thread has finished.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from storage import Database, StorageError


def _aiosqlite_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "_connection_worker_thread" in t.name and t.is_alive()]


def test_a_failed_open_returns_only_after_the_connection_thread_has_ended(tmp_path: Path) -> None:
    # A directory where the database file should be: sqlite3.connect fails in aiosqlite's worker thread.
    blocked = tmp_path / "cloudmusic.db"
    blocked.mkdir()
    crashed: list[threading.ExceptHookArgs] = []
    previous_hook = threading.excepthook
    threading.excepthook = crashed.append
    try:
        for _ in range(20):  # each round is a fresh event loop that closes right after the failed open
            assert _aiosqlite_workers() == []

            async def open_and_fail() -> None:
                with pytest.raises(StorageError, match="cannot open the database"):
                    await Database.open(blocked)
                # Checked inside the loop: nothing may still be running that would post to it after it closes.
                assert _aiosqlite_workers() == [], "aiosqlite's worker thread outlived the failed open"

            asyncio.run(open_and_fail())
    finally:
        threading.excepthook = previous_hook
    assert crashed == [], [str(c.exc_value) for c in crashed]

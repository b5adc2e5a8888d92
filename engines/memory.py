"""Giving freed memory back to the operating system: ``malloc_trim`` on glibc, periodically and on demand.

Rendering and encoding allocate many large, short-lived numpy buffers from several worker threads. glibc keeps
freed memory in its arenas (and raises its mmap threshold after large frees, so later big buffers come from the
arenas too): after a burst of 1 000 users the process kept ~60 MB it no longer used, and a long render many
times that. ``malloc_trim(0)`` returns the free pages; elsewhere (musl, macOS) it is a no-op.

A trim locks each of the C heap's arenas while it walks it, so a thread allocating meanwhile waits: trimming a
large, long-neglected heap took 0.7 s here (the next trims 40 ms, then 4 ms). Trim often, so each trim is small,
and only from a process's entry point (``bot.__main__``), never from code embedded in someone else's process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import logging
from collections.abc import AsyncIterator, Callable

log = logging.getLogger(__name__)

TRIM_EVERY_S = 1.0


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim: Callable[[int], int] = libc.malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None
    return trim


def trim_heap() -> bool:
    """Return free heap memory to the OS (blocking, a few ms); False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


async def trim_heap_soon() -> None:
    """:func:`trim_heap` off the event loop."""
    await asyncio.to_thread(trim_heap)


@contextlib.asynccontextmanager
async def heap_trimming(every_s: float = TRIM_EVERY_S) -> AsyncIterator[None]:
    """While inside, trim the heap every ``every_s`` seconds (in a thread, so the loop never waits for it)."""
    if _malloc_trim() is None:
        log.info("malloc_trim is not available here: freed memory stays with the C library")
        yield
        return

    async def trim_forever() -> None:
        while True:
            await asyncio.sleep(every_s)
            await trim_heap_soon()

    task = asyncio.create_task(trim_forever(), name="heap-trim")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

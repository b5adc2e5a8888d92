"""Giving freed memory back to the operating system: a fixed mmap threshold and ``malloc_trim`` on glibc.

Rendering and encoding allocate many large, short-lived numpy buffers from several worker threads. glibc keeps
freed memory in its arenas (and raises its mmap threshold after large frees, so later big buffers come from the
arenas too): after a burst of 1 000 users the process kept ~60 MB it no longer used, and a long render many
times that. ``malloc_trim(0)`` returns the free pages; elsewhere (musl, macOS) it is a no-op.

A trim locks each of the C heap's arenas while it walks it, so a thread allocating meanwhile waits: trimming a
large, long-neglected heap took 0.7 s here (the next trims 40 ms, then 4 ms). Trim often, so each trim is small,
and only from a process's entry point (``bot.__main__``), never from code embedded in someone else's process.

Trimming returns only whole free pages. What it cannot return is what stayed after a 1 000-user load (~35 MB of a
~105 MB bot, with either engine): glibc's *dynamic* mmap threshold rises to the size of each large block freed (up
to 32 MB), so after the first tracks every render, encode and cover buffer came from the heap instead of its own
mapping, and the heap's pages stayed pinned by the small objects (sockets, rows, Python arenas) that landed between
those buffers meanwhile. :func:`tune_heap`, from the same entry point, fixes the threshold at glibc's own default
(128 KiB: setting it turns the dynamic adjustment off, ``mallopt(3)``), so every large buffer is mapped and unmapped
whole, and caps the heap's arenas at 2 (glibc makes up to 8 per core for threads, each fragmenting on its own; the
bot's threads are short C calls: ``MALLOC_ARENA_MAX``). Measured by ``bench.memory``, 400 users, ``mock``, as the
same settings through glibc's environment: after the load 148 → 118 MB (1.45× → 1.18× idle), peak 152 → 135 MB.

numpy's BLAS (OpenBLAS) runs each matrix product on a pool of its own threads, one per core, and keeps a packing
buffer for every thread that has ever multiplied, resident for the life of the process. The synth's filters and
the loudness meter are matrix products made from up to one render thread per core already, so the pool only
oversubscribes the cores and pins buffers: :func:`one_blas_thread` makes each product run on its caller's thread.
Renders from 6 threads, 5 s synth tracks: RSS idle / after 58 / 69 MB → 52 / 54 MB.
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
#: ``mallopt`` parameters (glibc's malloc.h) and the values :func:`tune_heap` sets.
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
MMAP_THRESHOLD = 128 * 1024  # glibc's initial value; fixed, so it no longer grows after large frees
ARENA_MAX = 2


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


@functools.cache
def _mallopt() -> Callable[[int, int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        mallopt: Callable[[int, int], int] = ctypes.CDLL(name).mallopt  # glibc only
    except (OSError, AttributeError):
        return None
    return mallopt


def tune_heap() -> bool:
    """Fix the C heap's mmap threshold and cap its arenas (see the module); False where the C library cannot.

    Call it first thing in a process's entry point, before threads start (each would get its own arena).
    """
    mallopt = _mallopt()
    if mallopt is None or _malloc_trim() is None:  # mallopt exists elsewhere with other parameter numbers
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_ARENA_MAX, ARENA_MAX))


def one_blas_thread() -> bool:
    """Run numpy's matrix products on the calling thread only (see the module); False where that cannot be set.

    Process-wide: call it from a process's entry point, after numpy is imported.
    """
    import numpy  # noqa: F401  (threadpoolctl finds the BLAS library numpy has loaded)
    from threadpoolctl import threadpool_info, threadpool_limits  # type: ignore[import-untyped]

    if not any(pool.get("user_api") == "blas" for pool in threadpool_info()):
        return False
    threadpool_limits(1, user_api="blas")
    return True


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

"""A second thread for a render's CPU-bound numpy work: one small helper pool per process, shared by every render.

numpy releases the GIL in its big operations (ufunc loops over whole notes and channels, FFTs, matrix products),
so two independent halves of a render — a track's two channels, or two different notes — run on two cores at
once. The pool has :data:`HELPERS` thread(s) for the whole process: the engine runs at most one render per core
(``RENDER_SLOTS``) and each render hands at most its second half here, so however many requests wait, no more
than ``RENDER_SLOTS + HELPERS`` threads compute at once. Work queued here is also run by its caller when no helper
has started it by the time the caller needs it, so a busy pool only loses the parallelism, never waits or
deadlocks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

HELPERS = 1  # with the rendering thread: two threads a render, one a core on a 2-core machine
T = TypeVar("T")
U = TypeVar("U")


@functools.cache
def helpers() -> ThreadPoolExecutor:
    """The process's helper threads (made on first use; an idle thread costs no CPU)."""
    return ThreadPoolExecutor(HELPERS, thread_name_prefix="render-helper")


def both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """``(first(), second())``: ``second`` in a helper thread while this thread runs ``first`` (and here, after
    ``first``, if no helper has started it by then)."""
    future = helpers().submit(second)
    try:
        one = first()
    except BaseException:
        future.cancel()  # nobody will want the second half now
        raise
    return one, (second() if future.cancel() else future.result())

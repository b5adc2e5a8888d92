"""The life of a CloudMusic process, shared by its entry points (``python -m bot``, ``python -m worker``).

Each entry point hands :func:`run_process` its own ``serve(settings)``; the exit codes are the same for both:
0 stopped by a signal, 1 could not start (named in one logged line), 2 bad settings (named in one line on stderr).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.core import StartupError
from bot.logs import configure_logging
from bot.settings import Settings, secret_values, settings_or_explain
from engines.memory import one_blas_thread, tune_heap
from storage import StorageError


def run_process(serve: Callable[[Settings], Coroutine[Any, Any, None]], log: logging.Logger) -> int:
    """Run ``serve(settings)`` until it returns; the process's exit code (0, 1 or 2, as above)."""
    tune_heap()  # before any thread starts: large buffers mapped whole, 2 heap arenas (engines.memory)
    one_blas_thread()  # matrix products on their caller's thread: no BLAS pool pinning buffers (engines.memory)
    settings = settings_or_explain()
    if settings is None:
        return 2
    configure_logging(settings.log_level, settings.log_format, secret_values(settings))
    try:
        asyncio.run(serve(settings))
    except (StartupError, StorageError, OSError) as exc:  # OSError: e.g. the HTTP port is taken
        log.error("cannot start: %s", exc)
        return 1
    return 0

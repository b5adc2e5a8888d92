"""Clips people sent, kept as melody references ("🎧 Use as reference") until a job has used them.

They wait as ``<audio_dir>/clips/clip-<analysis id>.wav``; the button hands one to exactly one job (renamed
``clip-<analysis id>-<token>.wav``), which deletes it once its engine is done with it. A clip nobody used is
deleted after :data:`KEEP_UNUSED_CLIP`, by the next analysis and by the daily maintenance, whichever comes first.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

#: The folder under the audio directory where clips wait.
CLIPS_DIR = "clips"
#: A clip kept for "Use as reference" that nobody used is deleted after this long.
KEEP_UNUSED_CLIP = timedelta(days=1)


def sweep(directory: Path, cutoff: float) -> list[Path]:
    """Delete the clips in ``directory`` last modified before ``cutoff`` (a POSIX time); the deleted paths."""
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        if entry.name.startswith("clip-") and entry.is_file() and entry.stat().st_mtime < cutoff:
            Path(entry.path).unlink(missing_ok=True)
            removed.append(Path(entry.path))
    return removed

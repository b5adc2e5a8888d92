"""Which ffmpeg binary the audio code runs, and how it is run.

The system ``ffmpeg`` is used when it is on PATH (a Docker image with Debian's ffmpeg); otherwise the binary
that ships inside the ``imageio-ffmpeg`` wheel (it has libmp3lame, but no ffprobe — so nothing here needs
ffprobe).
pydub is pointed at the same binary, and its import-time "Couldn't find ffmpeg" warning is kept from users.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import warnings
from collections.abc import Sequence

INSTALL_HINT = (
    "install ffmpeg (Debian/Ubuntu: `apt-get install ffmpeg`, macOS: `brew install ffmpeg`) "
    "or the Python package `imageio-ffmpeg`"
)


class FFmpegMissing(RuntimeError):
    """No ffmpeg binary could be found: a deployment problem, never a user's."""


class FFmpegFailed(RuntimeError):
    """ffmpeg ran but exited with an error; the message carries the tail of its stderr."""


@functools.cache
def ffmpeg_exe() -> str:
    """Return the ffmpeg to run: the system's, else imageio-ffmpeg's; FFmpegMissing if neither exists."""
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise FFmpegMissing(f"No ffmpeg found: {INSTALL_HINT}.") from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:  # the wheel has no binary for this platform
        raise FFmpegMissing(f"No ffmpeg found: {INSTALL_HINT}.") from exc


@functools.cache
def configure_pydub() -> None:
    """Import pydub quietly and point ``AudioSegment.converter`` at :func:`ffmpeg_exe`; idempotent."""
    with warnings.catch_warnings():
        # pydub looks for ffmpeg on PATH at import and warns when it is absent; we bring our own below.
        warnings.filterwarnings("ignore", message="Couldn't find ffmpeg or avconv", category=RuntimeWarning)
        warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()


def run_ffmpeg(args: Sequence[str], *, stdin: bytes | None = None) -> bytes:
    """Run ffmpeg with ``args`` (blocking), feeding ``stdin``; return its stdout or raise FFmpegFailed."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args]
    if stdin is None:  # never let ffmpeg read the terminal
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    else:
        proc = subprocess.run(command, input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip()[-600:]
        raise FFmpegFailed(f"ffmpeg exited with {proc.returncode}: {tail}")
    return proc.stdout

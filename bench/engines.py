"""Synth engine speed: render time and real-time factor for 8, 30 and 120 s, plus MP3 encode time.

Run with ``python -m bench.engines``. Each figure is the median of a few runs after one warm-up render (the first
render fills the sound caches and imports). BLAS threads are whatever the environment sets; on a shared 2-core
machine ``OPENBLAS_NUM_THREADS=1`` is faster for this workload (the loudness meter's small matrix products).
"""

from __future__ import annotations

import importlib
import os
import statistics
import time
from collections.abc import Callable

from engines.base import GeneratedTrack, GenerationRequest
from engines.synth import render

DURATIONS = (8.0, 30.0, 120.0)
RUNS = {8.0: 5, 30.0: 5, 120.0: 3}
PROMPTS = ("techno", "lofi hip hop", "cinematic")


def _median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _encoder() -> Callable[[GeneratedTrack], bytes] | None:
    """``engines.audio.encode_mp3`` if it is available (it is written separately), else None."""
    try:
        module = importlib.import_module("engines.audio")
    except ImportError:
        return None
    encode: Callable[[GeneratedTrack], bytes] | None = getattr(module, "encode_mp3", None)
    return encode


def main() -> None:
    """Print a markdown table of render and encode times."""
    encode = _encoder()
    render(GenerationRequest(prompt="warm-up", duration=8.0, seed=0))
    print(
        f"## synth engine — {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}"
    )
    print()
    print("| prompt | length (s) | render (ms) | real-time factor | mp3 encode (ms) |")
    print("|---|---:|---:|---:|---:|")
    for prompt in PROMPTS:
        for seconds in DURATIONS:
            request = GenerationRequest(prompt=prompt, duration=seconds, seed=1)
            track = render(request)
            took = _median_seconds(lambda request=request: render(request), RUNS[seconds])  # type: ignore[misc]
            encode_ms = "n/a"
            if encode is not None:
                try:
                    encode_ms = f"{_median_seconds(lambda track=track: encode(track), 3) * 1000:.0f}"  # type: ignore[misc]
                except Exception as error:  # the encoder is someone else's work in progress: report, go on
                    encode_ms = f"n/a ({type(error).__name__})"
            print(f"| {prompt} | {seconds:.0f} | {took * 1000:.0f} | {seconds / took:.0f}× | {encode_ms} |")


if __name__ == "__main__":
    main()

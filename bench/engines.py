"""Engine speed: synth render time and real-time factor for 8, 30 and 120 s, MP3 encode time, the 30 s figure
for the results table, and the per-job file cost the generations figure is compared with.

Run with ``python -m bench.engines``. Each figure is the median of a few runs after one warm-up render (the first
render fills the sound caches and imports). BLAS threads are whatever the environment sets; on a shared 2-core
machine ``OPENBLAS_NUM_THREADS=1`` is faster for this workload (the loudness meter's small matrix products).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.harness import Figure
from engines.audio import encode_mp3
from engines.base import EngineOptions, GeneratedTrack, GenerationRequest
from engines.mock import MockEngine
from engines.synth import render
from scheduler.tracks import write_track_files
from storage.audio import LocalAudioStore

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


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg runs as a child)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def pipeline_cost_s(prompt: str = "bench tone", seconds: float = 2.0, runs: int = 5) -> float:
    """CPU seconds the queue spends per mock job besides the bot: mock render, MP3, WAV and cover files.

    This is the generations figure's baseline: a bot can at best deliver ``cores / cost`` tracks per second.
    """
    engine = MockEngine(EngineOptions())
    # As the queue asks it: a deterministic engine's stems are rendered only when someone presses 🎚 Stems.
    request = GenerationRequest(prompt=prompt, duration=seconds, seed=1, stems=False)

    async def one(directory: Path, index: int) -> None:
        track = await engine.generate(request)
        await write_track_files(track, LocalAudioStore(directory), f"job-{index}", prompt=prompt)

    costs = []
    with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as tmp:
        asyncio.run(one(Path(tmp), -1))  # warm-up
        for index in range(runs):
            before = _cpu_seconds()
            asyncio.run(one(Path(tmp), index))
            costs.append(_cpu_seconds() - before)
    return statistics.median(costs)


def synth_figure() -> Figure:
    """`synth` 30 s track: render + MP3 (median of 5), against ffmpeg encoding 30 s of silence."""
    request = GenerationRequest(prompt="techno 128 bpm", duration=30.0, seed=1)
    track = render(request)  # warm-up, and the track to encode
    render_s = _median_seconds(lambda: render(request), 5)
    mp3_s = _median_seconds(lambda: encode_mp3(track), 5)
    silence = replace(track, samples=np.zeros_like(track.samples), stems=None)
    floor_s = _median_seconds(lambda: encode_mp3(silence), 5)
    total = render_s + mp3_s
    return Figure(
        "`synth` 30 s track, render + MP3",
        f"{total:.2f} s (render {render_s * 1000:.0f} ms + MP3 {mp3_s * 1000:.0f} ms)",
        f"ffmpeg encoding 30 s of silence: {floor_s * 1000:.0f} ms",
        "≤ 0.4 s (render ≤ 150 ms, MP3 ≤ 0.25 s)",
        total <= 0.4,
        ["median of 5 after a warm-up render; one thread, as a worker runs it"],
    )

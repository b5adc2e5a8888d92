"""Clip analysis: tempo and key accuracy on synth tracks of known tempo and key, and the time to analyse a 3-minute
MP3 (decode included) — what a person waits for after sending a clip.

Run with ``python -m bench.analysis``. The accuracy set is larger and longer than the unit test's (40 tracks of 15 s,
every genre, tempos spread over 60–180 BPM, all twelve tonics, major and minor); a tempo counts as found within
±2 BPM of the true one, or of half or twice it.
"""

from __future__ import annotations

import resource
import statistics
import time

import numpy as np

from bench.harness import Figure
from engines.analysis import analyse_bytes
from engines.audio import encode_mp3, encode_wav
from engines.base import GenerationRequest
from engines.synth import render
from engines.synth.theory import NOTE_NAMES

GENRES = ("techno", "house", "lofi", "ambient", "synthwave", "dnb", "trap", "cinematic", "jazzy")
TRACKS, SECONDS = 40, 15.0
LONG_SECONDS, RUNS = 180.0, 3
TARGET_SECONDS = 3.0  # "answers within a few seconds", on the shared 2-core machine


def accuracy() -> tuple[float, float, list[str]]:
    """(tempo accuracy, key accuracy, one line per miss) over TRACKS synth tracks."""
    rng = np.random.default_rng(21)
    tempo_hits = key_hits = 0
    misses = []
    for index in range(TRACKS):
        bpm = float(rng.integers(60, 181))
        key = f"{NOTE_NAMES[int(rng.integers(12))]} {'minor' if index % 2 else 'major'}"
        genre = GENRES[index % len(GENRES)]
        track = render(GenerationRequest(prompt=genre, duration=SECONDS, bpm=bpm, key=key, seed=900 + index))
        found = analyse_bytes(encode_wav(track))
        tempo_ok = any(abs(found.bpm - bpm * m) <= 2.0 * m for m in (0.5, 1.0, 2.0))
        tempo_hits += tempo_ok
        key_hits += found.key == key
        if not tempo_ok or found.key != key:
            misses.append(f"{genre} {bpm:.0f} BPM {key} → {found.bpm:.1f} BPM {found.key}")
    return tempo_hits / TRACKS, key_hits / TRACKS, misses


def long_file_seconds() -> tuple[float, float]:
    """Median wall and CPU seconds (this process and ffmpeg) to decode and analyse a 3-minute 192 kbit/s MP3."""
    track = render(GenerationRequest(prompt="house", duration=LONG_SECONDS, bpm=124.0, key="A minor", seed=5))
    mp3 = encode_mp3(track)
    analyse_bytes(mp3)  # warm-up: imports, caches
    times, cpu = [], []
    for _ in range(RUNS):
        started, used = time.perf_counter(), _cpu()
        analyse_bytes(mp3)
        times.append(time.perf_counter() - started)
        cpu.append(_cpu() - used)
    return statistics.median(times), statistics.median(cpu)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure() -> list[Figure]:
    """The three analysis figures for the results table."""
    tempo, key, misses = accuracy()
    seconds, cpu = long_file_seconds()
    notes = [f"misses: {'; '.join(misses)}"] if misses else []
    return [
        Figure(f"analysis: tempo found ({TRACKS} synth tracks)", f"{tempo:.0%}", "—", "≥ 95 %", tempo >= 0.95, notes),
        Figure(f"analysis: key and mode found ({TRACKS} synth tracks)", f"{key:.0%}", "—", "≥ 85 %", key >= 0.85),
        Figure(
            "analysis: 3-minute MP3, decode + analyse",
            f"{seconds:.2f} s",
            "—",
            f"≤ {TARGET_SECONDS:g} s",
            seconds <= TARGET_SECONDS,
            [f"{cpu:.2f} CPU-seconds (analyser and ffmpeg), so the wall time on a busy machine is mostly waiting"],
        ),
    ]


if __name__ == "__main__":
    for figure in measure():
        print(f"{figure.name}: {figure.result} (target {figure.target}) {' '.join(figure.notes)}")

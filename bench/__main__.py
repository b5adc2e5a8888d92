"""``python -m bench`` (``make bench``): every figure beside its baseline, one table, written to bench/results.md.

Figures run one after another (never two at once: they would share the two cores). The machine's state is
recorded with the table: cores, date, load average at start and at the end; a figure taken on a busy machine
says so. ``bench/profiling.md`` (what was profiled and fixed, before → after) is appended to the results.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import telegram

from bench import analysis, audio_store, backends, broadcast, chat, engines, memory, quota, synth_quality
from bench.harness import Figure, load_average

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
PROFILING = HERE / "profiling.md"


def _timed(label: str, action: Callable[[], list[Figure]]) -> list[Figure]:
    started = time.monotonic()
    print(f"… {label}", file=sys.stderr, flush=True)
    figures = action()
    print(f"  done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return figures


def table(figures: list[Figure]) -> str:
    """The markdown table of ``figures``, with their notes as numbered footnotes."""
    lines = ["| figure | result | baseline (same run) | target (2 cores) | met |", "|---|---|---|---|---|"]
    notes: list[str] = []
    for figure in figures:
        marks = ""
        for note in figure.notes:
            notes.append(note)
            marks += f" [{len(notes)}]"
        met = "—" if figure.met is None else ("✅" if figure.met else "❌")
        lines.append(f"| {figure.name}{marks} | {figure.result} | {figure.baseline} | {figure.target} | {met} |")
    lines.append("")
    lines.extend(f"{n}. {note}" for n, note in enumerate(notes, 1))
    return "\n".join(lines)


def main() -> None:
    """Run every figure, print the table and write bench/results.md."""
    load_start = load_average()
    started = datetime.now(UTC)
    raw_cost = engines.pipeline_cost_s()
    figures: list[Figure] = []
    figures += _timed("quota decisions", lambda: [asyncio.run(quota.measure())])
    figures += _timed("synth render + MP3", lambda: [engines.synth_figure()])
    figures += _timed("SQLite vs PostgreSQL: quota decisions, generations", lambda: asyncio.run(backends.measure()))
    figures += _timed(
        "chat: throughput, generations, loop lag, RSS, start-up", lambda: asyncio.run(chat.measure(raw_cost))
    )
    figures += _timed(
        "memory: RSS idle / 1 000 users / after, mock and synth (minutes)", lambda: asyncio.run(memory.measure())
    )
    figures += _timed("broadcast (≈ 40 s: 1 000 messages at ≤ 30/s)", lambda: [asyncio.run(broadcast.measure())])
    figures += _timed("synth quality: 40 prompts × 5 seeds, librosa/pyloudnorm (≈ 10 min)", synth_quality.measure)
    figures += _timed("clip analysis: accuracy on synth tracks, a 3-minute MP3", analysis.measure)
    figures += _timed("audio store: local vs S3 (moto on loopback)", lambda: [asyncio.run(audio_store.measure())])
    order = [
        "throughput",
        "generations/s end to end, `",
        "generations/s end to end on",
        "quota",
        "`synth`",
        "broadcast",
        "event-loop",
        "RSS idle",
    ]
    order += ["process start", "synth "]
    figures.sort(key=lambda f: next((i for i, key in enumerate(order) if key in f.name), len(order)))
    load_end = load_average()
    header = (
        f"# CloudMusic benchmarks\n\n"
        f"{started:%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · {platform.processor() or platform.machine()} · "
        f"Python {platform.python_version()} · python-telegram-bot {telegram.__version__}\n\n"
        f"Load average at start {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f} (1/5/15 min), "
        f"at the end {load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f}. "
        "Reproduce with `make bench` (≈ 4 minutes plus 10–20 for the memory figures); "
        "each figure is the median of several runs.\n"
    )
    body = header + "\n" + table(figures) + "\n"
    print(body)
    extra = PROFILING.read_text() if PROFILING.exists() else ""
    RESULTS.write_text(body + ("\n" + extra if extra else ""))
    print(f"written to {RESULTS.relative_to(HERE.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()

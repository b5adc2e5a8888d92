"""The synth keeps its memory bounded: note caches emptied when idle, renders at once bounded by the cores."""

from __future__ import annotations

import asyncio
import sys
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from engines.base import GenerationRequest
from engines.synth.engine import CLEAR_CACHES_EVERY, RENDER_SLOTS, SynthEngine, release_render_memory, render


def _synth_caches() -> Iterator[Any]:
    """Every functools cache defined in the synth's modules (whatever they are called)."""
    for name, module in list(sys.modules.items()):
        if name.startswith("engines.synth."):
            for value in vars(module).values():
                if callable(getattr(value, "cache_info", None)) and value.__module__ == name:
                    yield value


def _cached_entries() -> int:
    return sum(cache.cache_info().currsize for cache in _synth_caches())


@pytest.fixture(autouse=True)
def _cold_caches() -> Iterator[None]:
    release_render_memory()
    yield
    release_render_memory()


async def test_the_note_caches_are_emptied_once_the_engine_is_idle() -> None:
    engine = SynthEngine()
    tracks = await asyncio.gather(
        *(engine.generate(GenerationRequest(f"{genre} 2s", duration=2.0, seed=7)) for genre in ("techno", "trap"))
    )
    assert all(t.samples.shape[0] == 2 * 44100 for t in tracks)
    assert list(_synth_caches()), "the synth has note caches (else this test proves nothing)"
    assert _cached_entries() == 0, "an idle engine holds no cached notes"


async def test_renders_at_once_hold_no_more_memory_than_the_cores_can_use() -> None:
    engine = SynthEngine()
    request = GenerationRequest("deep house 4s", duration=4.0, seed=3, stems=True)
    tracemalloc.start()
    try:
        await engine.generate(request)
        one = tracemalloc.get_traced_memory()[1]
        release_render_memory()
        tracemalloc.reset_peak()
        tracks = await asyncio.gather(*(engine.generate(request) for _ in range(8)))
        kept, eight = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(tracks) == 8
    # The eight finished tracks are still held here; what the renders needed on top of them is the point.
    working = eight - kept
    assert working <= min(RENDER_SLOTS, 8) * one, f"one render peaked at {one >> 20} MB, eight at {working >> 20} MB"


def test_what_the_note_caches_gather_between_two_clears_under_load_is_bounded() -> None:
    """Under a steady load the engine is never idle: it clears every CLEAR_CACHES_EVERY renders instead."""
    genres = ("techno", "lofi beat", "trap", "cinematic orchestra", "rock guitar", "jazz piano", "dubstep", "ambient")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for seed, genre in enumerate(genres[:CLEAR_CACHES_EVERY]):
            render(GenerationRequest(f"{genre} 5s", duration=5.0, seed=seed))  # the track itself is dropped at once
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert _cached_entries() > 0, "the renders filled the caches (else this test proves nothing)"
    # Two 5 s renders in different genres cache ~23 MB of notes; the bound leaves room, not another render's worth.
    assert held <= 40 << 20, f"{CLEAR_CACHES_EVERY} renders left {held >> 20} MB in the note caches"

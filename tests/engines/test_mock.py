"""The mock engine: exact, deterministic tones, and failures on demand through prompt markers."""

from __future__ import annotations

import asyncio
import math
import time

import numpy as np
import pytest

from engines import (
    EngineOptions,
    EngineRejected,
    EngineTimedOut,
    EngineUnavailable,
    GenerationRequest,
)
from engines.audio import encode_wav
from engines.mock import MockEngine, parse_key


@pytest.mark.parametrize("seconds", [0.5, 2.0, 3.3333, 10.0])
async def test_the_track_is_exactly_as_long_as_asked_at_44k1_stereo(seconds: float) -> None:
    track = await MockEngine().generate(GenerationRequest("x", duration=seconds, seed=1))
    assert track.sample_rate == 44_100
    assert track.samples.shape == (round(seconds * 44_100), 2)
    assert track.samples.dtype == np.float32


async def test_the_same_prompt_and_seed_give_the_same_samples_and_others_differ() -> None:
    engine = MockEngine()
    first = await engine.generate(GenerationRequest("a", duration=1.0, seed=3))
    again = await engine.generate(GenerationRequest("a", duration=1.0, seed=3))
    other_seed = await engine.generate(GenerationRequest("a", duration=1.0, seed=4))
    other_prompt = await engine.generate(GenerationRequest("b", duration=1.0, seed=3))
    np.testing.assert_array_equal(first.samples, again.samples)
    assert not np.array_equal(first.samples, other_seed.samples)
    assert not np.array_equal(first.samples, other_prompt.samples)


async def test_a_missing_seed_is_picked_reported_and_reproducible() -> None:
    engine = MockEngine()
    picked = await engine.generate(GenerationRequest("a", duration=1.0))
    replay = await engine.generate(GenerationRequest("a", duration=1.0, seed=picked.seed))
    np.testing.assert_array_equal(picked.samples, replay.samples)


async def test_stems_are_returned_only_when_asked_and_sum_to_the_mix() -> None:
    engine = MockEngine()
    plain = await engine.generate(GenerationRequest("a", duration=1.0, seed=1))
    split = await engine.generate(GenerationRequest("a", duration=1.0, seed=1, stems=True))
    assert plain.stems is None
    assert split.stems is not None and set(split.stems) == {"bass", "chords", "pulse"}
    total = np.sum(list(split.stems.values()), axis=0)
    np.testing.assert_allclose(total, split.samples, atol=1e-6)


async def test_a_loop_is_a_whole_number_of_bars_at_the_reported_tempo() -> None:
    track = await MockEngine().generate(GenerationRequest("a", duration=5.0, seed=1, loop=True, bpm=100.0))
    bars = track.duration / (4 * 60 / 100.0)
    assert track.bpm == 100.0
    assert math.isclose(bars, round(bars), abs_tol=1e-3)


async def test_the_requested_key_is_reported_and_a_nonsense_key_is_rejected() -> None:
    engine = MockEngine()
    track = await engine.generate(GenerationRequest("a", duration=0.5, seed=1, key="F# minor"))
    assert track.key == "F# minor"
    with pytest.raises(EngineRejected):
        await engine.generate(GenerationRequest("a", duration=0.5, key="H dorian"))


@pytest.mark.parametrize(
    ("key", "expected"),
    [("A minor", (9, True)), ("C", (0, False)), ("Bbm", (10, True)), ("f# major", (6, False))],
)
def test_parse_key_reads_common_spellings(key: str, expected: tuple[int, bool]) -> None:
    assert parse_key(key) == expected


async def test_a_continuation_changes_the_track_deterministically() -> None:
    engine = MockEngine()
    base = await engine.generate(GenerationRequest("a", duration=1.0, seed=1))
    wav = encode_wav(base)
    cont = await engine.generate(GenerationRequest("a", duration=1.0, seed=1, continue_from=wav))
    again = await engine.generate(GenerationRequest("a", duration=1.0, seed=1, continue_from=wav))
    np.testing.assert_array_equal(cont.samples, again.samples)
    assert not np.array_equal(base.samples, cont.samples)


@pytest.mark.parametrize(
    "request_",
    [
        GenerationRequest("a", duration=0.0),
        GenerationRequest("a", duration=601.0),
        GenerationRequest("a", duration=1.0, bpm=5.0),
        GenerationRequest("a", duration=1.0, model="mock-2"),
    ],
    ids=["zero-duration", "over-max", "bad-bpm", "unknown-model"],
)
async def test_impossible_requests_are_rejected(request_: GenerationRequest) -> None:
    with pytest.raises(EngineRejected):
        await MockEngine().generate(request_)


async def test_fail_marker_raises_a_retryable_unavailable() -> None:
    with pytest.raises(EngineUnavailable) as caught:
        await MockEngine().generate(GenerationRequest("boom [fail]", duration=1.0))
    assert caught.value.retryable


async def test_reject_marker_raises_rejected() -> None:
    with pytest.raises(EngineRejected):
        await MockEngine().generate(GenerationRequest("no [reject]", duration=1.0))


async def test_slow_marker_waits_then_answers() -> None:
    started = time.perf_counter()
    track = await MockEngine().generate(GenerationRequest("take it easy [slow:0.2]", duration=0.5, seed=1))
    assert time.perf_counter() - started >= 0.2
    assert track.seconds_taken >= 0.2


async def test_slow_marker_past_the_deadline_times_out() -> None:
    engine = MockEngine(EngineOptions(timeout_s=0.1))
    started = time.perf_counter()
    with pytest.raises(EngineTimedOut):
        await engine.generate(GenerationRequest("[slow:30]", duration=0.5))
    assert time.perf_counter() - started < 2.0


async def test_cancelling_a_slow_generation_stops_it_at_once() -> None:
    task = asyncio.create_task(MockEngine().generate(GenerationRequest("[slow:30]", duration=0.5)))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=2.0)


async def test_a_closed_engine_is_unhealthy_and_refuses_work() -> None:
    engine = MockEngine()
    assert (await engine.health()).ok
    await engine.aclose()
    assert not (await engine.health()).ok
    with pytest.raises(EngineUnavailable):
        await engine.generate(GenerationRequest("a", duration=0.5))

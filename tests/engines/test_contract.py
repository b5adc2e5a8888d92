"""One contract suite, run against every engine: what the pipeline may rely on, whichever engine it talks to.

Add an engine by adding a row to ``CASES``. ``deterministic`` belongs to this table, not to the contract: it
says whether the same seed must give the same samples. Where an engine lacks a capability, the suite checks that
it says so honestly (refuses, or returns nothing for it) instead of skipping.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest

from engines import (
    Engine,
    EngineHealth,
    EngineOptions,
    EngineRejected,
    GeneratedTrack,
    GenerationRequest,
    get_engine,
)
from engines.audio import encode_wav

SECONDS = 3.0
TOLERANCE = 0.05


@dataclass(frozen=True, slots=True)
class EngineCase:
    """One engine under test and what the suite needs to build it."""

    name: str
    module: str
    deterministic: bool
    standin: str | None = None  # a fixture the engine must be pointed at


CASES = [
    EngineCase("mock", "engines.mock", deterministic=True),
    EngineCase("synth", "engines.synth", deterministic=True),
    EngineCase("replicate", "engines.replicate_engine", deterministic=False, standin="replicate_standin"),
]


@pytest.fixture(params=CASES, ids=lambda case: case.name)
def case(request: pytest.FixtureRequest) -> EngineCase:
    """The engine case of this parametrization."""
    param: EngineCase = request.param
    assert importlib.util.find_spec(param.module) is not None, f"{param.module} is missing"
    return param


@pytest.fixture
def options(case: EngineCase, request: pytest.FixtureRequest) -> EngineOptions:
    """Options for the engine: short timeouts, and the stand-in's address where it has one."""
    base = EngineOptions(timeout_s=30.0, poll_interval_s=0.01)
    if case.standin is None:
        return base
    standin = request.getfixturevalue(case.standin)
    return replace(base, replicate_api_token=standin.token, replicate_base_url=standin.base_url)


@pytest.fixture
async def engine(case: EngineCase, options: EngineOptions) -> AsyncIterator[Engine]:
    """A fresh engine from the registry, closed after the test."""
    built = get_engine(case.name, options)
    yield built
    await built.aclose()


def request_for(**changes: Any) -> GenerationRequest:
    """A short request every engine should serve."""
    return replace(GenerationRequest(prompt="warm lofi piano with soft drums", duration=SECONDS, seed=7), **changes)


def assert_audio(track: GeneratedTrack) -> None:
    """The shape, type and range every track's audio must have."""
    assert track.samples.dtype == np.float32
    assert track.samples.ndim == 2 and track.samples.shape[1] in (1, 2)
    assert track.sample_rate > 0
    assert np.isfinite(track.samples).all()
    assert float(np.abs(track.samples).max()) <= 1.0


def test_models_are_listed_and_the_first_is_the_default(engine: Engine) -> None:
    models = engine.models()
    assert models
    assert engine.capabilities() == engine.capabilities(None) == models[0].capabilities
    assert len({model.id for model in models}) == len(models)


def test_capabilities_agree_with_each_model_and_its_licence(engine: Engine) -> None:
    for model in engine.models():
        caps = engine.capabilities(model.id)
        assert caps == model.capabilities
        assert caps.max_duration > 0
        assert model.license.id and model.license.url
        assert model.license.commercial_use == caps.commercial_use


def test_an_unknown_model_is_rejected(engine: Engine) -> None:
    with pytest.raises(EngineRejected):
        engine.capabilities("no-such-model/at-all")


async def test_generate_returns_the_requested_audio(engine: Engine) -> None:
    track = await engine.generate(request_for())
    assert_audio(track)
    assert abs(track.duration - SECONDS) <= TOLERANCE
    assert track.seed == 7
    assert track.engine == engine.name
    default = engine.models()[0]
    assert track.model == default.id
    assert track.license == default.license
    assert track.commercial_use == engine.capabilities().commercial_use


async def test_a_missing_seed_is_chosen_and_reported(engine: Engine) -> None:
    track = await engine.generate(request_for(seed=None))
    assert isinstance(track.seed, int)


async def test_the_same_seed_reproduces_the_track(engine: Engine, case: EngineCase) -> None:
    first = await engine.generate(request_for(duration=2.0))
    again = await engine.generate(request_for(duration=2.0))
    assert first.seed == again.seed == 7, "the seed asked for is the seed used and reported"
    if not case.deterministic:  # a hosted model may vary run to run; it must still honour and report the seed
        return
    other = await engine.generate(request_for(duration=2.0, seed=8))
    np.testing.assert_array_equal(first.samples, again.samples)
    assert first.samples.shape != other.samples.shape or not np.array_equal(first.samples, other.samples)


async def test_a_duration_over_the_maximum_is_rejected(engine: Engine) -> None:
    over = engine.capabilities().max_duration + 1.0
    with pytest.raises(EngineRejected):
        await engine.generate(request_for(duration=over))


@pytest.mark.parametrize("duration", [0.0, -1.0])
async def test_a_duration_of_zero_or_less_is_rejected(engine: Engine, duration: float) -> None:
    with pytest.raises(EngineRejected):
        await engine.generate(request_for(duration=duration))


async def test_a_loop_is_the_requested_length_or_whole_bars(engine: Engine) -> None:
    if not engine.capabilities().can_loop:
        with pytest.raises(EngineRejected):
            await engine.generate(request_for(loop=True, bpm=120.0))
        return
    track = await engine.generate(request_for(loop=True, bpm=120.0))
    assert_audio(track)
    if abs(track.duration - SECONDS) > TOLERANCE:
        assert track.bpm is not None
        bars = track.duration / (4 * 60.0 / track.bpm)
        assert math.isclose(bars, round(bars), abs_tol=0.005), f"{bars} bars is not a whole number"


async def test_stems_come_back_when_asked(engine: Engine) -> None:
    if not engine.capabilities().stems:
        with pytest.raises(EngineRejected):
            await engine.generate(request_for(stems=True))
        return
    track = await engine.generate(request_for(stems=True))
    assert track.stems
    for stem in track.stems.values():
        assert stem.dtype == np.float32
        assert stem.shape[0] == track.samples.shape[0]


async def test_a_continuation_is_served_where_claimed(engine: Engine) -> None:
    seed_track = await engine.generate(request_for(duration=2.0))
    if not engine.capabilities().can_continue:
        with pytest.raises(EngineRejected):
            await engine.generate(request_for(continue_from=encode_wav(seed_track)))
        return
    track = await engine.generate(request_for(continue_from=encode_wav(seed_track)))
    assert_audio(track)
    assert abs(track.duration - SECONDS) <= TOLERANCE


async def test_reference_audio_is_served_where_claimed_and_refused_elsewhere(engine: Engine) -> None:
    clip = encode_wav(await engine.generate(request_for(duration=2.0)))
    if not engine.capabilities().reference_audio:
        with pytest.raises(EngineRejected):
            await engine.generate(request_for(reference_audio=clip))
        return
    track = await engine.generate(request_for(reference_audio=clip))
    assert_audio(track)
    assert abs(track.duration - SECONDS) <= TOLERANCE


async def test_health_answers_with_engine_health(engine: Engine) -> None:
    assert isinstance(await engine.health(), EngineHealth)


async def test_aclose_can_be_called_twice(engine: Engine) -> None:
    await engine.aclose()
    await engine.aclose()

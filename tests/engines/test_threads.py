"""A render's second thread (engines/threads.py, engines/synth/parallel.py): both halves always get done, by the
helper when it is free and by the caller when it is not, and a mixdown adds the same notes in the same order."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from engines.synth.mixer import Bus, add, later
from engines.synth.parallel import mixdown
from engines.threads import both, helpers


@pytest.fixture
def busy_helper() -> Iterator[None]:
    """The process's helper thread held by another task until the test ends."""
    release, started = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(30)

    helpers().submit(hold)
    assert started.wait(30)
    yield
    release.set()


def test_the_second_half_runs_in_the_helper_while_the_caller_runs_the_first() -> None:
    second_started = threading.Event()
    where: list[int] = []

    def first() -> str:
        assert second_started.wait(30), "the helper never started the second half"
        return "first"

    def second() -> str:
        where.append(threading.get_ident())
        second_started.set()
        return "second"

    assert both(first, second) == ("first", "second")
    assert where and where[0] != threading.get_ident()


def test_a_busy_helper_means_the_caller_runs_both_halves_itself(busy_helper: None) -> None:
    where: list[int] = []

    def second() -> int:
        where.append(threading.get_ident())
        return 2

    assert both(lambda: 1, second) == (1, 2)
    assert where == [threading.get_ident()]


def test_an_error_in_either_half_reaches_the_caller() -> None:
    def fails() -> int:
        raise ValueError("half")

    with pytest.raises(ValueError, match="half"):
        both(lambda: 1, fails)
    with pytest.raises(ValueError, match="half"):
        both(fails, lambda: 1)


_MADE: list[tuple[int, int]] = []


def _ramp(length: int, seed: int) -> npt.NDArray[np.float32]:
    """A deterministic little sound; records that it was made."""
    _MADE.append((length, seed))
    return np.random.default_rng(seed).standard_normal(length).astype(np.float32)


@pytest.mark.parametrize("helper", ["free", "busy"])
def test_a_mixdown_makes_each_distinct_sound_once_and_adds_the_notes_in_the_order_written(
    helper: str, request: pytest.FixtureRequest
) -> None:
    if helper == "busy":
        request.getfixturevalue("busy_helper")
    rng = np.random.default_rng(5)
    buses = {name: Bus(20_000) for name in ("a", "b")}
    expected = {name: np.zeros((2, 20_000), dtype=np.float32) for name in buses}
    for _ in range(300):
        name = str(rng.choice(["a", "b"]))
        length, seed = int(rng.choice([500, 3000])), int(rng.integers(12))
        frame, gain, pan = int(rng.integers(0, 21_000)), float(rng.uniform(0.1, 1)), float(rng.uniform(-1, 1))
        buses[name].place(later(_ramp, length, seed), frame, gain, pan)
        add(expected[name], np.random.default_rng(seed).standard_normal(length).astype(np.float32), frame, gain, pan)
    _MADE.clear()
    mixed = mixdown(buses)
    assert sorted(_MADE) == sorted(set(_MADE))
    assert set(_MADE) == {sound[1] for bus in buses.values() for sound, *_ in bus.notes}
    for name in buses:
        assert np.array_equal(mixed[name], expected[name])

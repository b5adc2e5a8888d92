"""engines.dsp gives what scipy gives (scipy is a test dependency here, never imported by the bot)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.signal  # type: ignore[import-untyped]
from scipy.fft import next_fast_len as scipy_next_fast_len  # type: ignore[import-untyped]

from engines import dsp

SR = 44_100


@pytest.mark.parametrize("n", [1, 2, 5, 7, 11, 97, 1000, 1001, 44_100, 123_457, 1_323_000, 2**20 + 1])
def test_next_fast_len_is_scipys_real_fft_length(n: int) -> None:
    assert dsp.next_fast_len(n) == scipy_next_fast_len(n, real=True)


def test_the_kaiser_low_pass_is_scipys_firwin() -> None:
    ours = dsp.firwin_kaiser(129, 4600.0, SR, 8.0)
    theirs = scipy.signal.firwin(129, 4600.0, fs=SR, window=("kaiser", 8.0))
    np.testing.assert_allclose(ours, theirs, atol=1e-15)


@pytest.mark.parametrize(
    ("order", "hz", "btype"), [(4, 25.0, "highpass"), (2, 8000.0, "lowpass"), (2, 300.0, "lowpass")]
)
def test_butterworth_sections_are_scipys(order: int, hz: float, btype: str) -> None:
    theirs = scipy.signal.butter(order, hz, btype=btype, fs=SR, output="sos")
    np.testing.assert_allclose(dsp.butter_sos(order, hz, btype, SR), theirs, atol=1e-12)


def test_odd_butterworth_orders_are_refused() -> None:
    with pytest.raises(ValueError, match="even order"):
        dsp.butter_sos(3, 100.0, "lowpass", SR)


def _master_like_sos() -> np.ndarray:
    peak = scipy.signal.iirpeak(3200.0, 0.7, fs=SR)
    return np.vstack(
        [
            scipy.signal.butter(4, 25.0, btype="highpass", fs=SR, output="sos"),
            scipy.signal.tf2sos(*peak),
            scipy.signal.butter(2, 9000.0, btype="lowpass", fs=SR, output="sos"),
        ]
    )


@pytest.mark.parametrize("frames", [1, 63, 64, 65, 5000, 3 * SR + 17])
def test_sosfilt_matches_scipy_along_either_axis(frames: int) -> None:
    sos = _master_like_sos()
    x = np.random.default_rng(frames).standard_normal((2, frames)).astype(np.float32)
    x[:, frames // 2 :] += 0.5  # a step: the 25 Hz high-pass rings for a long time after it
    expected = scipy.signal.sosfilt(sos, x.astype(np.float64), axis=1)
    ours = dsp.sosfilt(sos, x, axis=1)
    assert ours.shape == x.shape
    np.testing.assert_allclose(ours, expected, atol=2e-6 * max(1.0, float(np.abs(expected).max())))
    np.testing.assert_allclose(dsp.sosfilt(sos, x.T, axis=0), ours.T, atol=1e-6)


def test_lfilter_matches_scipy_for_a_one_pole_smoother() -> None:
    x = np.random.default_rng(1).uniform(-1, 1, 1100)
    expected = scipy.signal.lfilter([0.3], [1.0, -0.7], x)
    np.testing.assert_allclose(dsp.lfilter([0.3], [1.0, -0.7], x), expected, atol=1e-6)


def test_the_synth_renders_without_importing_scipy() -> None:
    code = (
        "import sys\n"
        "from engines.base import GenerationRequest\n"
        "from engines.synth.engine import render\n"
        "render(GenerationRequest('lofi beat with guitar', duration=5.0, seed=1))\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.strip() == "[]"

"""engines.loudness measured against pyloudnorm (an independent BS.1770-4 implementation) and scipy's lfilter."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyloudnorm  # type: ignore[import-untyped]
import pytest
import scipy.signal  # type: ignore[import-untyped]

from engines import loudness

SR = 44_100


def _reference_lufs(samples: npt.NDArray[np.float32], sample_rate: int = SR) -> float:
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(samples.astype(np.float64)))


def _noise(seconds: float, level: float, seed: int = 0, channels: int = 2) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((int(seconds * SR), channels)) * level).astype(np.float32)


def _sine(freq: float, seconds: float, level: float) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * SR)) / SR
    mono = level * np.sin(2 * np.pi * freq * t)
    return np.stack([mono, mono * 0.5], axis=1).astype(np.float32)


def _drums_and_noise(seconds: float) -> npt.NDArray[np.float32]:
    """Loud low thumps every half second over quiet noise: the case a limiter has to work for."""
    t = np.arange(int(seconds * SR)) / SR
    thump = np.sin(2 * np.pi * 55 * t) * np.exp(-((t * 2) % 1) * 30) * 0.8
    return (_noise(seconds, 0.05, seed=3) + thump[:, None]).astype(np.float32)


def test_k_weighting_matches_lfilter_of_the_two_biquads() -> None:
    x = _noise(3.0, 0.1)
    b, a = loudness.k_weighting_coefficients(SR)
    expected = scipy.signal.lfilter(b, a, x.astype(np.float64), axis=0)
    assert np.abs(loudness.k_weight(x, SR) - expected).max() < 1e-3


@pytest.mark.parametrize(
    "signal",
    [
        _noise(10.0, 0.1),
        _noise(10.0, 0.01, seed=1, channels=1)[:, 0],
        _sine(1000.0, 5.0, 0.5),
        _sine(60.0, 5.0, 0.9),
        _sine(8000.0, 5.0, 0.2),
        _drums_and_noise(8.0),
        np.concatenate([_noise(4.0, 0.1), _noise(4.0, 0.001, seed=2)]),  # the quiet half is gated out
    ],
    ids=["noise", "quiet-mono-noise", "sine-1k", "sine-60", "sine-8k", "thumps", "gated"],
)
def test_integrated_loudness_agrees_with_pyloudnorm(signal: npt.NDArray[np.float32]) -> None:
    assert loudness.integrated_lufs(signal, SR) == pytest.approx(_reference_lufs(signal), abs=0.1)


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_agreement_holds_at_other_sample_rates(rate: int) -> None:
    x = (np.random.default_rng(5).standard_normal((rate * 5, 2)) * 0.2).astype(np.float32)
    assert loudness.integrated_lufs(x, rate) == pytest.approx(_reference_lufs(x, rate), abs=0.1)


def test_silence_is_minus_infinity_and_normalising_it_changes_nothing() -> None:
    silence = np.zeros((SR * 2, 2), dtype=np.float32)
    assert loudness.integrated_lufs(silence, SR) == float("-inf")
    assert np.array_equal(loudness.normalize(silence, SR), silence)


def test_true_peak_sees_inter_sample_overs() -> None:
    # A quarter-rate sine sampled 45° off its crests: every sample is at 0.707 of the real peak (−3 dB).
    t = np.arange(SR) / SR
    x = (0.5 * np.sin(2 * np.pi * (SR / 4) * t + np.pi / 4)).astype(np.float32)[:, None]
    sample_peak = 20 * np.log10(np.abs(x).max())
    assert loudness.true_peak_dbfs(x, SR) > sample_peak + 2.5
    assert loudness.true_peak_dbfs(x, SR) == pytest.approx(20 * np.log10(0.5), abs=0.3)


@pytest.mark.parametrize("signal", [_noise(10.0, 0.02), _drums_and_noise(10.0), _sine(200.0, 5.0, 0.05)])
def test_normalize_reaches_minus_14_lufs_with_peaks_under_minus_1(signal: npt.NDArray[np.float32]) -> None:
    out = loudness.normalize(signal, SR)
    assert out.dtype == np.float32
    assert _reference_lufs(out) == pytest.approx(-14.0, abs=0.5)
    assert 20 * np.log10(np.abs(out).max()) <= -1.0
    assert loudness.true_peak_dbfs(out, SR) <= -1.0 + 1e-6


def test_limiter_gain_keeps_every_frame_under_the_ceiling_including_across_a_loop_seam() -> None:
    level = loudness.frame_peaks(_drums_and_noise(3.0))
    for circular in (False, True):
        gain = loudness.limiter_gain(level, 0.25, SR, circular=circular)
        assert (level * gain).max() <= 0.25 + 1e-6
        assert gain.max() <= 1.0
    seam_gain = loudness.limiter_gain(level, 0.25, SR, circular=True)
    assert abs(float(seam_gain[-1]) - float(seam_gain[0])) < 0.02


@pytest.mark.parametrize("prompt", ["techno", "ambient pads"])
def test_agreement_holds_on_real_synth_output(prompt: str) -> None:
    from engines.base import GenerationRequest
    from engines.synth import render

    track = render(GenerationRequest(prompt=prompt, duration=8.0, seed=4))
    assert loudness.integrated_lufs(track.samples, SR) == pytest.approx(_reference_lufs(track.samples), abs=0.1)


# ITU-R BS.1770-4 Annex 2 interpolation filter, typed in here from the Recommendation (phase 0 … 3, 12 taps each),
# independent of engines.loudness.TP_PHASES.
_ANNEX_2 = [
    [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625,
     0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
    [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250,
     0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
]  # fmt: skip


def _direct_true_peak(x: npt.NDArray[np.float32]) -> float:
    """Max |y| over the four phases y_p = h_p * x (phases 2 and 3 are phases 1 and 0 reversed), and the samples."""
    phases = [*_ANNEX_2, _ANNEX_2[1][::-1], _ANNEX_2[0][::-1]]
    peak = float(np.abs(x).max())
    for channel in x.T.astype(np.float64):
        for taps in phases:
            peak = max(peak, float(np.abs(np.convolve(channel, taps)).max()))
    return 20 * float(np.log10(peak))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_true_peak_is_the_bs1770_4_annex_2_meter(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((20_000, 2)) * 0.1).astype(np.float32)
    x[rng.integers(0, 20_000, 5)] = rng.choice([-1.0, 1.0], (5, 2)) * 0.9  # a few sharp overs
    assert loudness.true_peak_dbfs(x, SR) == pytest.approx(_direct_true_peak(x), abs=1e-4)
    t = np.arange(SR) / SR  # the classic +3 dB construction: fs/4 at 45°, every sample at A/√2
    sine = (0.5 * np.sin(2 * np.pi * SR / 4 * t + np.pi / 4)).astype(np.float32)[:, None]
    assert loudness.true_peak_dbfs(sine, SR) == pytest.approx(_direct_true_peak(sine), abs=1e-4)

"""Loudness in numpy: ITU-R BS.1770-4 integrated loudness, a true-peak estimate and a normaliser.

Everything here is vectorised so a 30 s stereo track is measured in a few milliseconds:

- the K-weighting (two biquads) runs as one 4th-order state-space filter applied block-wise: inside a block the
  response is a small Toeplitz matrix product; the state carried between blocks is a linear recurrence solved by
  log-step doubling, which is exact once the filter's memory (≈ 0.1 s) has decayed below float precision;
- true peak is measured with BS.1770-4's 48-tap 4× interpolator, evaluated only where a sample is close enough to
  the peak that an inter-sample over could beat it;
- the limiter is a non-causal (look-ahead) gain curve: a running minimum of the required gain smoothed by two box
  filters, which provably never exceeds the required gain and so never lets a sample through the ceiling.
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
import numpy.typing as npt

from engines.base import Samples
from engines.threads import both

F64 = npt.NDArray[np.float64]

_BLOCK = 32  # filter block length: small keeps the Toeplitz product cheap, the carry scan does the rest
_TP_TAPS = 12  # taps per phase of the 4× true-peak interpolator (48 in all, BS.1770-4 Annex 2)
_TP_BLOCK = 16  # frames interpolated per row of the banded product
_LIMIT_STEP = 32  # frames between the limiter's gain points


def k_weighting_coefficients(sample_rate: int) -> tuple[F64, F64]:
    """The K-weighting cascade as one (b, a) pair; BS.1770's 48 kHz coefficients, re-derived for any rate."""
    # Analogue parameters fitted by B. De Man so the bilinear transform reproduces the standard's 48 kHz values.
    k = np.tan(np.pi * 1681.974450955533 / sample_rate)
    q = 0.7071752369554196
    vh = 10.0 ** (3.999843853973347 / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    b_shelf = np.array([(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0])
    a_shelf = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    k = np.tan(np.pi * 38.13547087602444 / sample_rate)
    q = 0.5003270373238773
    a0 = 1.0 + k / q + k * k
    b_hp = np.array([1.0, -2.0, 1.0])
    a_hp = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    return np.convolve(b_shelf, b_hp), np.convolve(a_shelf, a_hp)


@lru_cache(maxsize=8)
def _block_matrices(sample_rate: int) -> tuple[F64, F64, F64, F64]:
    """Matrices that filter one block: zero-state response, end state, state→output and the block transition."""
    b, a = k_weighting_coefficients(sample_rate)
    order = len(a) - 1
    # Transposed direct form II as a state space: s[n+1] = A s[n] + B x[n], y[n] = s0[n] + b0 x[n].
    trans = np.zeros((order, order))
    trans[:, 0] = -a[1:]
    trans[np.arange(order - 1), np.arange(1, order)] = 1.0
    inp = b[1:] - a[1:] * b[0]
    powers = [np.eye(order)]
    for _ in range(_BLOCK):
        powers.append(trans @ powers[-1])
    impulse = np.array([b[0]] + [(powers[m - 1] @ inp)[0] for m in range(1, _BLOCK)])
    idx = np.arange(_BLOCK)
    lag = idx[:, None] - idx[None, :]
    toeplitz = np.where(lag >= 0, impulse[np.clip(lag, 0, None)], 0.0)
    to_state = np.stack([powers[_BLOCK - 1 - k] @ inp for k in range(_BLOCK)], axis=1)  # (order, L)
    to_output = np.stack([powers[i][0] for i in range(_BLOCK)])  # (L, order): first row of A^i
    return toeplitz, to_state, to_output, powers[_BLOCK]


def _k_weighted(samples: npt.NDArray[np.floating], sample_rate: int) -> npt.NDArray[np.float32]:
    """The K-weighted signal, channels first: shape (channels, frames), float32."""
    x2 = np.asarray(samples).reshape(samples.shape[0], -1)
    frames, channels = x2.shape
    toeplitz, to_state, to_output, transition = _block_matrices(sample_rate)
    blocks = -(-frames // _BLOCK)
    order = transition.shape[0]
    # Each row holds one block of one channel followed by the filter state entering it, so the whole output is
    # a single 2-D product with [Toeplitz; state→output]. float32 products are plenty for a loudness figure;
    # the state recurrence, where poles sit close to 1, runs in float64.
    rows = np.zeros((channels, blocks, _BLOCK + order), dtype=np.float32)
    full, rest = divmod(frames, _BLOCK)
    rows[:, :full, :_BLOCK] = x2[: full * _BLOCK].T.reshape(channels, full, _BLOCK)
    rows[:, full:, :rest] = x2[full * _BLOCK :].T[:, None, :]
    inputs = rows[:, :, :_BLOCK].reshape(-1, _BLOCK)
    state = (inputs @ to_state.T.astype(np.float32)).astype(np.float64).reshape(channels, blocks, order)
    power, step = transition.copy(), 1
    # Doubling scan of s_j = M s_(j-1) + u_j; stops once M^step has decayed far below float precision.
    while step < blocks and np.abs(power).max() > 1e-10:
        state[:, step:] += (state[:, :-step].reshape(-1, order) @ power.T).reshape(channels, -1, order)
        power, step = power @ power, step * 2
    rows[:, 1:, _BLOCK:] = state[:, :-1]
    y = rows.reshape(-1, _BLOCK + order) @ np.vstack([toeplitz.T, to_output.T]).astype(np.float32)
    return y.reshape(channels, -1)[:, :frames]


def k_weight(samples: npt.NDArray[np.floating], sample_rate: int) -> npt.NDArray[np.float32]:
    """The K-weighted signal (float32, same shape as ``samples``), as ``lfilter`` of the two biquads would give."""
    weighted = _k_weighted(samples, sample_rate)
    return weighted[0] if np.ndim(samples) == 1 else weighted.T


def _weighted_energy(samples: npt.NDArray[np.floating], sample_rate: int) -> F64:
    """Per-frame K-weighted energy summed over channels (the L/R/C channel weights are all 1); a stereo track's
    two channels are weighted in two threads."""
    if samples.ndim == 2 and samples.shape[1] == 2:
        weighted = np.concatenate(
            both(partial(_k_weighted, samples[:, :1], sample_rate), partial(_k_weighted, samples[:, 1:], sample_rate))
        )
    else:
        weighted = _k_weighted(samples, sample_rate)
    energy: F64 = np.einsum("cf,cf->f", weighted, weighted).astype(np.float64)
    return energy


def _gated_loudness(energy: F64, sample_rate: int) -> float:
    """Gated loudness of per-frame energies: 400 ms blocks every 100 ms, −70 LUFS and −10 LU gates."""
    hop = round(0.1 * sample_rate)
    frames = energy.shape[0]
    if frames < 4 * hop:  # shorter than one block: measure it as a single block
        powers = np.array([energy.sum() / max(frames, 1)])
    else:
        per_hop = energy[: frames // hop * hop].reshape(-1, hop).sum(axis=1)
        powers = (per_hop[:-3] + per_hop[1:-2] + per_hop[2:-1] + per_hop[3:]) / (4 * hop)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10.0 * np.log10(powers)
    gated = powers[loud >= -70.0]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10.0 * np.log10(gated.mean()) - 10.0
    return float(-0.691 + 10.0 * np.log10(powers[(loud > relative) & (loud >= -70.0)].mean()))


def integrated_lufs(samples: Samples, sample_rate: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4: K-weighting, −70 LUFS absolute and −10 LU relative gates).

    Audio shorter than one 400 ms block is measured as a single block rather than refused.
    """
    return _gated_loudness(_weighted_energy(samples, sample_rate), sample_rate)


# ITU-R BS.1770-4 Annex 2, §3: the 48-tap, 4-phase interpolating FIR for 4× oversampling, as published (phase p
# computes y[4n + p] = Σ_k h_p[k] · x[n − k]). No phase is the identity, so every phase is evaluated.
TP_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625,
         0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250,
         0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125, 0.7797851562500,
         0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750, 0.9721679687500,
         0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip


@lru_cache(maxsize=1)
def _interpolator() -> npt.NDArray[np.float32]:
    """Banded matrix mapping a window of input frames to the four BS.1770-4 phases of each of its outputs.

    Shape (_TP_BLOCK + _TP_TAPS - 1, 4 · _TP_BLOCK): output ``i`` of a block reads window rows ``i … i + 11``
    (oldest first), so row ``i + j`` carries ``h_p[11 − j]``.
    """
    kernel = TP_PHASES[:, ::-1].T  # (taps, phases)
    band = np.zeros((_TP_BLOCK + _TP_TAPS - 1, 4 * _TP_BLOCK))
    for i in range(_TP_BLOCK):
        band[i : i + _TP_TAPS, 4 * i : 4 * i + 4] = kernel
    return band.astype(np.float32)


def true_peak_dbfs(samples: Samples, sample_rate: int = 44_100) -> float:
    """True peak in dBTP as ITU-R BS.1770-4 Annex 2 meters it: 4× oversampling with the standard 48-tap filter.

    The sample peak is included too (the larger is returned). ``sample_rate`` is accepted for symmetry with the
    other measures; the standard's filter is specified per sample, whatever the rate.
    """
    data = np.asarray(samples, dtype=np.float32).reshape(samples.shape[0], -1)
    frames, channels = data.shape
    level = frame_peaks(data)
    sample_peak = float(level.max()) if frames else 0.0
    if sample_peak <= 0.0:
        return float("-inf")
    band = _interpolator()
    taps = _TP_TAPS
    bound = float(np.abs(TP_PHASES).sum(axis=1).max())
    # Output n reads input frames n − 11 … n; outputs run to frames + 10 so every input is seen by every tap.
    outputs = frames + taps - 1
    blocks = -(-outputs // _TP_BLOCK)
    # Only blocks whose window holds a frame loud enough to interpolate above the sample peak need the filter.
    hot = np.zeros(blocks * _TP_BLOCK, dtype=bool)
    hot[:frames] = level * bound > sample_peak
    hot_blocks = hot.reshape(blocks, _TP_BLOCK).view(np.uint8).max(axis=1) > 0
    hot_blocks[1:] |= hot_blocks[:-1].copy()  # a frame reaches outputs up to 11 later: the next block
    starts = np.flatnonzero(hot_blocks) * _TP_BLOCK
    padded = np.zeros((taps - 1 + blocks * _TP_BLOCK, channels), dtype=np.float32)
    padded[taps - 1 : taps - 1 + frames] = data
    windows = padded[starts[:, None] + np.arange(band.shape[0])[None, :]]  # (m, block + taps - 1, channels)
    rows = windows.transpose(0, 2, 1).reshape(-1, band.shape[0])
    peak = max(sample_peak, float(np.abs(rows @ band).max(initial=0.0)))
    return 20.0 * float(np.log10(peak))


def _running_min_ahead(values: F64, width: int) -> F64:
    """``out[n] = min(values[n : n + width])`` (van Herk / Gil-Werman, O(n) for any width)."""
    n = values.shape[0]
    blocks = -(-(n + width) // width)
    padded = np.ones(blocks * width)
    padded[:n] = values
    tiles = padded.reshape(blocks, width)
    prefix = np.minimum.accumulate(tiles, axis=1).ravel()
    suffix = np.minimum.accumulate(tiles[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.asarray(np.minimum(suffix[:n], prefix[width - 1 : width - 1 + n]), dtype=np.float64)


def _box(values: F64, width: int) -> F64:
    """Causal moving average of ``width`` samples (the first samples average over fewer)."""
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    head = min(width, values.shape[0])
    out = np.empty(values.shape[0])
    out[:head] = cumulative[1 : head + 1] / np.arange(1, head + 1)
    out[head:] = (cumulative[head + 1 :] - cumulative[1 : values.shape[0] - head + 1]) / width
    return out


def frame_peaks(samples: Samples) -> npt.NDArray[np.float32]:
    """Each frame's absolute peak over its channels, float32 of shape (frames,)."""
    data = np.asarray(samples, dtype=np.float32).reshape(samples.shape[0], -1)
    level = np.abs(data[:, 0])
    for channel in range(1, data.shape[1]):  # a loop over 2 columns beats a reduce over a 2-wide axis
        np.maximum(level, np.abs(data[:, channel]), out=level)
    return level


def limiter_gain(
    level: npt.NDArray[np.float32], ceiling: float, sample_rate: int, *, circular: bool = False
) -> npt.NDArray[np.float32]:
    """Per-frame gain ≤ 1 that keeps ``level`` (each frame's peak over channels) at or under ``ceiling``.

    Look-ahead is free offline: the gain starts falling ~2 ms before a peak and recovers over ~12 ms, so
    transients are turned down rather than clipped. ``circular`` treats the audio as a loop.
    """
    frames = level.shape[0]
    step = _LIMIT_STEP
    attack = max(1, round(0.002 * sample_rate / step))
    release = max(1, round(0.012 * sample_rate / step))
    pad = min((attack + release + 2) * step, frames) if circular else 0
    if pad:  # the seam must see the audio on its other side
        level = np.concatenate([level[frames - pad :], level, level[:pad]])
    # The gain is worked out on a coarse grid (one point every `step` frames) and interpolated linearly. Point k
    # is held below the need of every frame within one step of it, so any blend of two neighbours is safe too.
    points = -(-level.shape[0] // step)
    block_peak = np.zeros(points + 1)
    tiles = np.zeros(points * step, dtype=np.float32)
    tiles[: level.shape[0]] = level
    block_peak[1:] = tiles.reshape(points, step).max(axis=1)
    point_peak = np.maximum(block_peak[:-1], block_peak[1:])
    point_peak = np.append(point_peak, block_peak[-1])  # points 0..points
    need = np.minimum(1.0, ceiling / np.maximum(point_peak, 1e-12))
    # min over [k, k+a+r-2], then boxes of a and r: each output averages minima whose windows all contain k.
    coarse = _box(_box(_running_min_ahead(need, attack + release - 1), attack), release)
    coarse32 = coarse.astype(np.float32)
    ramp = np.arange(step, dtype=np.float32) / np.float32(step)
    fine = coarse32[:-1, None] + (coarse32[1:] - coarse32[:-1])[:, None] * ramp[None, :]
    return fine.reshape(-1)[pad : pad + frames]


def normalize_gain(
    samples: Samples,
    sample_rate: int,
    target_lufs: float = -14.0,
    peak_dbfs: float = -1.0,
    *,
    circular: bool = False,
) -> npt.NDArray[np.float32]:
    """Per-frame gain that brings ``samples`` to ``target_lufs`` with true peaks ≤ ``peak_dbfs``.

    Multiplying each frame (or every stem) by it gives the normalised mix. ``circular`` treats the audio as a loop.
    """
    frames = samples.shape[0]
    energy = _weighted_energy(samples, sample_rate)
    loudness = _gated_loudness(energy, sample_rate)
    if not np.isfinite(loudness):
        return np.ones(frames, dtype=np.float32)
    level = frame_peaks(samples)
    scale = 10.0 ** ((target_lufs - loudness) / 20.0)
    ceiling = 10.0 ** ((peak_dbfs - 0.5) / 20.0)  # sample ceiling; the margin absorbs most inter-sample overs

    def gain_for(scale: float, ceiling: float) -> npt.NDArray[np.float32]:
        limited = limiter_gain(level * np.float32(scale), ceiling, sample_rate, circular=circular)
        return np.asarray(limited * np.float32(scale), dtype=np.float32)

    shape = (-1,) + (1,) * (samples.ndim - 1)
    gain, aim = gain_for(scale, ceiling), target_lufs
    peak: float | None = None
    for _ in range(2):
        for _ in range(6):
            # The limiter takes some loudness away, so push the input harder until it lands on target. The
            # gain moves slowly next to the K-filter's memory, so weighting energies by gain² predicts the result.
            error = aim - _gated_loudness(energy * np.square(gain, dtype=np.float64), sample_rate)
            if abs(error) <= 0.02:
                break
            scale *= 10.0 ** (error / 20.0)
            gain = gain_for(scale, ceiling)
        # the loudness check and the true peak of the same gain in two threads: the peak is the next step's
        # input whenever the prediction held, as it does for nearly every track
        normalised = samples * gain.reshape(shape)
        lufs, peak = both(
            partial(integrated_lufs, normalised, sample_rate), partial(true_peak_dbfs, normalised, sample_rate)
        )
        miss = target_lufs - lufs
        if abs(miss) <= 0.1:  # the prediction held; otherwise aim off by what it missed and go again
            break
        aim += miss
        peak = None
    for _ in range(3):
        if peak is None:
            peak = true_peak_dbfs(samples * gain.reshape(shape), sample_rate)
        over, peak = peak - peak_dbfs, None
        if over <= 0.0:
            break
        ceiling *= 10.0 ** (-(over + 0.05) / 20.0)
        gain = gain_for(scale, ceiling)
    return gain


def normalize(samples: Samples, sample_rate: int, target_lufs: float = -14.0, peak_dbfs: float = -1.0) -> Samples:
    """``samples`` at ``target_lufs`` integrated loudness with true peaks ≤ ``peak_dbfs`` (float32)."""
    gain = normalize_gain(samples, sample_rate, target_lufs, peak_dbfs)
    return np.asarray(samples * gain.reshape((-1,) + (1,) * (samples.ndim - 1)), dtype=np.float32)

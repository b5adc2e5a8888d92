"""The few filters the synth needs, in numpy: IIR sections, Butterworth and Kaiser FIR design, FFT sizes.

``import scipy.signal`` (with the ``scipy.fft``, ``scipy.sparse``, ``scipy.linalg`` … it pulls in) adds ~80 MB to
every process that renders a track, for three functions. These give the same results (tests/engines/test_dsp.py
compares them with scipy's, which the tests may use) and keep the bot's idle memory small.

:func:`sosfilt` runs a cascade of second-order sections as one state-space system in blocks of :data:`BLOCK`
frames: every block's zero-state response is one matrix product with the impulse response's Toeplitz matrix, the
state carried from block to block is a short recurrence solved by doubling, and the filter's matrices are built
once per filter (cached coefficients, never audio).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
BLOCK = 128  # frames per block: the products cost ~BLOCK multiply-adds a frame, the carry ~log2(frames/BLOCK) steps


def next_fast_len(n: int) -> int:
    """The smallest 2^a · 3^b · 5^c ≥ ``n``: a real FFT length that is quick (scipy's ``next_fast_len(real=True)``)."""
    if n <= 6:
        return max(n, 1)
    best = 1 << (n - 1).bit_length()
    five = 1
    while five < best:
        three = five
        while three < best:
            size = three * (1 << max(0, (-(-n // three) - 1).bit_length()))
            best = min(best, size)
            three *= 3
        five *= 5
    return best


def firwin_kaiser(taps: int, cutoff: float, fs: float, beta: float) -> npt.NDArray[np.float64]:
    """A linear-phase low-pass FIR of ``taps`` taps at ``cutoff`` Hz, Kaiser-windowed (β ``beta``), unit gain at DC.

    scipy's ``firwin(taps, cutoff, fs=fs, window=("kaiser", beta))``.
    """
    c = cutoff / (fs / 2)
    m = np.arange(taps) - (taps - 1) / 2
    h = c * np.sinc(c * m) * np.kaiser(taps, beta)
    return np.asarray(h / h.sum(), dtype=np.float64)


def butter_sos(order: int, cutoff: float, btype: str, fs: float) -> npt.NDArray[np.float64]:
    """A digital Butterworth ``lowpass`` or ``highpass`` of even ``order`` at ``cutoff`` Hz as second-order sections.

    scipy's ``butter(order, cutoff, btype, fs=fs, output="sos")``: the analog prototype, pre-warped, through the
    bilinear transform; poles closest to the unit circle in the last section.
    """
    if order < 2 or order % 2 or btype not in ("lowpass", "highpass"):
        raise ValueError(f"butter_sos: even order and lowpass/highpass only, not {order} {btype}")
    fs2 = 2.0 * fs
    warped = fs2 * np.tan(np.pi * cutoff / fs)
    prototype = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))
    if btype == "lowpass":
        analog, zero, gain = prototype * warped, -1.0, warped**order
    else:  # the high-pass transform puts every analog zero at 0, which the bilinear transform maps to z = 1
        analog, zero, gain = warped / prototype, 1.0, 1.0
    poles = (fs2 + analog) / (fs2 - analog)
    gain = float(np.real(gain * (fs2**order if btype == "highpass" else 1.0) / np.prod(fs2 - analog)))
    upper = sorted((p for p in poles if p.imag > 0), key=abs)
    sections = np.array([[1.0, -2.0 * zero, 1.0, 1.0, -2.0 * p.real, abs(p) ** 2] for p in upper])
    sections[0, :3] *= gain
    return sections


@lru_cache(maxsize=64)
def _blocks(sos_bytes: bytes, sections: int, block: int) -> tuple[F64, npt.NDArray[np.float32], list[F64]]:
    """For :data:`BLOCK` frames of the cascade: the end state of a block from its inputs (d × block), the output
    from [inputs; entry state] (block + d × block) and the carry's matrices A^block, A^(2·block), A^(4·block) …
    (transposed) until they have decayed below float precision."""
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(sections, 6)
    # One state-space system for the whole cascade (each section in transposed direct form II, in series).
    a_mat: F64 = np.zeros((0, 0))
    b_vec, c_vec, d_val = np.zeros(0), np.zeros(0), 1.0
    for b0, b1, b2, a0, a1, a2 in sos:
        b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
        a_i = np.array([[-a1, 1.0], [-a2, 0.0]])
        b_i = np.array([b1 - a1 * b0, b2 - a2 * b0])
        n = a_mat.shape[0]
        grown = np.zeros((n + 2, n + 2))
        grown[:n, :n] = a_mat
        grown[n:, :n] = np.outer(b_i, c_vec)
        grown[n:, n:] = a_i
        a_mat, b_vec = grown, np.concatenate([b_vec, b_i * d_val])
        c_vec, d_val = np.concatenate([b0 * c_vec, [1.0, 0.0]]), b0 * d_val
    order = a_mat.shape[0]
    observe = np.empty((block, order))  # row n: C·A^n
    reach = np.empty((order, block))  # column k: A^(block−1−k)·B
    row, column = c_vec.copy(), b_vec.copy()
    for n in range(block):
        observe[n] = row
        reach[:, block - 1 - n] = column
        row, column = row @ a_mat, a_mat @ column
    impulse = np.concatenate([[d_val], observe[:-1] @ b_vec])  # h[0] = D, h[m] = C·A^(m−1)·B
    lags = np.arange(block)[:, None] - np.arange(block)[None, :]
    toeplitz = np.where(lags >= 0, impulse[np.clip(lags, 0, None)], 0.0)  # y[n] = Σ_k h[n − k]·x[k]
    powers = [np.linalg.matrix_power(a_mat, block).T]
    while len(powers) < 48 and np.abs(powers[-1]).max() > 1e-13:
        powers.append(powers[-1] @ powers[-1])
    to_state = np.ascontiguousarray(reach.T)  # float64: the state sums a long memory, rounding would add up
    to_output = np.ascontiguousarray(np.vstack([toeplitz.T, observe.T]), dtype=np.float32)
    return to_state, to_output, powers


def sosfilt(sos: npt.ArrayLike, x: npt.ArrayLike, axis: int = -1) -> npt.NDArray[np.float32]:
    """Filter ``x`` along ``axis`` by the second-order sections ``sos`` (rows b0 b1 b2 a0 a1 a2), from rest.

    scipy's ``sosfilt(sos, x, axis)`` for stable filters, in float32 (≈ 1e-7 of full scale apart from scipy's).
    """
    coefficients = np.ascontiguousarray(np.atleast_2d(np.asarray(sos, dtype=np.float64)))
    to_state, to_output, powers = _blocks(coefficients.tobytes(), coefficients.shape[0], BLOCK)
    order = to_state.shape[1]
    signal = np.moveaxis(np.asarray(x), axis, -1)
    shape, frames = signal.shape, signal.shape[-1]
    flat = signal.reshape(-1, frames)
    channels, blocks = flat.shape[0], -(-frames // BLOCK)
    # Each row: one block of one channel, then the filter state entering it; the output is one 2-D product.
    # The output product runs in float32 (the output's precision); the state, poles near 1, in float64.
    rows = np.zeros((channels, blocks, BLOCK + order), dtype=np.float32)
    full, rest = divmod(frames, BLOCK)
    rows[:, :full, :BLOCK] = flat[:, : full * BLOCK].reshape(channels, full, BLOCK)
    rows[:, full:, :rest] = flat[:, full * BLOCK :][:, None, :]
    inputs = rows[:, :, :BLOCK].reshape(-1, BLOCK)
    state = (inputs.astype(np.float64) @ to_state).reshape(channels, blocks, order)
    step = 1
    for power in powers:  # s_k = A^BLOCK·s_(k−1) + u_k by doubling, while A^step still matters
        if step >= blocks:
            break
        state[:, step:] += (state[:, :-step].reshape(-1, order) @ power).reshape(channels, -1, order)
        step *= 2
    rows[:, 1:, BLOCK:] = state[:, :-1]
    out = (rows.reshape(-1, BLOCK + order) @ to_output).reshape(channels, -1)[:, :frames]
    return np.moveaxis(out.reshape(shape), -1, axis)


def lfilter(b: npt.ArrayLike, a: npt.ArrayLike, x: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """scipy's ``lfilter(b, a, x)`` for a 1-D ``x`` and a filter of order ≤ 2, from rest."""
    b_arr, a_arr = np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64)
    if b_arr.shape[0] > 3 or a_arr.shape[0] > 3:
        raise ValueError("lfilter: order 2 at most (a cascade of sections is sosfilt)")
    section = np.zeros(6)
    section[: b_arr.shape[0]] = b_arr
    section[3 : 3 + a_arr.shape[0]] = a_arr
    return sosfilt(section[None, :], x)

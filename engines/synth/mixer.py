"""Buses, stereo placement, space (reverb and delay), ducking, loop folding and the master.

Every onset lands on ``frame = round(step * seconds_per_step * SR)`` computed from the absolute step index, so a
long track never drifts off the tempo grid.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engines.synth.instruments import SR, Mono

Stereo = npt.NDArray[np.float32]  # shape (2, frames) while mixing: each channel contiguous


class Bus:
    """A stereo buffer that sounds are added into."""

    def __init__(self, frames: int) -> None:
        self.audio: Stereo = np.zeros((2, frames), dtype=np.float32)

    def place(self, sound: Mono, frame: int, gain: float, pan: float = 0.0) -> None:
        """Add a mono ``sound`` at ``frame`` with constant-power ``pan`` (−1 left … +1 right)."""
        end = min(frame + sound.shape[0], self.audio.shape[1])
        if end <= frame or frame < 0:
            return
        angle = (pan + 1.0) * np.pi / 4.0
        piece = sound[: end - frame]
        self.audio[0, frame:end] += piece * np.float32(gain * np.cos(angle))
        self.audio[1, frame:end] += piece * np.float32(gain * np.sin(angle))


def grid(bpm: float, swing: float = 0.0) -> tuple[float, float]:
    """Seconds per 16th note and the swing delay of odd 16ths in seconds."""
    step = 60.0 / bpm / 4.0
    return step, swing * step


def frame_at(step: float, step_seconds: float, swing_seconds: float = 0.0) -> int:
    """Frame of 16th-step ``step`` (may be fractional); odd whole steps are swung late."""
    late = swing_seconds if float(step).is_integer() and int(step) % 2 == 1 else 0.0
    return round(step * step_seconds * SR + late * SR)


def duck_curve(frames: int, kicks: list[int], depth: float, release: float) -> Mono:
    """Gain that dips by ``depth`` at each kick and recovers over ``release`` seconds (sidechain pumping)."""
    curve = np.ones(frames, dtype=np.float32)
    length = int(release * SR)
    t = np.arange(length, dtype=np.float32) / length
    shape = (1.0 - depth * (1.0 - t) ** 2).astype(np.float32)
    attack = np.linspace(1.0, 1.0 - depth, 64, dtype=np.float32)
    for kick in kicks:
        end = min(kick + length, frames)
        if kick < frames:
            np.minimum(curve[kick:end], shape[: end - kick], out=curve[kick:end])
            start = max(kick - 64, 0)
            np.minimum(curve[start:kick], attack[64 - (kick - start) :], out=curve[start:kick])
    return curve


def reverb(send: Stereo, seconds: float, seed: int) -> Stereo:
    """A dense, decorrelated stereo room: FFT convolution at a quarter of the rate on a mono send.

    Running at 11 kHz keeps it cheap, and a reverb tail has little above 5 kHz anyway.
    """
    mono = send[0] + send[1]
    factor = 4
    frames = mono.shape[0]
    usable = frames // factor * factor
    small = (mono[0:usable:4] + mono[1:usable:4] + mono[2:usable:4] + mono[3:usable:4]) * np.float32(0.125)
    rate = SR / factor
    length = int(seconds * rate)
    rng = np.random.default_rng(seed)
    t = np.arange(length) / rate
    decay = np.exp(-6.9 * t / seconds) * np.minimum(1.0, t / 0.012)
    irs = rng.standard_normal((2, length)) * decay
    irs[:, 1:] = irs[:, 1:] * 0.7 + irs[:, :-1] * 0.3  # a little darker than white
    irs *= 0.9 / np.sqrt((irs**2).sum(axis=1, keepdims=True))
    size = _fast_size(small.shape[0] + length)
    spectrum = np.fft.rfft(small, size)
    wet = np.fft.irfft(spectrum[None, :] * np.fft.rfft(irs, size), size)[:, : small.shape[0]].astype(np.float32)
    # Back to full rate by linear interpolation between the quarter-rate points.
    nxt = np.concatenate([wet[:, 1:], wet[:, -1:]], axis=1)
    ramp = (np.arange(factor, dtype=np.float32) / factor)[None, None, :]
    full = (wet[:, :, None] + (nxt - wet)[:, :, None] * ramp).reshape(2, -1)
    out = np.zeros((2, frames), dtype=np.float32)
    out[:, : full.shape[1]] = full
    return out


def _fast_size(n: int) -> int:
    """Smallest 2^a·3^b·5^c ≥ n: an FFT length that is quick without doubling the work of a power of two."""
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


def delay(send: Stereo, step_seconds: float, feedback: float, taps: int = 3) -> Stereo:
    """A ping-pong echo every dotted eighth (three 16ths), each repeat ``feedback`` quieter."""
    out = np.zeros_like(send)
    mono = (send[0] + send[1]) * np.float32(0.5)
    for tap in range(1, taps + 1):
        shift = round(3 * tap * step_seconds * SR)
        if shift >= send.shape[1]:
            break
        side = tap % 2  # alternate right and left
        out[side, shift:] += mono[:-shift] * np.float32(feedback**tap)
        out[1 - side, shift:] += mono[:-shift] * np.float32(feedback**tap * 0.3)
    return out


def fold_loop(audio: Stereo, frames: int) -> Stereo:
    """Wrap everything past ``frames`` back onto the start, so tails ring into the loop's next pass."""
    out = audio[:, :frames].copy()
    for start in range(frames, audio.shape[1], frames):
        piece = audio[:, start : start + frames]
        out[:, : piece.shape[1]] += piece
    return out

"""Drum and tone synthesis: each distinct sound is made once (cached) and placed many times by the mixer.

Tones read band-limited wavetables (one period built by inverse FFT from a harmonic recipe), so a note costs a
few vector operations whatever its timbre. Drums are tuned to the key where they have pitch (kick and toms sit on
the tonic or fifth), so they never pull a listener — or a key finder — away from the key.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from engines.synth.theory import midi_to_hz

SR = 44_100
_TABLE = 4096
Mono = npt.NDArray[np.float32]

# Tone recipes: harmonic shape, detune (cents), attack, decay time constant, sustain level, release (s), cutoff
# multiplier (× brightness), and how much of a brighter copy fades out over the first moments (a "pluck").
_RECIPES: dict[str, tuple[str, float, float, float, float, float, float, float]] = {
    "pad": ("saw", 9.0, 0.35, 2.0, 0.8, 0.6, 2500.0, 0.0),
    "strings": ("saw", 7.0, 0.45, 3.0, 0.85, 0.7, 1800.0, 0.0),
    "stab": ("saw", 6.0, 0.004, 0.18, 0.0, 0.08, 3500.0, 0.5),
    "piano": ("piano", 0.0, 0.003, 1.1, 0.0, 0.25, 3000.0, 0.6),
    "rhodes": ("rhodes", 0.0, 0.004, 1.4, 0.0, 0.3, 2500.0, 0.35),
    "pluck": ("saw", 5.0, 0.003, 0.35, 0.0, 0.12, 3000.0, 0.8),
    "bell": ("bell", 0.0, 0.002, 0.9, 0.0, 0.3, 5000.0, 0.5),
    "saw": ("saw", 10.0, 0.012, 0.8, 0.6, 0.15, 3000.0, 0.2),
    "soft": ("soft", 0.0, 0.08, 2.0, 0.8, 0.3, 2000.0, 0.0),
    "brass": ("saw", 6.0, 0.07, 1.5, 0.75, 0.3, 1600.0, 0.15),
    "sub": ("sub", 0.0, 0.004, 0.5, 0.7, 0.05, 900.0, 0.0),
    "pluck_bass": ("saw", 0.0, 0.003, 0.22, 0.25, 0.05, 900.0, 0.6),
    "round": ("round", 0.0, 0.006, 0.6, 0.5, 0.08, 700.0, 0.2),
    "808": ("sub", 0.0, 0.003, 1.2, 0.0, 0.1, 600.0, 0.0),
    "reese": ("saw", 14.0, 0.01, 2.0, 0.9, 0.1, 500.0, 0.0),
    "saw_bass": ("saw", 4.0, 0.003, 0.16, 0.35, 0.04, 900.0, 0.5),
    "drone": ("round", 4.0, 0.6, 4.0, 0.9, 0.8, 500.0, 0.0),
    "low_strings": ("saw", 6.0, 0.3, 3.0, 0.85, 0.5, 700.0, 0.0),
    "upright": ("round", 0.0, 0.004, 0.45, 0.15, 0.06, 800.0, 0.4),
}


# Harmonic amplitudes of the sparse recipes; only whole-number partials, so every note stays in tune with the key.
_PARTIALS: dict[str, dict[int, float]] = {
    "soft": {1: 1.0, 2: 0.35, 3: 0.12},
    "rhodes": {1: 1.0, 2: 0.25, 4: 0.08},
    "bell": {1: 1.0, 2: 0.5, 3: 0.3, 4: 0.25, 6: 0.12},
}


def _harmonics(shape: str, count: int) -> npt.NDArray[np.float64]:
    k = np.arange(1, count + 1, dtype=np.float64)
    if shape == "saw":
        return 1.0 / k
    if shape == "sub":
        return np.where(k == 1, 1.0, np.where(k == 2, 0.12, 0.0))
    if shape == "round":
        return np.where(k % 2 == 1, 1.0 / k**2, 0.1 / k**2)
    if shape in _PARTIALS:
        return np.array([_PARTIALS[shape].get(int(i), 0.0) for i in k])
    if shape == "piano":
        return 1.0 / k**1.4
    raise ValueError(shape)


@lru_cache(maxsize=512)
def _table(shape: str, midi: int, cutoff: float) -> Mono:
    """One period of ``shape`` at ``midi``, band-limited below Nyquist and low-passed at ``cutoff`` Hz."""
    freq = midi_to_hz(midi)
    count = max(1, min(64, int(SR * 0.45 / freq)))
    amps = _harmonics(shape, count)
    amps = amps / np.sqrt(1.0 + (np.arange(1, count + 1) * freq / cutoff) ** 4)  # 2-pole roll-off
    spectrum = np.zeros(_TABLE // 2 + 1, dtype=np.complex128)
    spectrum[1 : count + 1] = amps * -1j * _TABLE / 2
    table = np.fft.irfft(spectrum, _TABLE)
    return np.asarray(table / np.abs(table).max(), dtype=np.float32)


def _oscillate(table: Mono, freq: float, frames: int, phase: float) -> Mono:
    cycles = np.arange(frames, dtype=np.float64) * (freq / SR) + phase
    index = (cycles * _TABLE).astype(np.int64) & (_TABLE - 1)
    return np.asarray(table[index], dtype=np.float32)


def envelope(frames: int, attack: float, decay: float, sustain: float, gate: int, release: float) -> Mono:
    """Attack ramp, exponential decay towards ``sustain``, and a release after ``gate`` frames; starts at 0."""
    t = np.arange(frames, dtype=np.float32) / SR
    env = sustain + (1.0 - sustain) * np.exp(-np.maximum(t - attack, 0.0) / max(decay, 1e-3))
    env *= np.minimum(1.0, t / max(attack, 1e-4))
    if gate < frames:
        tail = np.arange(frames - gate, dtype=np.float32) / SR
        env[gate:] *= np.exp(-tail * (5.0 / max(release, 1e-3)))
    return env.astype(np.float32)


@lru_cache(maxsize=1024)
def tone(sound: str, midi: int, gate: int, brightness: float, voice: int = 0) -> Mono:
    """A note of ``sound`` held for ``gate`` frames plus its release; ``voice`` picks a detune for width."""
    shape, cents, attack, decay, sustain, release, cutoff, pluck = _RECIPES[sound]
    frames = gate + int(release * SR)
    cut = cutoff * (0.4 + 1.2 * brightness)
    freq = midi_to_hz(midi)
    sign = (-1.0, 1.0, -0.4, 0.4)[voice % 4]
    body = _oscillate(_table(shape, midi, cut), freq * 2 ** (sign * cents / 1200), frames, 0.0)
    if cents:
        body = body + _oscillate(_table(shape, midi, cut), freq * 2 ** (-sign * cents / 2400), frames, 0.37)
        body *= 0.5
    if pluck:  # a brighter copy that dies away fast: the "pick" of a plucked or struck note
        bright = _oscillate(_table(shape, midi, cut * 4), freq, frames, 0.0)
        t = np.arange(frames, dtype=np.float32) / SR
        fade = pluck * np.exp(-t / 0.06).astype(np.float32)
        body = body * (1.0 - fade) + bright * fade
    return (body * envelope(frames, attack, decay, sustain, gate, release)).astype(np.float32)


@lru_cache(maxsize=64)
def glide_808(start_midi: int, end_midi: int, gate: int) -> Mono:
    """An 808 note that slides from ``start_midi`` to ``end_midi`` over its first 80 ms, softly saturated."""
    frames = gate + int(0.1 * SR)
    t = np.arange(frames, dtype=np.float64) / SR
    pitch = end_midi + (start_midi - end_midi) * np.exp(-t / 0.03)
    phase = np.cumsum(440.0 * 2.0 ** ((pitch - 69.0) / 12.0)) / SR
    wave = np.tanh(1.6 * np.sin(2 * np.pi * phase)) / np.tanh(1.6)
    env = envelope(frames, 0.003, 1.2, 0.0, gate, 0.1)
    return np.asarray(wave * env, dtype=np.float32)


def _noise(frames: int, seed: int, highpass: int = 1) -> Mono:
    noise = np.random.default_rng(seed).standard_normal(frames + highpass).astype(np.float32)
    for _ in range(highpass):  # differencing tilts the noise up: hats hiss, snares crack
        noise = np.diff(noise)
    return noise / np.float32(2.0**highpass)


def _sweep(frames: int, start_hz: float, end_hz: float, bend: float) -> Mono:
    t = np.arange(frames, dtype=np.float64) / SR
    freq = end_hz + (start_hz - end_hz) * np.exp(-t / bend)
    return np.sin(2 * np.pi * np.cumsum(freq) / SR).astype(np.float32)


def _decay(frames: int, seconds: float, attack: float = 0.0005) -> Mono:
    t = np.arange(frames, dtype=np.float32) / SR
    return (np.exp(-t / seconds) * np.minimum(1.0, t / attack)).astype(np.float32)


@lru_cache(maxsize=128)
def drum(voice: str, tonic_pc: int, kit: int) -> Mono:
    """One hit of a drum ``voice`` for a key with tonic pitch class ``tonic_pc``; ``kit`` varies the timbre."""
    seed = 1000 * kit + sum(map(ord, voice))
    low = midi_to_hz(24 + tonic_pc)  # the tonic between 33 and 62 Hz
    fifth = low * 1.5
    # The kick sits on the tonic (33–62 Hz): it adds weight to the key and never to a foreign note.
    kick_hz = low
    soft = kit % 2
    if voice == "kick":
        n = int(SR * (0.32 if soft else 0.45))
        body = _sweep(n, 150 + 40 * soft + 10 * (kit % 3), kick_hz, 0.025) * _decay(n, 0.25 if soft else 0.32)
        return body + 0.25 * _noise(n, seed, 1) * _decay(n, 0.003)
    if voice in ("snare", "ghost", "gated"):
        n = int(SR * (0.4 if voice == "gated" else 0.22))
        noise = _noise(n, seed, 1) * 1.6
        shell = _sweep(n, fifth * 4.5, fifth * 4, 0.01)
        hit = 0.7 * noise * _decay(n, 0.09) + 0.35 * shell * _decay(n, 0.05)
        if voice == "gated":  # big 80s snare: a noisy tail held open, then shut
            gate = np.where(np.arange(n) < int(0.28 * SR), 1.0, 0.0).astype(np.float32)
            hit = hit + 0.35 * noise * gate * _decay(n, 0.6)
        return (hit * (0.4 if voice == "ghost" else 1.0)).astype(np.float32)
    if voice == "clap":
        n = int(SR * 0.3)
        noise = _noise(n, seed, 1) * 1.8
        bursts = np.zeros(n, dtype=np.float32)
        for delay_s in (0.0, 0.011, 0.022):  # three hands, a few milliseconds apart
            bursts += np.roll(_decay(n, 0.006), int(SR * delay_s))
        bursts[: int(SR * 0.022)] *= np.minimum(1.0, np.arange(int(SR * 0.022)) / 8.0)
        return (noise * (0.6 * bursts + 0.5 * np.roll(_decay(n, 0.09), int(SR * 0.022)))).astype(np.float32)
    if voice in ("hat", "roll", "pedal", "shaker"):
        n = int(SR * 0.09)
        length = {"hat": 0.022, "roll": 0.015, "pedal": 0.03, "shaker": 0.035}[voice]
        env = _decay(n, length, 0.008 if voice == "shaker" else 0.0005)
        return (_noise(n, seed, 2) * env * (1.4 if voice != "pedal" else 0.7)).astype(np.float32)
    if voice in ("ohat", "ride", "crash"):
        length = {"ohat": 0.16, "ride": 0.5, "crash": 1.2}[voice]
        n = int(SR * length * 3)
        level = {"ohat": 1.1, "ride": 0.5, "crash": 0.8}[voice]
        return (_noise(n, seed, 2) * _decay(n, length) * level).astype(np.float32)
    if voice == "brush":
        n = int(SR * 0.25)
        noise = _noise(n, seed, 1)
        return (noise * _decay(n, 0.08, 0.02) * 0.9).astype(np.float32)
    if voice == "rim":
        n = int(SR * 0.08)
        return (
            0.5 * _sweep(n, low * 16, low * 16, 1.0) * _decay(n, 0.012) + 0.4 * _noise(n, seed) * _decay(n, 0.004)
        ).astype(np.float32)
    if voice in ("tom", "lowtom"):
        n = int(SR * 0.7)
        pitch = fifth * 2 if voice == "tom" else low * 1.0
        body = _sweep(n, pitch * 1.6, pitch, 0.04) * _decay(n, 0.35 if voice == "tom" else 0.5)
        return (body + 0.3 * _noise(n, seed, 1) * _decay(n, 0.02)).astype(np.float32)
    if voice == "impact":
        n = int(SR * 3.0)
        boom = _sweep(n, low * 3, low, 0.08) * _decay(n, 0.9)
        return (boom + 0.5 * _noise(n, seed, 1) * _decay(n, 0.5, 0.002)).astype(np.float32)
    raise ValueError(voice)


def crackle(frames: int, seed: int) -> Mono:
    """Vinyl surface noise: sparse clicks over a faint hiss."""
    rng = np.random.default_rng(seed)
    out = _noise(frames, seed + 1, 2) * np.float32(0.05)
    count = int(frames / SR * 18)
    where = rng.integers(0, frames - 2, count)
    size = (rng.random(count) ** 3 * 0.9 + 0.05).astype(np.float32) * np.where(rng.random(count) < 0.5, -1, 1)
    out[where] += size
    out[where + 1] -= size * 0.6
    return out


def riser(frames: int, seed: int) -> Mono:
    """A noise swell that brightens and grows towards its end (a build into a drop)."""
    t = np.linspace(0.0, 1.0, frames, dtype=np.float32)
    dark, bright = _noise(frames, seed, 0), _noise(frames, seed + 7, 2)
    smooth = np.convolve(dark, np.ones(32, dtype=np.float32) / 32, mode="same")
    return ((smooth * (1 - t) + bright * t * 2.0) * t**2 * 0.5).astype(np.float32)

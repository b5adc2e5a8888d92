"""Drum and tone synthesis: each distinct sound is made once (cached) and placed many times by the mixer.

Tones read band-limited wavetables (one period built by inverse FFT from a harmonic recipe), so a note costs a
few vector operations whatever its timbre. Drums: the kick has a fixed pitch per kit (45–60 Hz) and a click
transient, cymbals are inharmonic metal partials plus band-limited noise, and every hit fades to true zero.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
import scipy.fft as sp_fft  # type: ignore[import-untyped]
from scipy.fft import next_fast_len

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


def _noise(frames: int, seed: int, highpass: float = 0.0, lowpass: float = 15_000.0) -> Mono:
    """Band-limited noise, unit RMS: white noise shaped in the frequency domain.

    A 4th-order low-pass at ``lowpass`` (≈ 15 kHz) keeps fizz and inter-sample overs out; ``highpass`` (Hz, 0 for
    none) is a 2nd-order high-pass for hats and snares. Differencing, which tilts noise +6 dB/octave all the way to
    Nyquist, is not used.
    """
    return _shaped_noise(next_fast_len(frames, real=True), seed, highpass, lowpass)[:frames]


@lru_cache(maxsize=128)
def _shaped_noise(size: int, seed: int, highpass: float, lowpass: float) -> Mono:
    white = np.random.default_rng(seed).standard_normal(size).astype(np.float32)
    freqs = np.fft.rfftfreq(size, 1 / SR).astype(np.float32)
    shape = 1.0 / np.sqrt(1.0 + (freqs / np.float32(lowpass)) ** 8)
    if highpass:
        ratio = (freqs / np.float32(highpass)) ** 2
        shape *= ratio / np.sqrt(1.0 + ratio**2)
    shaped = sp_fft.irfft(sp_fft.rfft(white) * shape, size)
    return np.asarray(shaped / max(float(np.sqrt(np.mean(shaped**2))), 1e-12), dtype=np.float32)


def _sweep(frames: int, start_hz: float, end_hz: float, bend: float) -> Mono:
    t = np.arange(frames, dtype=np.float64) / SR
    freq = end_hz + (start_hz - end_hz) * np.exp(-t / bend)
    return np.sin(2 * np.pi * np.cumsum(freq) / SR).astype(np.float32)


def _decay(frames: int, seconds: float, attack: float = 0.0005) -> Mono:
    t = np.arange(frames, dtype=np.float32) / SR
    return (np.exp(-t / seconds) * np.minimum(1.0, t / attack)).astype(np.float32)


def _finish(sound: Mono) -> Mono:
    """Fade the last quarter of a hit to true zero (a raised cosine), so no tail is ever cut off: no click."""
    n = sound.shape[0]
    tail = max(64, n // 4)
    fade = np.ones(n, dtype=np.float32)
    fade[n - tail :] = (0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, tail))).astype(np.float32)
    out = (sound * fade).astype(np.float32)
    out[-1] = 0.0
    return out


@lru_cache(maxsize=32)
def _metal(frames: int, seed: int, low: float, high: float, count: int = 14) -> Mono:
    """Cymbal metal: many inharmonic sine partials between ``low`` and ``high`` Hz with random phases, unit RMS.

    Built as spectral lines and one inverse FFT (cheap for long crashes); cached per kit.
    """
    rng = np.random.default_rng(seed)
    size = next_fast_len(frames, real=True)
    bins = np.unique(np.round(np.exp(rng.uniform(np.log(low), np.log(high), count)) * size / SR).astype(int))
    spectrum = np.zeros(size // 2 + 1, dtype=np.complex64)
    spectrum[bins] = np.exp(1j * rng.uniform(0, 2 * np.pi, bins.shape[0]))
    wave = sp_fft.irfft(spectrum, size)[:frames]
    return np.asarray(wave / max(float(np.sqrt(np.mean(wave**2))), 1e-12), dtype=np.float32)


# Kick pitch per kit (Hz): fixed, between 45 and 60 Hz — never tuned to the tonic, so it cannot pull the key.
KICK_HZ = (50.0, 55.0, 47.0, 58.0, 52.0, 45.0)


@lru_cache(maxsize=256)
def drum(voice: str, tonic_pc: int, kit: int, variant: int = 0) -> Mono:
    """One hit of a drum ``voice``; ``kit`` varies the timbre, ``variant`` (0–3) the hit (no two hits identical).

    Toms and rims are tuned to the key (``tonic_pc``); the kick is not. Every hit decays and then fades to true
    zero before it ends.
    """
    seed = 1000 * kit + sum(map(ord, voice)) + 97 * (variant % 2)  # two noise takes per voice, cached
    vary = 1.0 + 0.015 * (variant - 1.5)  # ±2 % pitch and length from hit to hit
    low = midi_to_hz(36 + tonic_pc)  # the tonic between 65 and 124 Hz, for toms
    soft = kit % 2
    if voice == "kick":
        kick_hz = KICK_HZ[kit % len(KICK_HZ)] * vary
        n = int(SR * 0.55)
        body = _sweep(n, 150 + 40 * soft + 10 * (kit % 3), kick_hz, 0.03) * _decay(n, (0.11 if soft else 0.15) * vary)
        click = _noise(n, seed, 1500.0, 9000.0) * _decay(n, 0.0025) * (0.18 if soft else 0.3)
        return _finish(np.tanh(1.3 * (body + click)) / np.float32(np.tanh(1.3)))
    if voice in ("snare", "ghost", "gated"):
        n = int(SR * (0.45 if voice == "gated" else 0.3))
        noise = _noise(n, seed, 1800.0, 12_000.0) * 0.45
        shell = _sweep(n, 330 * vary, 185 * vary, 0.012)
        hit = 0.7 * noise * _decay(n, 0.07 * vary) + 0.45 * shell * _decay(n, 0.045)
        if voice == "gated":  # big 80s snare: a noisy tail held open, then shut quickly (not cut)
            gate = np.clip((0.3 * SR - np.arange(n)) / (0.02 * SR), 0.0, 1.0).astype(np.float32)
            hit = hit + 0.3 * noise * gate * _decay(n, 0.6)
        return _finish(hit * np.float32(0.4 if voice == "ghost" else 1.0))
    if voice == "clap":
        n = int(SR * 0.35)
        noise = _noise(n, seed, 1000.0, 10_000.0) * 0.5
        bursts = np.zeros(n, dtype=np.float32)
        for delay_s in (0.0, 0.011, 0.022):  # three hands, a few milliseconds apart
            bursts += np.roll(_decay(n, 0.006), int(SR * delay_s))
        bursts[: int(SR * 0.022)] *= np.minimum(1.0, np.arange(int(SR * 0.022)) / 8.0)
        return _finish(noise * (0.6 * bursts + 0.5 * np.roll(_decay(n, 0.08 * vary), int(SR * 0.022))))
    if voice in ("hat", "roll", "pedal", "shaker"):
        n = int(SR * 0.14)
        length = {"hat": 0.025, "roll": 0.016, "pedal": 0.03, "shaker": 0.035}[voice] * vary
        env = _decay(n, length, 0.008 if voice == "shaker" else 0.0005)
        if voice == "shaker":
            sound = _noise(n, seed, 5000.0, 14_000.0) * 0.35
        else:
            sound = 0.22 * _metal(n, seed, 6000.0, 13_000.0) + 0.2 * _noise(n, seed, 7000.0, 15_000.0)
        return _finish(sound * env * np.float32(1.4 if voice != "pedal" else 0.7))
    if voice in ("ohat", "ride", "crash"):
        length = {"ohat": 0.16, "ride": 0.5, "crash": 1.1}[voice] * vary
        n = int(SR * length * 3.5)
        level = {"ohat": 0.35, "ride": 0.2, "crash": 0.3}[voice]
        metal = _metal(n, seed, 3500.0 if voice == "ride" else 4500.0, 12_500.0, 20)
        sound = 0.6 * metal + 0.5 * _noise(n, seed, 4000.0, 14_000.0)
        if voice == "ride":  # the bell of the ride: a clear ping
            sound = sound + 0.6 * _sweep(n, 2400.0, 2400.0, 1.0) * _decay(n, 0.2)
        return _finish(sound * _decay(n, length) * np.float32(level))
    if voice == "brush":
        n = int(SR * 0.3)
        return _finish(_noise(n, seed, 1500.0, 9000.0) * _decay(n, 0.08 * vary, 0.02) * np.float32(0.3))
    if voice == "rim":
        n = int(SR * 0.1)
        return _finish(
            0.5 * _sweep(n, 1700 * vary, 1700 * vary, 1.0) * _decay(n, 0.012)
            + 0.15 * _noise(n, seed, 2000.0) * _decay(n, 0.004)
        )
    if voice in ("tom", "lowtom"):
        n = int(SR * 0.8)
        pitch = (low * 1.5 if voice == "tom" else low) * vary
        body = _sweep(n, pitch * 1.6, pitch, 0.04) * _decay(n, 0.16 if voice == "tom" else 0.2)
        return _finish(body + 0.1 * _noise(n, seed, 500.0, 8000.0) * _decay(n, 0.02))
    if voice == "impact":
        n = int(SR * 3.0)
        boom = _sweep(n, 140.0, 48.0, 0.08) * _decay(n, 0.5)
        return _finish(boom + 0.15 * _noise(n, seed, 200.0, 10_000.0) * _decay(n, 0.5, 0.002))
    raise ValueError(voice)


def crackle(frames: int, seed: int) -> Mono:
    """Vinyl surface noise: sparse clicks over a faint hiss."""
    rng = np.random.default_rng(seed)
    out = _noise(frames, seed + 1, 3000.0, 12_000.0) * np.float32(0.012)
    count = int(frames / SR * 18)
    where = rng.integers(0, frames - 2, count)
    size = (rng.random(count) ** 3 * 0.9 + 0.05).astype(np.float32) * np.where(rng.random(count) < 0.5, -1, 1)
    out[where] += size
    out[where + 1] -= size * 0.6
    return out


def riser(frames: int, seed: int) -> Mono:
    """A noise swell that brightens and grows towards its end (a build into a drop)."""
    t = np.linspace(0.0, 1.0, frames, dtype=np.float32)
    dark, bright = _noise(frames, seed, 200.0, 2000.0), _noise(frames, seed + 7, 1500.0, 12_000.0)
    return ((dark * (1 - t) + bright * t) * t**2 * 0.2).astype(np.float32)

"""Drum and tone synthesis: each distinct sound is made once (cached) and placed many times by the mixer.

Tones read band-limited wavetables (one period built by inverse FFT from a harmonic recipe), so a note costs a
few vector operations whatever its timbre. Drums: the kick has a fixed pitch per kit (45–60 Hz) and a click
transient, cymbals are inharmonic metal partials plus band-limited noise, and every hit fades to true zero.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from engines.dsp import lfilter, next_fast_len
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
    "spiccato": ("saw", 5.0, 0.006, 0.12, 0.2, 0.06, 1400.0, 0.3),  # short bowed strings for ostinatos
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
    # in place, one buffer: (n·f/SR + phase)·4096 is exactly n·f/SR·4096 + phase·4096 (a power of two)
    cycles = np.arange(frames, dtype=np.float64)
    cycles *= freq / SR
    cycles += phase
    cycles *= _TABLE
    index = cycles.astype(np.int64)
    index &= _TABLE - 1
    return np.asarray(table[index], dtype=np.float32)


def envelope(frames: int, attack: float, decay: float, sustain: float, gate: int, release: float) -> Mono:
    """Attack ramp, exponential decay towards ``sustain``, and a release after ``gate`` frames; starts at 0."""
    t = np.arange(frames, dtype=np.float32) / SR
    env = t - attack  # sustain + (1 − sustain)·exp(−max(t − attack, 0) / decay), computed in place
    np.maximum(env, 0.0, out=env)
    np.negative(env, out=env)
    env /= max(decay, 1e-3)
    np.exp(env, out=env)
    env *= 1.0 - sustain
    env += sustain
    t /= max(attack, 1e-4)
    env *= np.minimum(1.0, t, out=t)
    if gate < frames:
        tail = np.arange(frames - gate, dtype=np.float32) / SR
        env[gate:] *= np.exp(-tail * (5.0 / max(release, 1e-3)))
    return env.astype(np.float32, copy=False)


@lru_cache(maxsize=1024)
def tone(sound: str, midi: int, gate: int, brightness: float, voice: int = 0) -> Mono:
    """A note of ``sound`` held for ``gate`` frames plus its release; ``voice`` picks a detune for width."""
    if sound in MODELS:  # a model note is cut from a longer cached take, then released after the gate
        release = _MODEL_RELEASE[sound]
        frames = gate + int(release * SR)
        bucket = next((b for b in _BUCKETS if b >= frames), frames)
        take = _model_take(sound, midi, bucket, round(brightness, 1), voice % 2)
        return np.asarray(take[:frames] * _release_env(frames, gate, 0.0, release), dtype=np.float32)
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
    return (body * envelope(frames, attack, decay, sustain, gate, release)).astype(np.float32, copy=False)


# --- physical and spectral models -------------------------------------------------------------------------------


def _time(frames: int) -> npt.NDArray[np.float64]:
    return np.arange(frames, dtype=np.float64) / SR


def _vibrato_phase(
    freq: float, frames: int, cents: float, rate: float, delay: float, seed: int
) -> npt.NDArray[np.float64]:
    """Cycles elapsed at each frame for ``freq`` with a vibrato that fades in after ``delay`` seconds.

    The integral of freq · (1 + depth(t) · sin(ωt + φ)) in closed form, depth(t) taken as locally constant (it
    ramps over 0.4 s, against a vibrato cycle of ~0.2 s: under 2 cents off while it fades in), so no running sum
    over the note is needed; the vibrato term is small and computed in float32, the carrier's cycles in float64.
    """
    rng = np.random.default_rng(seed)
    omega = 2 * np.pi * rate * (1 + 0.05 * rng.standard_normal())
    phi = rng.uniform(0, 6.3)
    start = rng.uniform()
    t32 = np.arange(frames, dtype=np.float32) / np.float32(SR)
    depth = np.clip((t32 - np.float32(delay)) / np.float32(0.4), 0.0, 1.0) * np.float32(freq * cents / 1200 * np.log(2))
    swing = np.float32(np.cos(phi)) - np.cos(t32 * np.float32(omega) + np.float32(phi))
    cycles = np.arange(frames, dtype=np.float64) * (freq / SR) + start
    cycles += depth * swing / np.float32(omega)
    return cycles


def _read(table: Mono, cycles: npt.NDArray[np.float64]) -> Mono:
    return np.asarray(table[(cycles * _TABLE).astype(np.int64) & (_TABLE - 1)], dtype=np.float32)


@lru_cache(maxsize=256)
def _formant_table(midi: int, vowel: str) -> Mono:
    """One period of a voiced "aah"/"ooh": harmonics weighted by three vocal formants (a choir or a fiddle body)."""
    freq = midi_to_hz(midi)
    count = max(1, min(64, int(SR * 0.42 / freq)))
    k = np.arange(1, count + 1, dtype=np.float64)
    formants = {"a": ((700, 130, 1.0), (1150, 160, 0.5), (2700, 250, 0.25)),
                "o": ((450, 100, 1.0), (800, 120, 0.45), (2600, 250, 0.12)),
                "body": ((280, 120, 0.8), (1000, 300, 1.0), (2800, 700, 0.6))}[vowel]  # fmt: skip
    amps = 0.15 / k
    for centre, width, level in formants:
        amps = amps + level / k**0.5 * np.exp(-0.5 * ((k * freq - centre) / width) ** 2)
    spectrum = np.zeros(_TABLE // 2 + 1, dtype=np.complex128)
    spectrum[1 : count + 1] = amps * -1j * _TABLE / 2
    table = np.fft.irfft(spectrum, _TABLE)
    return np.asarray(table / np.abs(table).max(), dtype=np.float32)


def _release_env(frames: int, gate: int, attack: float, release: float, decay: float = 0.0) -> Mono:
    """1 after an ``attack`` ramp (optionally settling by a quarter over ``decay`` s), then a cos² release."""
    env = np.ones(frames, dtype=np.float32)
    if attack > 0:
        ramp = min(frames, int(attack * SR) + 1)
        env[:ramp] = np.arange(ramp, dtype=np.float32) / np.float32(attack * SR)
    if decay:
        env *= (0.75 + 0.25 * np.exp(-np.arange(frames, dtype=np.float32) / np.float32(decay * SR))).astype(np.float32)
    if gate < frames:
        tail = np.clip(np.arange(frames - gate, dtype=np.float32) / np.float32(max(release, 1e-3) * SR), 0.0, 1.0)
        env[gate:] *= np.cos(tail * np.float32(np.pi / 2)) ** 2
    return np.minimum(env, 1.0)


_PHASOR_BLOCK = 512


def _phasor(freq: float, frames: int, phase: float = 0.0, decay: float = 0.0) -> npt.NDArray[np.complex64]:
    """exp((−1/decay + i·2π·freq)·t + i·phase) for ``frames`` samples (``decay`` 0: undamped), complex64.

    Built as the outer product of a coarse (every 512 frames, computed in float64 from the absolute time, so long
    notes keep their pitch and phase) and a fine (within a block) phasor: one complex multiply per sample instead
    of a sine, and the exponential decay of a struck partial comes free.
    """
    rate = complex(-1.0 / (decay * SR) if decay else 0.0, 2 * np.pi * freq / SR)
    blocks = -(-frames // _PHASOR_BLOCK)
    coarse = np.exp(rate * _PHASOR_BLOCK * np.arange(blocks) + 1j * phase).astype(np.complex64)
    fine = np.exp(rate * np.arange(_PHASOR_BLOCK)).astype(np.complex64)
    out: npt.NDArray[np.complex64] = (coarse[:, None] * fine[None, :]).reshape(-1)[:frames]
    return out


def _sine(freq: float, frames: int, phase: float = 0.0) -> Mono:
    """sin(2π·freq·t + phase) in float32 (the imaginary part of a :func:`_phasor`)."""
    return np.ascontiguousarray(_phasor(freq, frames, phase).imag)


def _ensemble(
    midi: int, gate: int, table_of: str, voices: int, cents: float, vib: float, attack: float, release: float, seed: int
) -> Mono:
    """Additive ensemble: ``voices`` detuned copies of a formant or saw table, each with its own vibrato."""
    frames = gate + int(release * SR)
    freq = midi_to_hz(midi)
    out = np.zeros(frames, dtype=np.float32)
    for v in range(voices):
        detune = 2 ** ((v - (voices - 1) / 2) * cents / 1200)
        table = _formant_table(midi, table_of) if table_of in ("a", "o", "body") else _table("saw", midi, 2600.0)
        out += _read(table, _vibrato_phase(freq * detune, frames, vib, 5.2 + 0.3 * v, 0.25, seed + v))
    return out * _release_env(frames, gate, attack, release) / np.float32(np.sqrt(voices))


def strings(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A string section: 3 detuned saw voices with delayed vibrato, slow bow attack."""
    return _ensemble(midi, gate, "saw", 3, 9.0, 14.0, 0.35, 0.6, 31 * midi + voice)


def choir(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A choir pad: 4 "aah" voices (formant additive), detuned, with vibrato."""
    return _ensemble(midi, gate, "a" if voice % 2 == 0 else "o", 4, 12.0, 18.0, 0.45, 0.8, 17 * midi + voice)


def fiddle(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A solo fiddle: one bowed voice with a wooden body resonance and expressive vibrato."""
    return _ensemble(midi, gate, "body", 1, 0.0, 22.0, 0.06, 0.2, 7 * midi + voice)


def brass(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """Brass: a saw whose filter opens with the breath (a filter envelope from dark to bright) and a little vibrato."""
    frames = gate + int(0.25 * SR)
    freq = midi_to_hz(midi)
    cycles = _vibrato_phase(freq, frames, 10.0, 5.0, 0.35, midi)
    dark, bright = _table("saw", midi, 500.0), _table("saw", midi, 900.0 + 3500.0 * brightness)
    t = _time(frames)
    opening = np.asarray(np.clip(t / 0.08, 0, 1) * (0.7 + 0.3 * np.exp(-t / 0.3)), dtype=np.float32)
    body = _read(dark, cycles) * (1 - opening) + _read(bright, cycles) * opening
    return np.asarray(body * _release_env(frames, gate, 0.04, 0.2, 0.6), dtype=np.float32)


def _karplus(freq: float, frames: int, decay: float, brightness: float, seed: int, pick: float = 0.5) -> Mono:
    """Karplus-Strong plucked string: a noise burst circulating in a delay line with a damping low-pass.

    The loop filter has 4 taps whose delay carries the fractional part of the period, so the string is in tune.
    """
    period = SR / freq
    n = max(2, int(period) - 1)
    d = period - n - 1.0  # fractional extra delay in [0, 1)
    base = np.array([0.25, 0.5, 0.25, 0.0])
    loop = (1 - d) * base + d * np.roll(base, 1)
    damping = float(np.exp(-6.9 * period / SR / max(decay, 1e-3)))
    rng = np.random.default_rng(seed)
    burst = rng.uniform(-1, 1, n + 3)
    smooth = 0.2 + 0.45 * brightness  # a softer pick is a darker burst
    burst = lfilter([smooth], [1.0, -(1.0 - smooth)], burst).astype(np.float64)
    # pick position: a comb notch, as where the string is plucked
    offset = max(1, int(pick * n * 0.25))
    burst[offset:] -= 0.6 * burst[:-offset]
    frames_in = frames
    frames = min(frames, int(2.5 * SR))  # past 2.5 s a plucked string has died away: the rest is silence
    # y[t] = burst[t] + damping · Σ_j loop[j] · y[t − n − j], solved in the frequency domain. The sequence is
    # weighted by a^t first (a^size = −80 dB), which makes the FFT's circular wrap-around negligible.
    size = next_fast_len(frames + n + 8)
    a = 10.0 ** (-4.0 / size)
    weights = a ** np.arange(size, dtype=np.float64)
    weighted = np.zeros(size)
    weighted[: burst.shape[0]] = burst * weights[: burst.shape[0]]
    bins = np.arange(size // 2 + 1) / size
    zinv = np.exp(-2j * np.pi * bins)
    tail = ((loop[3] * a * zinv + loop[2]) * a * zinv + loop[1]) * a * zinv + loop[0]  # Horner in a·z⁻¹
    feedback = a**n * np.exp(-2j * np.pi * bins * n) * tail
    y = np.fft.irfft(np.fft.rfft(weighted) / (1.0 - damping * feedback), size)[:frames] / weights[:frames]
    out = np.zeros(frames_in, dtype=np.float32)
    out[:frames] = y / max(float(np.abs(y).max()), 1e-9)
    if frames < frames_in:  # fade the last 50 ms of the computed part, so the silence after it is reached smoothly
        fade = int(0.05 * SR)
        out[frames - fade : frames] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return out


def guitar(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A plucked (nylon/steel) guitar string by Karplus-Strong, damped after the gate."""
    frames = gate + int(0.15 * SR)
    out = _karplus(midi_to_hz(midi), frames, 2.5, 0.4 + 0.5 * brightness, 11 * midi + voice, 0.3)
    return np.asarray(out * _release_env(frames, gate, 0.001, 0.12), dtype=np.float32)


def power_guitar(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """An overdriven electric guitar note: a bright Karplus-Strong string through a soft clipper."""
    frames = gate + int(0.08 * SR)
    string = _karplus(midi_to_hz(midi), frames, 3.0, 0.8, 13 * midi + voice, 0.15)
    driven = np.tanh(2.5 * string) / np.tanh(2.5)
    # the clipper's harmonics mostly sit below the pick's band, but tame the top like a guitar cabinet would
    smoothed = 0.5 * driven + 0.5 * np.concatenate([[0.0], driven[:-1]])
    return np.asarray(smoothed * _release_env(frames, gate, 0.002, 0.06) * 0.8, dtype=np.float32)


def pick_bass(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A picked electric bass string (Karplus-Strong), muted after the gate."""
    frames = gate + int(0.06 * SR)
    out = _karplus(midi_to_hz(midi), frames, 1.8, 0.55, 5 * midi + voice, 0.2)
    return np.asarray(out * _release_env(frames, gate, 0.002, 0.05), dtype=np.float32)


def slap_bass(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A slapped bass: a bright, fast-decaying Karplus-Strong string with a thumb transient."""
    frames = gate + int(0.05 * SR)
    out = _karplus(midi_to_hz(midi), frames, 0.9, 0.9, 3 * midi + voice, 0.1)
    t = _time(frames)
    thump = np.sin(2 * np.pi * midi_to_hz(midi) * 2 * t) * np.exp(-t / 0.015)
    return np.asarray((out + 0.4 * thump) * _release_env(frames, gate, 0.001, 0.04) / 1.3, dtype=np.float32)


def epiano(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """An electric piano by FM: a 1:1 carrier/modulator whose index decays (the bark fades) plus a tine ping."""
    frames = gate + int(0.35 * SR)
    freq = midi_to_hz(midi)
    t = np.arange(frames, dtype=np.float32) / np.float32(SR)
    index = np.float32(0.6 + 1.6 * brightness) * np.exp(-t / np.float32(0.35)) + np.float32(0.15)
    # 1:1 FM: sin(c + I·sin c) = sin c · cos(I·sin c) + cos c · sin(I·sin c), with c's sine and cosine from one
    # phasor (float32 throughout, no phase wrapping in float64)
    carrier = _phasor(freq, frames)
    sin_c, cos_c = carrier.imag, carrier.real
    bend = index * sin_c
    body = sin_c * np.cos(bend) + cos_c * np.sin(bend)
    if freq * 7 < 15_000:
        ping = min(frames, int(0.2 * SR))
        body[:ping] += np.float32(0.25) * _phasor(freq * 7.0, ping, 0.0, 0.03).imag
    env = np.exp(-t / np.float32(1.6)) * _release_env(frames, gate, 0.002, 0.3)
    return np.asarray(body * env, dtype=np.float32)


def bell(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A struck bell / glockenspiel bar as a modal model: partials with their own frequencies and decay times."""
    frames = gate + int(1.2 * SR)
    freq = midi_to_hz(midi)
    t = np.arange(frames, dtype=np.float32) / np.float32(SR)
    out = np.zeros(frames, dtype=np.float32)
    for ratio, level, decay in ((1.0, 1.0, 1.4), (2.0, 0.45, 0.9), (3.0, 0.25, 0.5), (4.16, 0.12, 0.3),
                                (5.43, 0.08, 0.2), (0.5, 0.15, 1.0)):  # fmt: skip
        if freq * ratio < 15_000:  # a damped partial: the imaginary part of a decaying phasor
            out += np.float32(level) * _phasor(freq * ratio, frames, 0.0, decay).imag
    out *= np.minimum(np.float32(1.0), t / np.float32(0.001))
    tail = np.clip((t - np.float32(gate / SR + 0.8)) / np.float32(0.4), 0.0, 1.0)
    return np.asarray(out * np.cos(tail * np.float32(np.pi / 2)) ** 2 / np.float32(1.6), dtype=np.float32)


def piano(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A piano: two slightly detuned strings whose brightness decays (a filter envelope), a two-stage decay and a
    hammer knock; the damper ends the note after the gate."""
    frames = gate + int(0.3 * SR)
    freq = midi_to_hz(midi)
    t = _time(frames)
    bright, dark = _table("piano", midi, 2000.0 + 5000.0 * brightness), _table("piano", midi, 900.0)
    timbre = np.asarray(np.exp(-t / (0.25 + 0.1 * (84 - midi) / 40)), dtype=np.float32)
    out = np.zeros(frames, dtype=np.float32)
    for cents, phase in ((-1.2, 0.0), (1.2, 0.31)):
        cycles = freq * 2 ** (cents / 1200) * t + phase
        out += _read(bright, cycles) * timbre + _read(dark, cycles) * (1 - timbre)
    length = 2.5 * (1.0 + (72 - midi) / 36)  # low notes ring longer
    env = 0.65 * np.exp(-t / 0.18) + 0.35 * np.exp(-t / max(length, 0.6))
    knock = _noise(frames, midi, 400.0, 4000.0) * np.exp(-t / 0.004).astype(np.float32) * 0.05
    return np.asarray((out * 0.5 * env + knock) * _release_env(frames, gate, 0.002, 0.2), dtype=np.float32)


def piano_bass(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """The piano's left hand."""
    return piano(midi, gate, brightness * 0.7, voice)


def wobble(midi: int, gate: int, brightness: float, voice: int) -> Mono:
    """A dubstep wobble: a saw bass through a resonant low-pass swept by an LFO (two sweeps per note).

    The sweep reads a bank of band-limited tables, each low-passed at its own cutoff with a resonant peak at the
    cutoff, cross-faded frame by frame: a resonant filter sweep at table-lookup cost.
    """
    frames = gate + int(0.05 * SR)
    freq = midi_to_hz(midi)
    t = _time(frames)
    cutoffs = np.geomspace(150.0, 3000.0, 8)
    tables = [_resonant_table(midi, float(c)) for c in cutoffs]
    lfo = 0.5 - 0.5 * np.cos(2 * np.pi * t * 2.0 / max(gate / SR, 0.1))
    position = lfo * (len(tables) - 1)
    low = np.minimum(position.astype(int), len(tables) - 2)
    frac = np.asarray(position - low, dtype=np.float32)
    cycles = freq * t
    stack = np.stack([_read(table, cycles) for table in tables])
    index = np.arange(frames)
    body = stack[low, index] * (1 - frac) + stack[low + 1, index] * frac
    sub = np.sin(2 * np.pi * cycles).astype(np.float32)
    growl = np.tanh(np.float32(2.0) * body) / np.float32(np.tanh(2.0))  # driven: the growl's upper harmonics
    return np.asarray((0.6 * growl + 0.6 * sub) * _release_env(frames, gate, 0.003, 0.04), dtype=np.float32)


@lru_cache(maxsize=256)
def _resonant_table(midi: int, cutoff: float) -> Mono:
    """A saw period through a 2-pole low-pass at ``cutoff`` with a resonant bump (Q ≈ 4) there."""
    freq = midi_to_hz(midi)
    count = max(1, min(64, int(SR * 0.42 / freq)))
    k = np.arange(1, count + 1, dtype=np.float64)
    f = k * freq
    amps = (
        1.0 / k / np.sqrt(1.0 + (f / cutoff) ** 4) * (1.0 + 3.0 * np.exp(-0.5 * ((f - cutoff) / (0.15 * cutoff)) ** 2))
    )
    spectrum = np.zeros(_TABLE // 2 + 1, dtype=np.complex128)
    spectrum[1 : count + 1] = amps * -1j * _TABLE / 2
    table = np.fft.irfft(spectrum, _TABLE)
    return np.asarray(table / np.abs(table).max(), dtype=np.float32)


_MODEL_RELEASE = {"strings": 0.6, "choir": 0.8, "fiddle": 0.2, "brass": 0.2, "guitar": 0.12, "power_guitar": 0.06,
                  "pick_bass": 0.05, "slap_bass": 0.04, "epiano": 0.3, "rhodes": 0.3, "bell": 1.2, "piano": 0.25,
                  "piano_bass": 0.25, "wobble": 0.04}  # fmt: skip
_BUCKETS = tuple(int(SR * seconds) for seconds in (0.25, 0.5, 1.0, 2.0, 4.0))


@lru_cache(maxsize=192)  # ≤ 4.25 s each: bounded memory
def _model_take(sound: str, midi: int, frames: int, brightness: float, voice: int) -> Mono:
    """A long note of a model instrument, made once and cut to each length it is played at."""
    return MODELS[sound](midi, frames, brightness, voice)


MODELS = {
    "strings": strings,
    "choir": choir,
    "fiddle": fiddle,
    "brass": brass,
    "guitar": guitar,
    "power_guitar": power_guitar,
    "pick_bass": pick_bass,
    "slap_bass": slap_bass,
    "epiano": epiano,
    "rhodes": epiano,
    "bell": bell,
    "piano": piano,
    "piano_bass": piano_bass,
    "wobble": wobble,
}


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
    return _shaped_noise(next_fast_len(frames), seed, highpass, lowpass)[:frames]


@lru_cache(maxsize=128)
def _shaped_noise(size: int, seed: int, highpass: float, lowpass: float) -> Mono:
    white = np.random.default_rng(seed).standard_normal(size).astype(np.float32)
    freqs = np.fft.rfftfreq(size, 1 / SR).astype(np.float32)
    shape = 1.0 / np.sqrt(1.0 + (freqs / np.float32(lowpass)) ** 8)
    if highpass:
        ratio = (freqs / np.float32(highpass)) ** 2
        shape *= ratio / np.sqrt(1.0 + ratio**2)
    shaped = np.fft.irfft(np.fft.rfft(white) * shape, size)
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
    out = (sound * fade).astype(np.float32, copy=False)
    out[-1] = 0.0
    return out


@lru_cache(maxsize=32)
def _metal(frames: int, seed: int, low: float, high: float, count: int = 14) -> Mono:
    """Cymbal metal: many inharmonic sine partials between ``low`` and ``high`` Hz with random phases, unit RMS.

    Built as spectral lines and one inverse FFT (cheap for long crashes); cached per kit.
    """
    rng = np.random.default_rng(seed)
    size = next_fast_len(frames)
    bins = np.unique(np.round(np.exp(rng.uniform(np.log(low), np.log(high), count)) * size / SR).astype(int))
    spectrum = np.zeros(size // 2 + 1, dtype=np.complex64)
    spectrum[bins] = np.exp(1j * rng.uniform(0, 2 * np.pi, bins.shape[0]))
    wave = np.fft.irfft(spectrum, size)[:frames]
    return np.asarray(wave / max(float(np.sqrt(np.mean(wave**2))), 1e-12), dtype=np.float32)


# Kick pitch per kit (Hz): fixed, between 45 and 60 Hz — never tuned to the tonic, so it cannot pull the key.
KICK_HZ = (50.0, 55.0, 47.0, 58.0, 52.0, 45.0)


@lru_cache(maxsize=256)
def drum(voice: str, tonic_pc: int, kit: int, variant: int = 0) -> Mono:
    """One hit of a drum ``voice``; ``kit`` varies the timbre, ``variant`` (0–3) the hit (no two hits identical).

    Kicks, toms and rims are tuned to the key (``tonic_pc``). Every hit decays and then fades to true
    zero before it ends.
    """
    seed = 1000 * kit + sum(map(ord, voice)) + 97 * (variant % 2)  # two noise takes per voice, cached
    vary = 1.0 + 0.015 * (variant - 1.5)  # ±2 % pitch and length from hit to hit
    low = midi_to_hz(36 + tonic_pc)  # the tonic between 65 and 124 Hz, for toms
    soft = kit % 2
    if voice == "kick":
        # tuned to the key as producers tune a kick: the tonic or the fifth from F1 to B1 (43.7–61.7 Hz) nearest the
        # kit's own pitch; a fixed 52 Hz kick was a loud G#1 under every beat, heard as part of the harmony
        kit_midi = 69.0 + 12.0 * np.log2(KICK_HZ[kit % len(KICK_HZ)] / 440.0)
        tuned = [m for m in range(29, 36) if m % 12 in (tonic_pc, (tonic_pc + 7) % 12)]
        kick_hz = midi_to_hz(min(tuned, key=lambda m: abs(m - kit_midi))) * vary
        n = int(SR * 0.55)
        body = _sweep(n, 150 + 40 * soft + 10 * (kit % 3), kick_hz, 0.03) * _decay(n, (0.11 if soft else 0.15) * vary)
        click = _noise(n, seed, 1500.0, 9000.0) * _decay(n, 0.0025) * (0.18 if soft else 0.3)
        return _finish(np.asarray(np.tanh(1.3 * (body + click)) / np.tanh(1.3), dtype=np.float32))
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
            sound = 0.11 * _metal(n, seed, 6000.0, 12_000.0) + 0.1 * _noise(n, seed, 6000.0, 13_000.0)
        return _finish(sound * env * np.float32(1.4 if voice != "pedal" else 0.7))
    if voice in ("ohat", "ride", "crash"):
        length = {"ohat": 0.16, "ride": 0.5, "crash": 1.1}[voice] * vary
        n = int(SR * length * 3.5)
        level = {"ohat": 0.18, "ride": 0.12, "crash": 0.16}[voice]
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

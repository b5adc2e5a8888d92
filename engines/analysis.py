"""Listening to a clip: tempo, key, loudness, energy and brightness of any audio or video, plus a small picture.

Everything here is numpy (and ffmpeg for decoding, Pillow for the picture). A runtime dependency on librosa or
essentia would pull numba/LLVM or a C++ build into the bot's image for two estimates that fit in a page; the
estimates are instead checked against ground truth in the tests — synth tracks rendered at known tempos and keys
(``tests/engines/test_analysis.py``) — and ``make bench`` prints the accuracy.

Methods, briefly:
- tempo: a log-magnitude spectral-flux onset envelope (≈ 86 frames/s), its autocorrelation, and a comb over the
  first beats (every multiple of a candidate beat period within 8 s) scored on a 0.05 BPM grid, weighted by a
  log-normal tempo prior around 120 BPM (as in Ellis 2007 / librosa's ``tempo``);
- key: a 12-bin chroma of a 2.7 Hz-resolution spectrum (55 Hz – 2 kHz, each frame scaled to its peak),
  correlated with the 24 rotations of the Krumhansl–Kessler major and minor profiles;
- loudness: BS.1770 integrated loudness from :mod:`engines.loudness`;
- energy: RMS per second; its level and whether it rises, falls or stays;
- brightness: the mean spectral centroid.

Errors (each has ``key``, the user text to show, and a safe ``str``)::

    AnalysisError       base
    ├── NotAudio        the file has no audio stream (a picture, a text, a silent video)
    ├── Undecodable     ffmpeg could not read it at all
    └── Silent          it decodes, but there is nothing to hear
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engines.ffmpeg import ffmpeg_exe
from engines.loudness import integrated_lufs

F64 = npt.NDArray[np.float64]

RATE = 22_050  # analysis sample rate: plenty for tempo, key and a centroid, and half the work of 44.1 kHz
MAX_SECONDS = 180.0  # only the first three minutes are analysed
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_HOP = 512  # onset envelope hop: 43 frames/s at 22.05 kHz; the comb interpolates between frames
_FLUX_FFT = 1024
_CHROMA_FFT = 8192
_MIN_BPM, _MAX_BPM = 40.0, 240.0
_DECODE_S = 60.0  # a pathological file must not hold a worker thread for ever
_SILENCE_DBFS = -60.0
_STRONG_ONSET = 2.0  # log-flux units (see onset_envelope)
_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\S+.*?:\s*(Audio|Video):\s*([^\n]*)")


class AnalysisError(Exception):
    """Base of the analyser's refusals; ``key`` names the user text."""

    key = "listen.undecodable"


class NotAudio(AnalysisError):
    """There is no sound in this file to analyse."""

    key = "listen.not_audio"


class Undecodable(AnalysisError):
    """ffmpeg could not read the file."""

    key = "listen.undecodable"


class Silent(AnalysisError):
    """The file decodes but is silent."""

    key = "listen.silent"


@dataclass(frozen=True, slots=True)
class Decoded:
    """Mono (for the estimates) and the original channel layout (for loudness), at :data:`RATE`."""

    samples: npt.NDArray[np.float32]  # (frames, channels), channels 1 or 2
    duration: float  # the whole media's length in seconds (it may be longer than what was decoded)
    has_video: bool


@dataclass(frozen=True, slots=True)
class Features:
    """What the analyser heard; ``description`` is the one-line summary."""

    duration: float  # seconds of the whole media
    analysed_seconds: float
    has_video: bool
    bpm: float
    tempo_confidence: float  # 0..1
    key: str  # "A minor"
    key_confidence: float  # correlation with the best profile, −1..1
    lufs: float
    energy: str  # low | medium | high
    onset_rate: float  # strong onsets per second
    energy_shape: str  # steady | rising | falling
    energy_curve: tuple[float, ...]  # RMS per second, 0..1 of the loudest second
    brightness_hz: float
    brightness: str  # dark | warm | bright
    description: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready features."""
        values = asdict(self)
        values["energy_curve"] = [round(v, 3) for v in self.energy_curve]
        return values


# --- decoding ---------------------------------------------------------------------------------------------------


def decode(path: Path, max_seconds: float = MAX_SECONDS) -> Decoded:
    """Decode the first ``max_seconds`` of any audio or video file with ffmpeg (blocking)."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-t", f"{max_seconds:g}", "-vn",
               "-ac", "2", "-ar", str(RATE), "-f", "f32le", "pipe:1"]  # fmt: skip
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=_DECODE_S)
    except subprocess.TimeoutExpired:
        raise Undecodable(f"ffmpeg took over {_DECODE_S:g} s") from None
    log = proc.stderr.decode(errors="replace")
    streams = _STREAM.findall(log)
    audio = [detail for kind, detail in streams if kind == "Audio"]
    has_video = any(kind == "Video" and "attached pic" not in detail for kind, detail in streams)
    if not audio:
        if streams or "does not contain any stream" in log or "Output file #0 does not contain" in log:
            raise NotAudio("no audio stream")
        raise Undecodable(log.strip()[-300:] or f"ffmpeg exited with {proc.returncode}")
    if proc.returncode != 0 or not proc.stdout:
        raise Undecodable(log.strip()[-300:] or f"ffmpeg exited with {proc.returncode}")
    stereo = np.frombuffer(proc.stdout[: len(proc.stdout) // 8 * 8], dtype=np.float32).reshape(-1, 2)
    mono_source = re.search(r"\bmono\b|\b1 channels\b", audio[0]) is not None
    samples = np.ascontiguousarray(stereo[:, :1] if mono_source else stereo)
    found = _DURATION.search(log)
    duration = int(found[1]) * 3600 + int(found[2]) * 60 + float(found[3]) if found else samples.shape[0] / float(RATE)
    return Decoded(samples, max(duration, samples.shape[0] / float(RATE)), has_video)


def decode_bytes(data: bytes, max_seconds: float = MAX_SECONDS) -> Decoded:
    """:func:`decode` for bytes in memory: they touch the disk only for the decode, then are deleted."""
    # A temporary file, not a pipe: MP4/MOV keep their index at the end, which ffmpeg cannot seek to in a pipe.
    handle, name = tempfile.mkstemp(prefix="listen-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        return decode(Path(name), max_seconds)
    finally:
        os.unlink(name)


# --- the estimates ----------------------------------------------------------------------------------------------


def _frames(signal: npt.NDArray[np.float32], size: int, hop: int) -> npt.NDArray[np.float32]:
    """Hann-windowed frames of ``signal`` (zero-padded at the end), shape (n, size)."""
    count = max(1, 1 + (signal.shape[0] - size + hop - 1) // hop)
    padded = np.zeros((count - 1) * hop + size, dtype=np.float32)
    padded[: signal.shape[0]] = signal[: padded.shape[0]]
    view = np.lib.stride_tricks.sliding_window_view(padded, size)[::hop]
    return view * np.hanning(size).astype(np.float32)


def onset_envelope(mono: npt.NDArray[np.float32]) -> F64:
    """Half-wave rectified log-spectral flux per hop, with its slow trend removed.

    The log is taken relative to the clip's loudest band, so the scale is the same for a quiet and a loud take:
    a drum hit adds several units, a steady tone well under one.
    """
    spectrum = np.abs(np.fft.rfft(_frames(mono, _FLUX_FFT, _HOP), axis=1))
    bands = spectrum[:, : _FLUX_FFT // 2].reshape(spectrum.shape[0], 32, -1).sum(axis=2)  # 32 linear bands
    log = np.log1p(1000.0 * bands / max(float(bands.max()), 1e-12))
    flux = np.maximum(np.diff(log, axis=0), 0.0).sum(axis=1)
    local = np.convolve(flux, np.ones(16) / 16, mode="same")  # remove the slow trend of the envelope
    envelope: F64 = np.maximum(flux - local, 0.0).astype(np.float64)
    return envelope


def estimate_tempo(envelope: F64, fps: float) -> tuple[float, float]:
    """(BPM, confidence 0..1) from an onset envelope sampled at ``fps``."""
    n = envelope.shape[0]
    centred = envelope - envelope.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, size)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), size)[:n]
    ac /= max(float(ac[0]), 1e-12)
    horizon = min(n - 2, int(8.0 * fps))
    bpms = np.arange(_MIN_BPM, 2 * _MAX_BPM + 1e-9, 0.05)
    periods = 60.0 * fps / bpms
    # The comb: the mean autocorrelation at every multiple of the beat period within the horizon.
    multiples = np.arange(1, int(horizon / periods.min()) + 2)
    lags = periods[:, None] * multiples[None, :]
    inside = lags <= horizon
    values = np.interp(np.where(inside, lags, 0.0), np.arange(n), ac)
    score = (values * inside).sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    # A true beat's half period is periodic too (eighth notes); a beat at 2/3 or 3/2 of the tempo has no such
    # support, which is what tells 170 BPM from 113 BPM when the eighths are as strong as the beats.
    candidates = bpms <= _MAX_BPM
    doubled = np.interp(2.0 * bpms[candidates], bpms, score)
    combined = np.maximum(score[candidates], 0.0) + 0.5 * np.maximum(doubled, 0.0)
    bpms, score = bpms[candidates], score[candidates]
    prior = np.exp(-0.5 * (np.log2(bpms / 120.0) / 1.0) ** 2)  # one octave either side of 120
    weighted = combined * prior
    best = int(np.argmax(weighted))
    return float(bpms[best]), float(np.clip(score[best], 0.0, 1.0))


def chroma(mono: npt.NDArray[np.float32]) -> F64:
    """Pitch-class profile (C first): each frame's chroma scaled to its strongest class, summed over the clip.

    Scaling per frame lets quiet passages count as much as loud ones, so a loud sustained chord with strong
    upper partials (whose 5th harmonic is a major third) does not outvote the rest of the piece.
    """
    hop = _CHROMA_FFT // 2
    magnitude = np.abs(np.fft.rfft(_frames(mono, _CHROMA_FFT, hop), axis=1))
    freqs = np.fft.rfftfreq(_CHROMA_FFT, 1.0 / RATE)
    midi = 69.0 + 12.0 * np.log2(np.maximum(freqs, 1e-9) / 440.0)
    used = (freqs >= 55.0) & (freqs <= 2000.0) & (np.abs(midi - np.round(midi)) < 0.4)  # near a tempered pitch
    # Each note is its strongest bin, not the sum of its bins: a semitone near 2 kHz spans ~40 bins and one near
    # 55 Hz one or two, so a sum let broadband noise (drums) pile onto the top octave's B and Bb.
    notes = np.round(midi[used]).astype(int)
    starts = np.flatnonzero(np.diff(notes, prepend=-1))
    per_note = np.maximum.reduceat(magnitude[:, used], starts, axis=1)
    mapping = np.zeros((len(starts), 12))
    mapping[np.arange(len(starts)), notes[starts] % 12] = 1.0
    frames = per_note @ mapping
    frames /= np.maximum(frames.max(axis=1, keepdims=True), 1e-12)
    profile: F64 = frames.sum(axis=0).astype(np.float64)
    return profile


def estimate_key(profile: F64) -> tuple[str, float]:
    """(key name, correlation) of the best of the 24 Krumhansl–Kessler keys."""
    best, name = -2.0, "C major"
    for tonic in range(12):
        for template, mode in ((_MAJOR, "major"), (_MINOR, "minor")):
            r = float(np.corrcoef(profile, np.roll(template, tonic))[0, 1])
            if r > best:
                best, name = r, f"{NOTE_NAMES[tonic]} {mode}"
    return name, best


def _centroid(mono: npt.NDArray[np.float32]) -> float:
    spectrum = np.abs(np.fft.rfft(_frames(mono, 2048, 2048), axis=1))
    freqs = np.fft.rfftfreq(2048, 1.0 / RATE)
    totals = spectrum.sum(axis=1)
    loud = totals > totals.max() * 0.01
    return float((spectrum[loud] @ freqs).sum() / max(float(totals[loud].sum()), 1e-12))


def _energy(mono: npt.NDArray[np.float32]) -> tuple[F64, str]:
    """RMS per second scaled to the loudest second, and whether it rises, falls or stays."""
    seconds = max(1, mono.shape[0] // RATE)
    tiles = np.zeros(seconds * RATE, dtype=np.float32)
    tiles[: min(mono.shape[0], tiles.shape[0])] = mono[: tiles.shape[0]]
    rms = np.sqrt(np.mean(tiles.reshape(seconds, RATE).astype(np.float64) ** 2, axis=1))
    curve = rms / max(float(rms.max()), 1e-12)
    db = 20.0 * np.log10(np.maximum(rms, 1e-6))
    third = max(1, seconds // 3)
    change = float(np.median(db[-third:]) - np.median(db[:third]))
    shape = "rising" if change > 4.0 else "falling" if change < -4.0 else "steady"
    return curve, shape


def _energy_level(lufs: float, onset_rate: float) -> str:
    """low | medium | high from loudness (−30…−8 LUFS) and strong onsets per second (0…6), equally weighted."""
    score = 0.5 * np.clip((lufs + 30.0) / 22.0, 0.0, 1.0) + 0.5 * np.clip(onset_rate / 6.0, 0.0, 1.0)
    return "high" if score >= 0.62 else "low" if score < 0.4 else "medium"


def analyse_decoded(decoded: Decoded) -> Features:
    """The features of decoded audio; Silent when there is nothing to hear."""
    samples = decoded.samples
    mono = samples.mean(axis=1).astype(np.float32)
    peak = float(np.abs(mono).max()) if mono.size else 0.0
    if mono.shape[0] < RATE // 2 or peak <= 10 ** (_SILENCE_DBFS / 20.0):
        raise Silent("nothing above -60 dBFS" if mono.size else "no samples")
    lufs = integrated_lufs(samples, RATE)
    if not np.isfinite(lufs) or lufs < -70.0:
        raise Silent(f"integrated loudness {lufs}")
    fps = RATE / _HOP
    envelope = onset_envelope(mono)
    bpm, tempo_confidence = estimate_tempo(envelope, fps)
    peaks = (envelope[1:-1] > envelope[:-2]) & (envelope[1:-1] >= envelope[2:]) & (envelope[1:-1] > _STRONG_ONSET)
    onset_rate = float(peaks.sum()) / (envelope.shape[0] / fps)  # strong onsets per second
    key, key_confidence = estimate_key(chroma(mono))
    curve, shape = _energy(mono)
    centroid = _centroid(mono)
    energy = _energy_level(lufs, onset_rate)
    brightness = "bright" if centroid > 2500.0 else "dark" if centroid < 1200.0 else "warm"
    feel = {"high": "energetic", "medium": "moderate", "low": "calm"}[energy]
    parts = [f"≈{bpm:.0f} BPM", key, feel, brightness] + ([shape] if shape != "steady" else [])
    return Features(
        duration=round(decoded.duration, 2),
        analysed_seconds=round(samples.shape[0] / RATE, 2),
        has_video=decoded.has_video,
        bpm=round(bpm, 1),
        tempo_confidence=round(tempo_confidence, 3),
        key=key,
        key_confidence=round(key_confidence, 3),
        lufs=round(lufs, 1),
        energy=energy,
        energy_shape=shape,
        energy_curve=tuple(float(v) for v in curve),
        brightness_hz=round(centroid),
        brightness=brightness,
        description=", ".join(parts),
        onset_rate=round(onset_rate, 2),
    )


def analyse_file(path: Path, max_seconds: float = MAX_SECONDS) -> Features:
    """Decode and analyse the file at ``path`` (blocking; run it in a worker thread)."""
    return analyse_decoded(decode(path, max_seconds))


def analyse_bytes(data: bytes, max_seconds: float = MAX_SECONDS) -> Features:
    """Decode and analyse ``data`` (blocking); nothing is kept afterwards."""
    return analyse_decoded(decode_bytes(data, max_seconds))


def analyse_samples(samples: npt.NDArray[np.float32], sample_rate: int) -> Features:
    """Analyse float samples (frames, channels) at any rate, e.g. a track an engine just rendered."""
    from engines.audio import wav_bytes

    return analyse_bytes(wav_bytes(samples, sample_rate))


# --- the picture ------------------------------------------------------------------------------------------------


def picture_png(decoded: Decoded, features: Features, width: int = 480, height: int = 160) -> bytes:
    """A small PNG: the waveform's envelope in grey and the per-second energy curve over it."""
    from PIL import Image, ImageDraw

    mono = np.abs(decoded.samples.mean(axis=1))
    image = Image.new("RGB", (width, height), (24, 26, 33))
    draw = ImageDraw.Draw(image)
    columns = np.array_split(mono, width) if mono.size >= width else [mono]
    middle, scale = height / 2, (height / 2 - 6) / max(float(mono.max()), 1e-9)
    for x, column in enumerate(columns):
        level = float(column.max()) * scale if column.size else 0.0
        draw.line([(x, middle - level), (x, middle + level)], fill=(110, 118, 140))
    curve = features.energy_curve
    if len(curve) > 1:
        points = [(i * (width - 1) / (len(curve) - 1), height - 4 - v * (height - 8)) for i, v in enumerate(curve)]
        draw.line(points, fill=(255, 170, 60), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

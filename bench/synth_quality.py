"""Synth quality, judged by independent analysers (librosa, pyloudnorm, scipy) — never by the engine's own code.

Run with ``python -m bench.synth_quality`` (or as part of ``make bench``). Over a fixed set of prompts × 5 seeds it
prints: tempo (librosa tempo estimator, ±2 % or double/half), key (librosa STFT chroma against Krumhansl–Kessler
profiles), loudness (pyloudnorm, −14 ± 0.5 LUFS), true peak (scipy polyphase 8× resampling, an ideal-reconstruction
reference, ≤ −1 dBTP), how different two seeds of one prompt are (rhythm-fingerprint correlation and key-normalised
chroma similarity), genre identification from audio features (nearest centroid, leave-one-seed-out), the long-term
spectrum's presence band (2–6 kHz) and 16 kHz band against a natural −4.5 dB/octave slope, energy below 40 Hz, and
fresh 30 s render + MP3 times over 20 different requests (``--timing-only``: just those, in ~30 s).
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bench.harness import Figure, load_average
from engines.audio import encode_mp3
from engines.base import GeneratedTrack, GenerationRequest
from engines.memory import one_blas_thread
from engines.synth import render
from engines.synth.engine import release_render_memory

F64 = npt.NDArray[np.float64]
SR = 44_100
SEEDS = (1, 2, 3, 4, 5)
SECONDS = 20.0
# (prompt, the style a listener would expect). Plain genre names, moods, instruments, other languages, numbers.
PROMPTS: tuple[tuple[str, str], ...] = (
    ("techno", "techno"),
    ("dark techno 132 bpm", "techno"),
    ("deep house", "house"),
    ("uplifting house in A minor", "house"),
    ("lofi hip hop", "lofi"),
    ("lofi beats to study to, F major", "lofi"),
    ("ambient soundscape", "ambient"),
    ("meditation drone", "ambient"),
    ("80s synthwave", "synthwave"),
    ("retrowave night drive in D minor", "synthwave"),
    ("drum and bass", "dnb"),
    ("liquid dnb 174", "dnb"),
    ("trap with 808s", "trap"),
    ("dark trap 140 bpm", "trap"),
    ("cinematic trailer", "cinematic"),
    ("film score tension", "cinematic"),
    ("smooth jazz", "jazzy"),
    ("jazzy cafe in Bb major", "jazzy"),
    ("rock anthem", "rock"),
    ("indie rock with guitars", "rock"),
    ("pop song", "pop"),
    ("happy pop in G major", "pop"),
    ("funk groove", "funk"),
    ("disco funk 110 bpm", "funk"),
    ("dubstep", "dubstep"),
    ("dubstep 140", "dubstep"),
    ("country song", "country"),
    ("acoustic folk ballad", "country"),
    ("classical piano sonata", "piano"),
    ("sad piano in the rain", "piano"),
    ("epic orchestral", "orchestral"),
    ("orchestra with strings and brass", "orchestral"),
    ("calm piano", "piano"),
    ("música eletrônica techno", "techno"),
    ("música triste de piano", "piano"),
    ("rock pesado", "rock"),
    ("canción pop alegre", "pop"),
    ("jazz suave", "jazzy"),
    ("música orquestal épica", "orchestral"),
    ("metal", "rock"),
)


@dataclass
class Analysis:
    """What the independent analysers hear in one track."""

    prompt: str
    expected: str
    seed: int
    style: str
    asked_bpm: float
    bpm: float
    asked_key: str
    key: str
    lufs: float
    true_peak: float
    onset_fingerprint: F64
    chroma: F64
    features: F64
    band_db: F64 = field(default_factory=lambda: np.zeros(0))


_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_ENHARMONIC = {"Db": "C#", "D#": "Eb", "Gb": "F#", "G#": "Ab", "A#": "Bb"}
# 1/3-octave band centres for the long-term spectrum
BANDS = 1000.0 * 2.0 ** (np.arange(-16, 14) / 3.0)  # 25 Hz … 20 kHz
SLOPE_DB_PER_OCTAVE = -4.5  # long-term average spectrum of mixed music above ~200 Hz (a "natural" tilt)
PRESENCE_WINDOW_DB = 6.0
OLD = "old synth: docs/synth-v2.md"  # presence (2–6 kHz) and 16 kHz bands within ± this of the slope


def _tonic_of(key: str) -> int:
    name = key.split()[0]
    return _NAMES.index(_ENHARMONIC.get(name, name))


def librosa_key(chroma_mean: F64) -> str:
    """Krumhansl–Kessler key of a mean chroma vector."""
    scores = {
        f"{_NAMES[t]} {mode}": float(np.corrcoef(chroma_mean, np.roll(profile, t))[0, 1])
        for t in range(12)
        for mode, profile in (("major", _MAJOR), ("minor", _MINOR))
    }
    return max(scores, key=scores.__getitem__)


def true_peak_reference(samples: npt.NDArray[np.float32]) -> float:
    """True peak in dBTP by 8× polyphase resampling (scipy's Kaiser FIR): close to ideal reconstruction."""
    from scipy.signal import resample_poly

    up = resample_poly(samples.astype(np.float64), 8, 1, axis=0)
    return float(20 * np.log10(max(np.abs(up).max(), np.abs(samples).max(), 1e-12)))


def band_levels(mono: F64) -> F64:
    """Long-term power per 1/3-octave band, dB."""
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(mono.shape[0]))) ** 2
    freqs = np.fft.rfftfreq(mono.shape[0], 1 / SR)
    out = []
    for centre in BANDS:
        sel = (freqs >= centre * 2 ** (-1 / 6)) & (freqs < centre * 2 ** (1 / 6))
        out.append(10 * np.log10(spectrum[sel].sum() + 1e-20))
    return np.array(out)


def analyse(prompt: str, expected: str, seed: int, track: GeneratedTrack) -> Analysis:
    """Measure one track with librosa, pyloudnorm and scipy."""
    import librosa
    import pyloudnorm  # type: ignore[import-untyped]

    samples = track.samples
    mono = samples.mean(axis=1).astype(np.float32)
    onset = librosa.onset.onset_strength(y=mono, sr=SR, hop_length=512)
    tempo = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset, sr=SR, hop_length=512))[0])
    chroma = librosa.feature.chroma_stft(y=mono, sr=SR, n_fft=8192, hop_length=4096)
    key = librosa_key(chroma.mean(axis=1))
    tonic = _tonic_of(track.key or "C major")
    normalised = np.roll(chroma, -tonic, axis=0)  # key-normalised: tonic on row 0 (then averaged per bar below)
    lufs = float(pyloudnorm.Meter(SR).integrated_loudness(samples.astype(np.float64)))
    # rhythm fingerprint: onset strength summed per 16th note over the first 8 bars (beat-synchronous, so it
    # compares grooves, fills and arrangement, not tempi); harmony: key-normalised chroma averaged per bar
    bpm = float(track.bpm or tempo)
    sixteenth = (np.arange(onset.shape[0]) * 512 / SR * bpm / 15).astype(int)
    keep = sixteenth < 128
    fingerprint = np.bincount(sixteenth[keep], weights=onset[keep], minlength=128).astype(np.float64)
    bar_of = (np.arange(normalised.shape[1]) * 4096 / SR * bpm / 240).astype(int)
    bars = min(8, int(bar_of.max()) + 1)
    normalised = np.stack([normalised[:, bar_of == b].mean(axis=1) for b in range(bars)], axis=1)
    centroid = float(librosa.feature.spectral_centroid(y=mono, sr=SR, hop_length=2048).mean())
    flatness = float(librosa.feature.spectral_flatness(y=mono, hop_length=2048).mean())
    rolloff = float(librosa.feature.spectral_rolloff(y=mono, sr=SR, hop_length=2048).mean())
    harmonic, percussive = librosa.decompose.hpss(
        np.abs(librosa.stft(mono, n_fft=1024, hop_length=1024)), kernel_size=9
    )
    perc_ratio = float(np.abs(percussive).sum() / max(np.abs(harmonic).sum() + np.abs(percussive).sum(), 1e-9))
    mfcc = librosa.feature.mfcc(y=mono, sr=SR, n_mfcc=13, hop_length=2048)
    onset_rate = float(len(librosa.onset.onset_detect(onset_envelope=onset, sr=SR, hop_length=512)) / track.duration)
    low = float(librosa.feature.rms(y=mono, hop_length=2048).std())
    features = np.concatenate(
        [
            [np.log(tempo), np.log(centroid), flatness * 10, np.log(rolloff), perc_ratio * 5, np.log1p(onset_rate)],
            [low * 10],
            mfcc.mean(axis=1) / 20,
            mfcc.std(axis=1) / 20,
        ]
    )
    return Analysis(
        prompt,
        expected,
        seed,
        track.genre or "",
        bpm,
        tempo,
        track.key or "",
        key,
        lufs,
        true_peak_reference(samples),
        fingerprint,
        normalised,
        features,
        band_levels(mono.astype(np.float64)),
    )


def _tempo_ok(asked: float, heard: float) -> bool:
    return any(abs(heard * factor - asked) <= 0.02 * asked for factor in (1.0, 0.5, 2.0, 2 / 3, 1.5))


def _corr(a: F64, b: F64) -> float:
    n = min(a.shape[-1], b.shape[-1])
    x, y = a[..., :n].ravel(), b[..., :n].ravel()
    return float(np.corrcoef(x, y)[0, 1])


def genre_accuracy(results: Sequence[Analysis]) -> tuple[float, list[str]]:
    """Nearest-centroid genre identification from audio features, leave-one-seed-out; returns accuracy, misses."""
    labels = sorted({r.expected for r in results})
    matrix = np.stack([r.features for r in results])
    mean, std = matrix.mean(axis=0), matrix.std(axis=0) + 1e-9
    z = (matrix - mean) / std
    hits, misses = 0, []
    for index, result in enumerate(results):
        train = [i for i, r in enumerate(results) if r.seed != result.seed]
        centroids = {
            label: z[[i for i in train if results[i].expected == label]].mean(axis=0)
            for label in labels
            if any(results[i].expected == label for i in train)
        }
        guess = min(centroids, key=lambda label: float(np.sum((z[index] - centroids[label]) ** 2)))
        if guess == result.expected:
            hits += 1
        else:
            misses.append(f"{result.prompt!r}/{result.seed}→{guess}")
    return hits / len(results), misses


def presence_deviation(results: Sequence[Analysis]) -> tuple[float, float, float]:
    """Mean long-term spectrum vs a −4.5 dB/octave line anchored on 250 Hz–1 kHz: (presence dB, 16 kHz dB, sub-40 %)."""
    power = np.mean([10 ** (r.band_db / 10) / np.sum(10 ** (r.band_db / 10)) for r in results], axis=0)
    levels = 10 * np.log10(power)
    octaves = np.log2(BANDS / 1000.0)
    anchor = (BANDS >= 250) & (BANDS <= 1000)
    offset = float(np.mean(levels[anchor] - SLOPE_DB_PER_OCTAVE * octaves[anchor]))
    line = offset + SLOPE_DB_PER_OCTAVE * octaves
    presence = (BANDS >= 2000) & (BANDS <= 6300)
    top = (BANDS >= 12500) & (BANDS <= 16000)
    sub = float(power[BANDS < 40].sum() / power.sum())
    return (float(np.mean(levels[presence] - line[presence])), float(np.mean(levels[top] - line[top])), 100 * sub)


def _p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _timed_requests(count: int) -> tuple[list[float], list[float], list[float]]:
    """Wall seconds, process CPU seconds (every thread) and the requesting thread's own CPU seconds of ``count``
    fresh 30 s render + MP3 requests. A render hands half of its work to a helper thread, so on an idle 2-core
    machine its wall clock is about the requesting thread's CPU time (plus what it waits for the helper), and the
    process CPU time is what the request costs the machine.

    As in the bot: one BLAS thread (``bot.__main__``); every request has its own prompt and seed, and the note
    caches are emptied before each (outside the timing), so nothing made for an earlier request is reused."""
    one_blas_thread()
    render(GenerationRequest(prompt="warm-up", duration=8.0, seed=0))
    times, cpu, own = [], [], []
    for index, (prompt, _) in enumerate(itertools.islice(itertools.cycle(PROMPTS), count)):
        request = GenerationRequest(prompt=f"{prompt} take {index}", duration=30.0, seed=10_000 + index)
        release_render_memory()
        started, started_cpu, started_own = time.perf_counter(), time.process_time(), time.thread_time()
        encode_mp3(render(request))
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        own.append(time.thread_time() - started_own)
    return times, cpu, own


def measure(prompts: Sequence[tuple[str, str]] = PROMPTS, seeds: Sequence[int] = SEEDS) -> list[Figure]:
    """Every quality figure over ``prompts`` × ``seeds``."""
    results: list[Analysis] = []
    for prompt, expected in prompts:
        for seed in seeds:
            track = render(GenerationRequest(prompt=prompt, duration=SECONDS, seed=seed))
            results.append(analyse(prompt, expected, seed, track))
        print(f"  {prompt!r}: {results[-1].style}", file=sys.stderr, flush=True)
    n = len(results)
    tempo_ok = sum(_tempo_ok(r.asked_bpm, r.bpm) for r in results) / n
    key_ok = sum(r.key == r.asked_key for r in results) / n
    lufs_ok = sum(abs(r.lufs + 14.0) <= 0.5 for r in results) / n
    peak_ok = sum(r.true_peak <= -1.0 for r in results) / n
    rhythm, harmony = [], []
    for prompt, _ in prompts:
        mine = [r for r in results if r.prompt == prompt]
        for a, b in itertools.combinations(mine, 2):
            rhythm.append(_corr(a.onset_fingerprint, b.onset_fingerprint))
            harmony.append(_corr(a.chroma, b.chroma))
    accuracy, misses = genre_accuracy(results)
    style_ok = sum(r.style == r.expected for r in results) / n
    presence, top, sub = presence_deviation(results)
    (p50, p95), (cpu50, cpu95), (own50, own95) = (_p50_p95(values) for values in _timed_requests(20))
    worst_peak = max(r.true_peak for r in results)
    lufs_range = (min(r.lufs for r in results), max(r.lufs for r in results))
    load = load_average()
    key_misses = [f"{r.prompt!r}/{r.seed}: {r.asked_key}→{r.key}" for r in results if r.key != r.asked_key][:8]
    tempo_misses = [
        f"{r.prompt!r}/{r.seed}: {r.asked_bpm:.0f}→{r.bpm:.1f}" for r in results if not _tempo_ok(r.asked_bpm, r.bpm)
    ]
    return [
        Figure("synth tempo (librosa)", f"{100 * tempo_ok:.0f} % within ±2 % (or ×2, ×½)", f"{n} tracks",
               "≥ 95 %", tempo_ok >= 0.95, tempo_misses[:8]),
        Figure("synth key (librosa chroma + K–K)", f"{100 * key_ok:.0f} %", f"{n} tracks", "≥ 95 %",
               key_ok >= 0.95, key_misses),
        Figure("synth loudness (pyloudnorm)", f"{100 * lufs_ok:.0f} % at −14 ± 0.5 LUFS "
               f"({lufs_range[0]:.2f} … {lufs_range[1]:.2f})", f"{n} tracks", "100 %", lufs_ok == 1.0, []),
        Figure("synth true peak (scipy 8× resampling)", f"{100 * peak_ok:.0f} % ≤ −1 dBTP (worst {worst_peak:.2f})",
               f"{n} tracks", "100 %", peak_ok == 1.0, []),
        Figure("synth seeds differ: rhythm fingerprint corr.", f"mean {np.mean(rhythm):.2f}, max {np.max(rhythm):.2f}",
               OLD, "well under 0.92", float(np.mean(rhythm)) < 0.8, []),
        Figure("synth seeds differ: key-normalised chroma sim.", f"mean {np.mean(harmony):.2f}, "
               f"max {np.max(harmony):.2f}", OLD, "well under 0.95", float(np.mean(harmony)) < 0.8, []),
        Figure("synth genre from audio features", f"{100 * accuracy:.0f} %", f"{len(set(p[1] for p in prompts))} "
               "styles, nearest centroid, leave-one-seed-out", "≥ 90 %", accuracy >= 0.9, misses[:8]),
        Figure("synth style chosen = style expected", f"{100 * style_ok:.0f} %", "what the engine reports", "—",
               None, []),
        Figure("synth presence 2–6 kHz vs −4.5 dB/oct", f"{presence:+.1f} dB (16 kHz: {top:+.1f} dB; "
               f"< 40 Hz: {sub:.1f} % of power)", "anchored on 250 Hz–1 kHz",
               f"within ±{PRESENCE_WINDOW_DB:.0f} dB", max(abs(presence), abs(top)) <= PRESENCE_WINDOW_DB, []),
        Figure("synth fresh 30 s render + MP3, 20 requests", f"p50 {p50:.2f} s, p95 {p95:.2f} s",
               f"load {load[0]:.2f} on {os.cpu_count()} cores", "p50 ≤ 0.5 s", p50 <= 0.5, []),
        Figure("synth fresh 30 s render + MP3, CPU seconds", f"requesting thread p50 {own50:.2f} s, p95 "
               f"{own95:.2f} s; process p50 {cpu50:.2f} s, p95 {cpu95:.2f} s", "the requesting thread's CPU is about "
               "what an idle machine's clock shows; the process's (both threads) is what a request costs", "—", None,
               []),
    ]  # fmt: skip


def timing_report(count: int = 20) -> str:
    """One line: wall, process CPU and requesting-thread CPU p50/p95 of ``count`` fresh 30 s render + MP3 requests,
    with the load averages before and after (``--timing-only``: issue 18's figure without the quality analysis)."""
    before = load_average()
    wall, cpu, own = (_p50_p95(values) for values in _timed_requests(count))
    after = load_average()
    return (
        f"fresh 30 s render + MP3, {count} requests: wall p50 {wall[0]:.3f} s, p95 {wall[1]:.3f} s; "
        f"CPU p50 {cpu[0]:.3f} s, p95 {cpu[1]:.3f} s; requesting thread's CPU p50 {own[0]:.3f} s, p95 {own[1]:.3f} s; "
        f"load {before[0]:.2f} → {after[0]:.2f} on {os.cpu_count()} cores"
    )


def main() -> None:
    """Print the figures as a table; ``--seeds N`` measures fewer seeds (quicker, less conclusive);
    ``--timing-only`` prints only the render + MP3 timing line."""
    from bench.__main__ import table

    if "--timing-only" in sys.argv:
        print(timing_report())
        return
    started = time.monotonic()
    seeds = SEEDS[: int(sys.argv[sys.argv.index("--seeds") + 1])] if "--seeds" in sys.argv else SEEDS
    figures = measure(PROMPTS, seeds)
    print(table(figures))
    print(f"\n({time.monotonic() - started:.0f} s, load {load_average()[0]:.2f})", file=sys.stderr)


if __name__ == "__main__":
    main()

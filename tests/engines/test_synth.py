"""The synth engine's promises, each proven by measuring the audio (never by reading back its own parameters).

The tempo and key analysers below are written here, independent of the generator: an onset-envelope
autocorrelation tempo estimate, and a chroma + Krumhansl–Kessler key estimate.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
import pyloudnorm  # type: ignore[import-untyped]
import pytest

from bot.texts import Texts
from engines.base import (
    Engine,
    EngineOptions,
    EngineRejected,
    EngineTimedOut,
    GeneratedTrack,
    GenerationRequest,
)
from engines.synth import SynthEngine, parse_prompt, render
from engines.synth.theory import parse_key

SR = 44_100
GENRES = ("techno", "house", "lofi", "ambient", "synthwave", "dnb", "trap", "cinematic", "jazzy")
_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
pytestmark = pytest.mark.xdist_group("synth_tracks")  # one pytest-xdist worker, so _track's cache serves every test


@cache
def _track(prompt: str, seed: int = 1, duration: float = 20.0, **fields: object) -> GeneratedTrack:
    return render(GenerationRequest(prompt=prompt, seed=seed, duration=duration, **fields))  # type: ignore[arg-type]


# --- independent analysers ----------------------------------------------------------------------------------


def _spectrogram(mono: npt.NDArray[np.float64], size: int, hop: int) -> npt.NDArray[np.float64]:
    count = 1 + (mono.shape[0] - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    return np.abs(np.fft.rfft(mono[index] * np.hanning(size), axis=1))


def estimate_bpm(samples: npt.NDArray[np.float32]) -> float:
    """Spectral-flux onset envelope → autocorrelation → best lag in 60–200 BPM under a log-normal prior at 120."""
    hop = 128
    magnitude = _spectrogram(samples.mean(axis=1).astype(np.float64), 1024, hop)
    flux = np.maximum(np.diff(np.log1p(100 * magnitude), axis=0), 0).sum(axis=1)
    flux -= flux.mean()
    n = flux.shape[0]
    acf = np.fft.irfft(np.abs(np.fft.rfft(flux, 2 * n)) ** 2)[:n]
    fps = SR / hop
    bpm = 60 * fps / np.maximum(np.arange(n), 1)
    prior = np.exp(-0.5 * np.log2(bpm / 120.0) ** 2)
    lag = int(np.argmax(np.where((bpm >= 60) & (bpm <= 200), acf * prior, -np.inf)))
    beats = 8  # refine on the peak eight beats out, where one frame of error is an eighth as large
    while beats * lag >= n // 2:
        beats //= 2
    centre = beats * lag
    peak = centre - 2 * beats + int(np.argmax(acf[centre - 2 * beats : centre + 2 * beats + 1]))
    a, b, c = acf[peak - 1 : peak + 2]
    offset = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c else 0.0
    return float(60 * fps / ((peak + offset) / beats))


def estimate_key(samples: npt.NDArray[np.float32]) -> str:
    """Per-frame normalised chroma (55 Hz–4.2 kHz) correlated with the 24 rotated Krumhansl–Kessler profiles."""
    chroma = _chroma(samples)
    scores = {
        f"{_NAMES[tonic]} {mode}": float(np.corrcoef(chroma, np.roll(profile, tonic))[0, 1])
        for tonic in range(12)
        for mode, profile in (("major", _MAJOR), ("minor", _MINOR))
    }
    return max(scores, key=scores.__getitem__)


def _chroma(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Per-frame normalised chroma (55 Hz–4.2 kHz), C first."""
    size = 16384
    magnitude = _spectrogram(samples.mean(axis=1).astype(np.float64), size, size // 2)
    freqs = np.fft.rfftfreq(size, 1 / SR)
    band = (freqs >= 55) & (freqs <= 4200)
    pitch_class = ((np.round(12 * np.log2(freqs[band] / 440.0)) + 9) % 12).astype(int)
    per_frame = magnitude[:, band] ** 2 @ np.eye(12)[pitch_class]
    chroma: npt.NDArray[np.float64] = (per_frame / np.maximum(per_frame.max(axis=1, keepdims=True), 1e-12)).mean(axis=0)
    return chroma


def _spectral_print(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    return np.log1p(_spectrogram(samples.mean(axis=1).astype(np.float64), 2048, 2048)).ravel()


# --- the contract ---------------------------------------------------------------------------------------------


def test_synth_engine_implements_the_engine_contract() -> None:
    engine = SynthEngine()
    assert isinstance(engine, Engine)
    assert engine.name == "synth"
    (model,) = engine.models()
    assert model.id == "synth-1" and model.license.commercial_use
    caps = engine.capabilities()
    assert (caps.max_duration, caps.can_loop, caps.can_continue, caps.stems) == (300.0, True, False, True)
    with pytest.raises(EngineRejected):
        engine.capabilities("other")


async def test_generate_returns_a_labelled_track_of_the_asked_length() -> None:
    track = await SynthEngine().generate(GenerationRequest(prompt="house", duration=8.0, seed=3))
    assert (track.engine, track.model, track.genre, track.seed, track.cost_usd) == ("synth", "synth-1", "house", 3, 0.0)
    assert track.samples.dtype == np.float32 and track.samples.shape[1] == 2 and track.sample_rate == SR
    assert abs(track.duration - 8.0) <= 0.05
    # house is 124 BPM; the seed nudges a tempo by at most 4 %
    assert track.bpm is not None and abs(track.bpm - 124) <= 0.04 * 124 + 0.5
    assert track.key is not None and track.seconds_taken > 0


async def test_without_a_seed_the_engine_picks_one_and_it_reproduces_the_track() -> None:
    first = await SynthEngine().generate(GenerationRequest(prompt="lofi", duration=5.0))
    again = render(GenerationRequest(prompt="lofi", duration=5.0, seed=first.seed))
    assert np.array_equal(first.samples, again.samples)


@pytest.mark.parametrize(
    "request_",
    [
        GenerationRequest(prompt="x", duration=0),
        GenerationRequest(prompt="x", duration=301),
        GenerationRequest(prompt="x", bpm=30),
        GenerationRequest(prompt="techno at 250 bpm"),
        GenerationRequest(prompt="x", key="H minor"),
        GenerationRequest(prompt="x", model="musicgen"),
    ],
    ids=["zero-length", "too-long", "slow", "fast-in-prompt", "bad-key", "unknown-model"],
)
async def test_impossible_requests_are_rejected_with_a_user_text(request_: GenerationRequest) -> None:
    with pytest.raises(EngineRejected) as caught:
        await SynthEngine().generate(request_)
    english = Texts.load().get("en", caught.value.key, **caught.value.values)
    assert caught.value.key != "engine.rejected" and "{" not in english


async def test_a_render_past_the_deadline_times_out() -> None:
    # A 4 s track takes far more than the 1 ms deadline to render; the abandoned render thread still runs to its end
    # before the test's event loop closes, so a longer track (it was 60 s) only made the teardown wait.
    with pytest.raises(EngineTimedOut):
        await SynthEngine(EngineOptions(timeout_s=0.001)).generate(GenerationRequest(prompt="x", duration=4))


# --- the music ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("genre", GENRES)
def test_every_genre_renders_at_minus_14_lufs_with_peaks_under_minus_1(genre: str) -> None:
    track = _track(genre)
    assert track.genre == genre
    loudness = pyloudnorm.Meter(SR).integrated_loudness(track.samples.astype(np.float64))
    assert loudness == pytest.approx(-14.0, abs=1.0)
    assert 20 * np.log10(np.abs(track.samples).max()) <= -1.0


@pytest.mark.parametrize(
    ("prompt", "bpm"),
    [("techno", 128), ("lofi hip hop", 90), ("dnb", 174), ("trap", 140), ("house", 124), ("synthwave", 100)],
)
def test_the_beat_tracks_at_the_asked_tempo(prompt: str, bpm: int) -> None:
    track = _track(f"{prompt} at {bpm} bpm")
    assert track.bpm == bpm
    assert estimate_bpm(track.samples) == pytest.approx(bpm, abs=1.0)


@pytest.mark.parametrize(
    ("genre", "key"),
    [("house", "A minor"), ("lofi", "F# minor"), ("synthwave", "C major"), ("cinematic", "Eb major"),
     ("techno", "F# minor"), ("jazzy", "A minor"), ("ambient", "Eb major"), ("trap", "C major")],
)  # fmt: skip
def test_a_key_finder_hears_the_asked_key(genre: str, key: str) -> None:
    track = _track(genre, key=key)
    assert track.key == key
    assert estimate_key(track.samples) == key


@pytest.mark.parametrize(
    ("genre", "key", "bpm", "seconds"),
    [("techno", "C major", 62, 8.0), ("synthwave", "E major", 84, 8.0), ("house", "C# minor", 179, 8.0),
     ("pop", "Eb minor", 120, 8.0)],
)  # fmt: skip
def test_short_clips_still_state_their_key(genre: str, key: str, bpm: int, seconds: float) -> None:
    """Without a drone the harmony alone must say where home is, even in two or three bars."""
    track = _track(genre, key=key, bpm=bpm, duration=seconds)
    assert estimate_key(track.samples) == key


@pytest.mark.parametrize("key", ["A major", "D minor"])
def test_power_chords_are_joined_by_their_thirds(key: str) -> None:
    """Rock's power chords are root and fifth only; a keys layer plays the full triads, so major and minor are
    heard (rock read C major as G major and A major as A minor without them)."""
    track = _track("rock", key=key, bpm=140, duration=15.0, stems=True)
    assert track.stems is not None
    tonic = _NAMES.index(key.split()[0])
    third = (tonic + (3 if key.endswith("minor") else 4)) % 12
    chroma = _chroma(np.asarray(track.stems["chords"], dtype=np.float32))
    assert chroma[third] >= 0.5 * chroma[tonic], chroma.round(2)


def test_a_loop_is_whole_bars_and_its_seam_does_not_click() -> None:
    track = _track("techno", duration=10.0, loop=True)
    bars = track.duration * track.bpm / 240  # type: ignore[operator]
    assert bars == pytest.approx(round(bars), abs=1e-3) and round(bars) == round(10.0 * track.bpm / 240)  # type: ignore[operator]
    steps = np.abs(np.diff(track.samples, axis=0))
    seam = np.abs(track.samples[0] - track.samples[-1])
    assert seam.max() <= np.percentile(steps, 99)
    # no fade: the last bar is as loud as the first
    bar = int(SR * 240 / track.bpm)  # type: ignore[operator]
    rms = [float(np.sqrt(np.mean(part**2))) for part in (track.samples[:bar], track.samples[-bar:])]
    assert rms[1] == pytest.approx(rms[0], rel=0.35)


@pytest.mark.parametrize("prompt", ["jazz piano", "funk", "techno"])
@pytest.mark.parametrize("duration", [1.0, 4.0, 8.0])
def test_a_short_loop_in_any_style_renders_whole_bars(prompt: str, duration: float) -> None:
    # the last bar of a loop looks ahead to the next (walking bass, approach notes): that is the loop's first bar
    track = render(GenerationRequest(prompt=prompt, seed=10, duration=duration, loop=True))
    bars = track.duration * track.bpm / 240  # type: ignore[operator]
    assert bars == pytest.approx(max(1, round(duration * track.bpm / 240)), abs=1e-3)  # type: ignore[operator]
    assert np.abs(track.samples).max() > 0


def test_stems_sum_to_the_mix() -> None:
    track = _track("house", duration=8.0, stems=True)
    assert track.stems is not None and set(track.stems) == {"drums", "bass", "chords", "lead", "fx"}
    total = sum(track.stems.values())
    assert np.abs(total - track.samples).max() < 1e-5
    assert all(stem.dtype == np.float32 and stem.shape == track.samples.shape for stem in track.stems.values())


def test_same_seed_is_bit_identical_and_other_seeds_or_prompts_sound_different() -> None:
    base = _track("house", seed=1, duration=10.0)
    assert np.array_equal(base.samples, render(GenerationRequest(prompt="house", seed=1, duration=10.0)).samples)
    for other in (_track("house", seed=2, duration=10.0), _track("house party", seed=1, duration=10.0)):
        correlation = np.corrcoef(_spectral_print(base.samples), _spectral_print(other.samples))[0, 1]
        assert correlation < 0.9


def test_request_fields_win_over_the_prompt() -> None:
    track = _track("techno in C major at 128 bpm", duration=6.0, bpm=100.0, key="D minor", genre="jazzy")
    assert (track.bpm, track.key, track.genre) == (100.0, "D minor", "jazzy")
    assert abs(track.duration - 6.0) <= 0.05


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dark techno 128 bpm in A minor, 45 sec",
         {"genre": "techno", "mood": "dark", "bpm": 128, "key": "A minor", "seconds": 45}),
        ("lofi hip hop at 90 BPM Am", {"genre": "lofi", "bpm": 90, "key": "A minor"}),
        ("F# minor dnb for 2 minutes", {"genre": "dnb", "key": "F# minor", "seconds": 120}),
        ("chill jazzy tune in D", {"genre": "jazzy", "mood": "calm", "key": "D major"}),
        ("uplifting edm banger 126bpm 1 min", {"genre": "house", "mood": "happy", "bpm": 126, "seconds": 60}),
        ("80s synthwave in Eb major", {"genre": "synthwave", "key": "Eb major", "seconds": None}),
        ("epic orchestral score", {"genre": "orchestral", "mood": "epic"}),
        ("film score tension", {"genre": "cinematic"}),
        ("dubstep 140", {"genre": "dubstep", "bpm": 140}),
        ("country song", {"genre": "country"}),
        ("metal", {"genre": "rock"}),
        ("classical piano sonata", {"genre": "piano"}),
        ("sad piano in the rain", {"genre": "piano", "mood": "sad"}),
        ("funk groove 2 minutes", {"genre": "funk", "seconds": 120, "bpm": None}),
        ("música triste de piano", {"genre": "piano", "mood": "sad"}),
        ("rock pesado sin batería", {"genre": "rock", "mood": "energetic", "drums": False}),
        ("canción pop alegre 118", {"genre": "pop", "mood": "happy", "bpm": 118}),
        ("música orquestral épica", {"genre": "orchestral", "mood": "epic"}),
        ("drum and bass, energetic", {"genre": "dnb", "mood": "energetic"}),
        ("sad piano ambient, no drums", {"genre": "ambient", "mood": "sad", "drums": False}),
        ("A chill track in a cozy room", {"genre": "jazzy", "key": None}),
        ("trap with 808s, 30s", {"genre": "trap", "seconds": 30}),
        ("dreamy lo-fi in C major", {"genre": "lofi", "mood": "dreamy", "key": "C major"}),
    ],
)  # fmt: skip
def test_prompt_parsing(text: str, expected: dict[str, object]) -> None:
    hints = parse_prompt(text)
    read = {
        "genre": hints.genre,
        "mood": hints.mood,
        "bpm": hints.bpm,
        "key": hints.key.name if hints.key else None,
        "seconds": hints.seconds,
        "drums": hints.drums,
    }
    assert {name: read[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [("A minor", "A minor"), ("Am", "A minor"), ("F#", "F# major"), ("F# minor", "F# minor"), ("C major", "C major"),
     ("in D", "D major"), ("Ebm", "Eb minor"), ("Bb", "Bb major"), ("c# min", "C# minor")],
)  # fmt: skip
def test_key_names(text: str, name: str) -> None:
    assert parse_key(text).name == name


# --- synth v2: clean sound, variety, styles ---------------------------------------------------------------------

STYLES_V2 = ("rock", "pop", "funk", "dubstep", "country", "piano", "orchestral")


def _true_peak_8x(samples: npt.NDArray[np.float32]) -> float:
    """An ideal-reconstruction reference independent of engines.loudness: scipy's 8× polyphase resampler."""
    from scipy.signal import resample_poly  # type: ignore[import-untyped]

    return float(20 * np.log10(np.abs(resample_poly(samples.astype(np.float64), 8, 1, axis=0)).max()))


@pytest.mark.parametrize("voice", ["kick", "snare", "ghost", "gated", "clap", "hat", "roll", "pedal", "shaker",
                                   "ohat", "ride", "crash", "brush", "rim", "tom", "lowtom", "impact"])  # fmt: skip
def test_every_drum_hit_decays_to_true_zero_without_a_step_at_its_end(voice: str) -> None:
    from engines.synth.instruments import drum

    for kit in range(6):
        for variant in range(4):
            hit = drum(voice, 9, kit, variant)
            peak = float(np.abs(hit).max())
            assert hit[-1] == 0.0
            # the last 5 ms are far below the peak and move smoothly: no hard cut (the old kick ended at −13 dB)
            tail = hit[-int(0.005 * SR) :]
            assert float(np.abs(tail).max()) <= 0.02 * peak
            assert float(np.abs(np.diff(tail)).max()) <= 0.01 * peak


def test_the_kick_sounds_the_tonic_or_the_fifth_of_the_key_between_43_and_62_hz() -> None:
    """A fixed 52 Hz kick (G#1) put a loud, foreign pitch under every beat (E minor read as E major); the kick is
    tuned to the key like a producer tunes it, and stays a kick: 43–62 Hz, the same pitch on every hit of a kit."""
    from engines.synth.instruments import drum

    for kit in range(6):
        for tonic in range(12):
            pitches = set()
            for variant in (1, 2):  # the two hits nearest the kit's own pitch (±0.75 %)
                hit = drum("kick", tonic, kit, variant).astype(np.float64)
                body = hit[int(0.12 * SR) : int(0.4 * SR)]
                spectrum = np.abs(np.fft.rfft(body, 1 << 16))
                freqs = np.fft.rfftfreq(1 << 16, 1 / SR)
                pitches.add(round(69 + 12 * np.log2(float(freqs[np.argmax(spectrum)]) / 440.0)))
            assert len(pitches) == 1
            pitch = pitches.pop()
            assert 28 <= pitch <= 35 and pitch % 12 in (tonic, (tonic + 7) % 12), (kit, tonic, pitch)


def test_the_reverb_does_not_alias_a_7_khz_tone_down_to_4_khz() -> None:
    from engines.synth.mixer import reverb

    t = np.arange(2 * SR) / SR
    burst = np.zeros((2, 2 * SR), dtype=np.float32)
    burst[0] = np.sin(2 * np.pi * 1000 * t) * (t < 0.3)
    reference = float((reverb(burst, 1.0, 1) ** 2).sum())
    burst[0] = np.sin(2 * np.pi * 7000 * t) * (t < 0.3)
    wet = reverb(burst, 1.0, 1)
    assert 10 * np.log10(float((wet**2).sum()) / reference) < -40.0  # the old 4-sample average gave +9 dB at 4 kHz


@pytest.mark.parametrize("prompt", ["techno", "trap", "dubstep", "rock", "orchestral", "lofi"])
def test_tracks_stay_under_minus_1_dbtp_on_ideal_reconstruction_and_carry_little_sub_40_hz(prompt: str) -> None:
    track = _track(prompt)
    assert _true_peak_8x(track.samples) <= -1.0
    mono = track.samples.mean(axis=1).astype(np.float64)
    power = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.shape[0], 1 / SR)
    assert power[freqs < 40].sum() / power.sum() < 0.08  # was 21 % for tonics C–D
    assert abs(float(mono.mean())) < 1e-4  # no DC


@pytest.mark.parametrize("style", STYLES_V2)
def test_new_styles_render_at_minus_14_lufs_and_are_named_in_the_track(style: str) -> None:
    track = _track(style, duration=12.0)
    assert track.genre == style
    loudness = pyloudnorm.Meter(SR).integrated_loudness(track.samples.astype(np.float64))
    assert loudness == pytest.approx(-14.0, abs=0.5)


@pytest.mark.parametrize(
    ("prompt", "style"),
    [("sad piano in the rain", "piano"), ("country song", "country"), ("classical piano sonata", "piano"),
     ("metal", "rock"), ("epic orchestral", "orchestral"), ("música triste de piano", "piano"),
     ("canción pop alegre", "pop")],
)  # fmt: skip
def test_words_outside_the_old_nine_genres_choose_a_fitting_style(prompt: str, style: str) -> None:
    assert render(GenerationRequest(prompt=prompt, duration=4.0, seed=2)).genre == style


def test_a_sad_piano_piece_has_no_drums() -> None:
    track = _track("sad piano in the rain", duration=10.0, stems=True)
    assert track.stems is not None and float(np.abs(track.stems["drums"]).max()) == 0.0


def test_a_bare_number_is_a_tempo() -> None:
    track = _track("dubstep 140")
    assert (track.genre, track.bpm) == ("dubstep", 140.0)
    assert estimate_bpm(track.samples) == pytest.approx(140.0, rel=0.02) or estimate_bpm(
        track.samples
    ) == pytest.approx(70.0, rel=0.02)


def _rhythm_print(samples: npt.NDArray[np.float32], bpm: float, bars: int = 8) -> npt.NDArray[np.float64]:
    """Beat-synchronous rhythm fingerprint: spectral-flux onset strength summed per 16th note over the first bars
    (tempo-independent, so it compares grooves, fills and arrangement rather than tempi)."""
    hop = 441
    magnitude = _spectrogram(samples.mean(axis=1).astype(np.float64), 1024, hop)
    flux = np.maximum(np.diff(np.log1p(100 * magnitude), axis=0), 0).sum(axis=1)
    sixteenth = (np.arange(flux.shape[0]) * hop / SR * bpm / 15).astype(int)
    keep = sixteenth < 16 * bars
    return np.bincount(sixteenth[keep], weights=flux[keep], minlength=16 * bars).astype(np.float64)


@pytest.mark.parametrize("prompt", ["house", "rock", "lofi hip hop"])
def test_two_seeds_of_one_prompt_are_two_different_pieces(prompt: str) -> None:
    one, two = _track(prompt, seed=11, duration=24.0), _track(prompt, seed=12, duration=24.0)
    assert one.bpm and two.bpm
    rhythm = float(np.corrcoef(_rhythm_print(one.samples, one.bpm), _rhythm_print(two.samples, two.bpm))[0, 1])
    assert rhythm < 0.85  # the old synth, same measure and seeds: house 0.87, lofi 0.94
    assert np.corrcoef(_spectral_print(one.samples), _spectral_print(two.samples))[0, 1] < 0.9


def test_a_loop_as_mp3_decodes_gapless_to_exactly_its_bars() -> None:
    from engines.audio import decode_audio, encode_mp3

    track = _track("house", duration=6.0, loop=True)
    decoded, rate = decode_audio(encode_mp3(track))  # ffmpeg reads the LAME tag's delay and padding
    assert rate == SR and decoded.shape == track.samples.shape  # the old MP3s were 28–49 ms longer: a gap
    # aligned sample for sample with the source: the encoder's delay is gone
    assert float(np.corrcoef(decoded[:, 0], track.samples[:, 0])[0, 1]) > 0.99
    seam = np.abs(decoded[0] - decoded[-1])
    assert seam.max() <= np.percentile(np.abs(np.diff(decoded, axis=0)), 99.5)


@pytest.mark.parametrize(("prompt", "bpm"), [("ambient soundscape", 72), ("epic orchestral", 84), ("film score", 90)])
def test_sparse_styles_carry_a_pulse_a_beat_tracker_finds(prompt: str, bpm: int) -> None:
    """Ambient, orchestral and film pieces have few or soft drums under sustained pads and strings, whose detuned
    voices give a constant spectral flux. A soft shaker in 8ths, timpani with a snare march, and a string ostinato
    carry their pulse, so a beat tracker finds the tempo (or its double or half: the same beat); without them it
    heard no pulse and answered near its 120 BPM prior."""
    track = _track(f"{prompt} at {bpm} bpm")
    assert track.bpm == bpm
    heard = estimate_bpm(track.samples)
    assert any(abs(heard * factor - bpm) <= 0.02 * bpm for factor in (1.0, 0.5, 2.0)), heard


def _air(samples: npt.NDArray[np.float32]) -> float:
    """Long-term power in 5–10 kHz over 250 Hz–1 kHz, dB: how bright or dark a mix sounds."""
    mono = samples.mean(axis=1).astype(np.float64)
    power = (_spectrogram(mono, 4096, 4096) ** 2).mean(axis=0)
    freqs = np.fft.rfftfreq(4096, 1 / SR)
    high, mid = power[(freqs >= 5000) & (freqs < 10_000)].sum(), power[(freqs >= 250) & (freqs < 1000)].sum()
    return float(10 * np.log10(high / mid))


def test_each_style_has_its_own_tonal_colour() -> None:
    """Styles are mastered in their own colour, so they are told apart by ear (and by an audio-only classifier,
    bench/synth_quality.py): lo-fi dusty and dark against glossy pop, trap dark on its 808s against bright drum &
    bass, synthwave's soft top against rock's guitar mids. Same seed and key; before the colours the three gaps
    were 2.8, 4.7 and 4.9 dB. The colour is the mastering's, so 10 s tell it as well as 20 s (gaps 27.5, 8.8 and
    7.7 dB at 10 s; 23.9, 10.5 and 7.9 at 20 s) for a quarter of the rendering."""
    air = {
        style: _air(_track(style, key="A minor", duration=10.0).samples)
        for style in ("lofi", "pop", "trap", "dnb", "synthwave", "rock")
    }
    assert air["lofi"] < air["pop"] - 15.0
    assert air["trap"] < air["dnb"] - 6.0
    assert air["synthwave"] < air["rock"] - 6.0

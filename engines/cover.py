"""Album covers drawn from the music itself: a radial log-frequency spectrogram, coloured by mood.

Time runs clockwise from twelve o'clock, pitch runs outward from the label, brightness is loudness. The
picture is rendered at twice its size with numpy and downsampled with Lanczos for smooth edges, then saved as
a JPEG that fits Telegram's thumbnail limits (≤ 320×320, ≤ 200 kB).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from engines.base import Samples

MAX_SIZE = 320
MAX_BYTES = 200_000
_TIME_SLICES = 160
_BANDS = 72
_FFT = 2048

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Palette:
    """Colours for one mood: a background gradient and the colour map of the spectrogram (dark → bright)."""

    background: tuple[str, str]
    stops: tuple[str, ...]


PALETTES: dict[str, Palette] = {
    "neutral": Palette(("#0b132b", "#1c2541"), ("#1c2541", "#3a506b", "#5bc0be", "#e0fffe")),
    "dark": Palette(("#050507", "#160d22"), ("#1b0b2e", "#5a189a", "#c77dff", "#f3e8ff")),
    "calm": Palette(("#07202b", "#0e3a4f"), ("#0f3d56", "#2a9d8f", "#8ecae6", "#f0fbfc")),
    "happy": Palette(("#2a1405", "#4d2608"), ("#7a3a00", "#ff8c42", "#ffd166", "#fff8d6")),
    "energetic": Palette(("#120008", "#2c0013"), ("#7b0033", "#ff0054", "#ff8a00", "#ffef7a")),
    "sad": Palette(("#0b0f16", "#1b2430"), ("#1f2b40", "#4d6a94", "#a9bcd0", "#eef3f8")),
    "romantic": Palette(("#1f0616", "#3a0a2a"), ("#590d22", "#c9184a", "#ff758f", "#ffe5ec")),
    "epic": Palette(("#050a1a", "#0a1a3a"), ("#1c3d7a", "#4a6fa5", "#d4a017", "#fff1c1")),
}

_MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "dark": ("dark", "moody", "sinister", "horror", "noir", "ominous", "gloom", "evil"),
    "calm": ("calm", "chill", "relax", "ambient", "peace", "lofi", "lo-fi", "sleep", "soft", "serene"),
    "happy": ("happy", "joy", "upbeat", "sunny", "cheer", "fun", "bright", "playful"),
    "energetic": ("energ", "intense", "aggressive", "hype", "party", "power", "fast", "drive", "dance"),
    "sad": ("sad", "melanchol", "lonely", "nostalg", "blue", "grief"),
    "romantic": ("romantic", "love", "tender", "dreamy", "sensual"),
    "epic": ("epic", "cinematic", "heroic", "triumph", "orchestral", "majestic"),
}


def palette_name(mood: str | None) -> str:
    """Return the palette name for a free-text mood ("dark synthwave" → "dark"); unknown → "neutral"."""
    text = (mood or "").lower()
    for name, words in _MOOD_WORDS.items():
        if any(word in text for word in words):
            return name
    return "neutral"


def cover_jpeg(samples: Samples, sample_rate: int, *, mood: str | None = None, size: int = MAX_SIZE) -> bytes:
    """Return a square JPEG (≤ 320×320, ≤ 200 kB) drawn from the track's spectrum in the mood's colours."""
    size = max(16, min(int(size), MAX_SIZE))
    palette = PALETTES[palette_name(mood)]
    # Drawn at its final size: supersampling (2× then LANCZOS) looked the same at thumbnail size and cost 30 ms
    # instead of 6 per cover — a quarter of a 2 s track's whole pipeline (bench/results.md).
    rgb = _render(_log_spectrogram(samples, sample_rate), palette, size)
    image = Image.fromarray(rgb, "RGB")
    for quality in (90, 80, 65, 50):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= MAX_BYTES:
            break
    return buffer.getvalue()


def _log_spectrogram(samples: Samples, sample_rate: int) -> FloatArray:
    """Return loudness in [0, 1] shaped ``(bands, time slices)``, bands log-spaced from 40 Hz up."""
    mono = samples.mean(axis=1, dtype=np.float32) if samples.ndim == 2 else samples.astype(np.float32)
    if mono.shape[0] < _FFT:
        mono = np.pad(mono, (0, _FFT - mono.shape[0]))
    windows = np.lib.stride_tricks.sliding_window_view(mono, _FFT)
    starts = np.linspace(0, windows.shape[0] - 1, _TIME_SLICES).astype(np.int64)
    frames = windows[starts] * np.hanning(_FFT).astype(np.float32)  # (slices, fft): small, copied once
    power = np.square(np.abs(np.fft.rfft(frames, axis=1))).T  # (bins, slices)
    top = min(16_000.0, sample_rate / 2 * 0.95)
    centres = np.geomspace(40.0, top, _BANDS) * _FFT / sample_rate  # fractional FFT bins
    low = np.floor(centres).astype(np.int64)
    frac = (centres - low)[:, None]
    banded = power[low] * (1 - frac) + power[np.minimum(low + 1, power.shape[0] - 1)] * frac
    db = 10 * np.log10(banded + 1e-12)
    floor, ceiling = np.percentile(db, 8), np.percentile(db, 99.5)
    if ceiling - floor < 1e-6:  # silence or a constant: draw an empty disc
        return np.zeros(db.shape, dtype=np.float32)
    scaled: FloatArray = np.clip((db - floor) / (ceiling - floor), 0.0, 1.0).astype(np.float32)
    return scaled


def _hex(colour: str) -> FloatArray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)


def _colour_map(stops: tuple[str, ...], values: FloatArray) -> FloatArray:
    """Map values in [0, 1] through the palette's colour stops; returns ``values.shape + (3,)``."""
    points = np.linspace(0.0, 1.0, len(stops))
    colours = np.stack([_hex(stop) for stop in stops])
    return np.stack([np.interp(values, points, colours[:, c]) for c in range(3)], axis=-1).astype(np.float32)


#: Rows drawn at a time: bounds the temporaries of one cover to a few MB (workers draw covers concurrently).
_ROWS = 64


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Everything about the picture that depends only on its size: computed once per size (~14 MB), then reused.

    Computing these per cover was most of a cover's time (bench/results.md); the arrays are read-only.
    """

    mix: FloatArray  # background gradient weight, (side, side, 1)
    vignette: FloatArray  # background darkening, (side, side, 1)
    b0: npt.NDArray[np.int16]  # spectrogram lookup: band and time indices and their fractions
    b1: npt.NDArray[np.int16]
    t0: npt.NDArray[np.int16]
    t1: npt.NDArray[np.int16]
    fb: FloatArray
    ft: FloatArray
    shade: FloatArray  # ring mask × vinyl grooves
    label: FloatArray  # (side, side, 1)
    hole: FloatArray  # (side, side, 1)


@functools.lru_cache(maxsize=2)
def _geometry(side: int, bands: int, slices: int) -> _Geometry:
    axis = (np.arange(side, dtype=np.float32) + 0.5) / side * 2 - 1
    x, y = np.meshgrid(axis, axis)
    radius = np.hypot(x, y)
    turn = (np.arctan2(x, -y) / (2 * np.pi)) % 1.0  # 0 at twelve o'clock, clockwise
    inner, outer = 0.2, 0.94
    band = np.clip((radius - inner) / (outer - inner), 0.0, 1.0) * (bands - 1)
    t = turn * slices
    b0, t0 = np.floor(band).astype(np.int16), (np.floor(t).astype(np.int64) % slices).astype(np.int16)
    ring = np.clip((outer - radius) * side / 2, 0.0, 1.0) * np.clip((radius - inner) * side / 2, 0.0, 1.0)
    grooves = 0.88 + 0.12 * np.cos(radius * side * 0.9)  # faint vinyl grooves
    geometry = _Geometry(
        mix=((x + y) / 4 + 0.5)[..., None].astype(np.float32),
        vignette=np.clip(1.15 - 0.35 * radius, 0.6, 1.0)[..., None].astype(np.float32),
        b0=b0,
        b1=np.minimum(b0 + 1, bands - 1).astype(np.int16),
        t0=t0,
        t1=((t0 + 1) % slices).astype(np.int16),
        fb=(band - b0).astype(np.float32),
        ft=(t - np.floor(t)).astype(np.float32),
        shade=(ring * grooves).astype(np.float32),
        label=np.clip((inner * 0.72 - radius) * side / 2, 0.0, 1.0)[..., None].astype(np.float32),
        hole=np.clip((0.025 - radius) * side / 2, 0.0, 1.0)[..., None].astype(np.float32),
    )
    for name in geometry.__slots__:  # shared between calls (and threads): nobody may write to them
        getattr(geometry, name).flags.writeable = False
    return geometry


def _render(spectrum: FloatArray, palette: Palette, side: int) -> npt.NDArray[np.uint8]:
    bands, slices = spectrum.shape
    g = _geometry(side, bands, slices)
    pixels = np.empty((side, side, 3), np.uint8)
    for start in range(0, side, _ROWS):
        rows = slice(start, start + _ROWS)
        pixels[rows] = _render_rows(spectrum, palette, g, rows)
    return pixels


def _render_rows(spectrum: FloatArray, palette: Palette, g: _Geometry, rows: slice) -> npt.NDArray[np.uint8]:
    # Background: a diagonal gradient darkened towards the corners.
    top, bottom = _hex(palette.background[0]), _hex(palette.background[1])
    mix = g.mix[rows]
    image = (top * (1 - mix) + bottom * mix) * g.vignette[rows]

    # The disc: bilinear lookup of the spectrogram, wrapping round in time.
    b0, b1, t0, t1, fb, ft = g.b0[rows], g.b1[rows], g.t0[rows], g.t1[rows], g.fb[rows], g.ft[rows]
    value = (
        spectrum[b0, t0] * (1 - fb) * (1 - ft)
        + spectrum[b1, t0] * fb * (1 - ft)
        + spectrum[b0, t1] * (1 - fb) * ft
        + spectrum[b1, t1] * fb * ft
    )
    alpha = (g.shade[rows] * np.power(value, 1.4))[..., None]
    image = image * (1 - alpha) + _colour_map(palette.stops, value) * alpha

    # The label: a small disc in the palette's brightest colour with a spindle hole.
    label, hole = g.label[rows], g.hole[rows]
    image = image * (1 - label) + _hex(palette.stops[-2]) * label
    image = image * (1 - hole) + top * hole
    pixels: npt.NDArray[np.uint8] = np.clip(image, 0, 255).astype(np.uint8)
    return pixels

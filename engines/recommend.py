"""From what a clip sounds like to what to compose for it: genre, mood, intensity, tempo and length, each with the
one line of reasoning a person sees.

The rules follow the seed's "smart recommendations": energy → mood and intensity, tempo → genre, a video's length
→ the track's length. Genre names are words every engine's prompt reader understands (the synth's styles among them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engines.analysis import Features

MIN_LENGTH, DEFAULT_LENGTH = 10.0, 30.0
# (lowest BPM, genre, its usual range as the reasoning shows it); the first row whose floor the tempo reaches wins.
_TEMPO_GENRES: tuple[tuple[float, str, str], ...] = (
    (160.0, "drum and bass", "160–180"),
    (135.0, "trap", "135–160"),
    (118.0, "house", "118–135"),
    (95.0, "synthwave", "95–118"),
    (75.0, "lofi hip hop", "75–95"),
    (0.0, "ambient", "under 75"),
)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What to compose to match a clip, and why (one line per choice)."""

    genre: str
    mood: str
    intensity: str  # low | medium | high
    bpm: float
    key: str
    duration: float
    fade_out: bool  # a video's track ends with a fade
    reasons: dict[str, str]

    @property
    def prompt(self) -> str:
        """The prompt to compose from, e.g. ``"dark house, high intensity"``."""
        ending = ", fade out ending" if self.fade_out else ""
        return f"{self.mood} {self.genre}, {self.intensity} intensity{ending}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Recommendation:
        """The inverse of :meth:`as_dict`."""
        return cls(**values)


def playable_bpm(bpm: float, low: float = 40.0, high: float = 220.0) -> float:
    """``bpm`` rounded and moved by octaves into [low, high] (a 230 BPM reading is composed at 115)."""
    while bpm > high:
        bpm /= 2.0
    while bpm < low:
        bpm *= 2.0
    return float(round(bpm))  # a whole BPM: what a person sets, and the beat grid an engine renders


def recommend(features: Features, *, max_duration: float = 300.0) -> Recommendation:
    """The recommendation for ``features``; a video's track lasts exactly as long as the video (up to the limit)."""
    bpm = playable_bpm(features.bpm)
    _, genre, span = next(row for row in _TEMPO_GENRES if bpm >= row[0])
    if genre == "house" and features.brightness == "dark":
        genre, span = "techno", "118–135, dark"
    if genre in ("synthwave", "ambient", "lofi hip hop") and features.energy == "low" and features.brightness == "dark":
        genre = "cinematic"
    reasons = {"genre": f"{bpm:.0f} BPM sits in {genre}'s range ({span})"}
    minor = features.key.endswith("minor")
    if features.energy_shape == "rising":
        mood, why = "epic", "the energy builds through the clip"
    elif features.energy == "low":
        mood, why = ("dreamy" if minor else "calm"), f"low energy in a {'minor' if minor else 'major'} key"
    elif minor:
        mood = "dark" if features.brightness != "bright" else "energetic"
        why = f"{features.key}, {features.brightness}"
    else:
        mood = "happy" if features.energy != "high" else "energetic"
        why = f"{features.key}, {features.energy} energy"
    reasons["mood"] = why
    intensity = features.energy
    reasons["intensity"] = f"{features.lufs:.0f} LUFS and {features.onset_rate:.1f} strong onsets a second"
    octave = abs(bpm - features.bpm) > 2.0
    reasons["tempo"] = f"the clip's own tempo, {features.bpm:.0f} BPM" + (" (an octave moved)" if octave else "")
    if features.has_video:
        duration = round(min(features.duration, max_duration), 2)
        reasons["length"] = f"exactly the video's {features.duration:.1f} s, fading out at the end"
    elif features.duration >= MIN_LENGTH:
        duration = float(min(round(features.duration), max_duration))
        reasons["length"] = f"as long as the clip ({duration:.0f} s)"
    else:
        duration = DEFAULT_LENGTH
        reasons["length"] = f"the clip is short, so a standard {DEFAULT_LENGTH:.0f} s"
    return Recommendation(
        genre=genre,
        mood=mood,
        intensity=intensity,
        bpm=bpm,
        key=features.key,
        duration=duration,
        fade_out=features.has_video,
        reasons=reasons,
    )

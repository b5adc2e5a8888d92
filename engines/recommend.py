"""From what a clip sounds like to what to compose for it: genre, mood, intensity, tempo and length, each with a
reason a person reads.

The rules follow the seed's "smart recommendations": energy → mood and intensity, tempo → genre, a video's length
→ the track's length. Genre and mood names are words every engine's prompt reader understands (the synth's styles
among them); they go into the prompt as they are. What a person reads is not written here: each reason is a
:class:`Reason` — a stable code and its values — that the chat side renders in the person's language (engines never
import the bot). Labels (genres, moods, levels) are stable codes too, listed in the constants below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engines.analysis import Features

MIN_LENGTH, DEFAULT_LENGTH = 10.0, 30.0
# (lowest BPM, genre, the top of its usual range); the first row whose floor the tempo reaches wins.
_TEMPO_GENRES: tuple[tuple[float, str, float], ...] = (
    (160.0, "drum and bass", 180.0),
    (135.0, "trap", 160.0),
    (118.0, "house", 135.0),
    (95.0, "synthwave", 118.0),
    (75.0, "lofi hip hop", 95.0),
    (0.0, "ambient", 75.0),
)
#: Every genre and mood a recommendation can name (the chat side has a label for each).
GENRES = ("drum and bass", "trap", "house", "techno", "synthwave", "lofi hip hop", "ambient", "cinematic")
MOODS = ("epic", "dreamy", "calm", "dark", "energetic", "happy")

ReasonValue = str | float


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one choice was made: a stable ``code`` (one of :data:`REASONS`) and the values its sentence shows.

    Values named ``genre``, ``key``, ``mode``, ``energy`` and ``brightness`` hold label codes (a genre of
    :data:`GENRES`, ``"A minor"``, ``minor``, ``low``, ``dark``…) that are translated too; the rest are numbers.
    """

    code: str
    values: dict[str, ReasonValue] = field(default_factory=dict)


#: Every reason code, with the names of the values it carries.
REASONS: dict[str, tuple[str, ...]] = {
    "genre.range": ("bpm", "genre", "low", "high"),  # 124 BPM sits in house's range (118–135)
    "genre.below": ("bpm", "genre", "high"),  # 70 BPM is under 75, where ambient lives
    "genre.dark": ("bpm", "genre", "low", "high"),  # 124 BPM with a dark sound: techno (118–135)
    "genre.cinematic": ("bpm", "genre"),  # low energy and a dark sound at 80 BPM: cinematic
    "mood.rising": (),  # the energy builds through the clip
    "mood.low": ("mode",),  # low energy in a minor key
    "mood.minor": ("key", "brightness"),  # A minor, warm
    "mood.major": ("key", "energy"),  # C major, high energy
    "intensity.level": ("lufs", "onsets"),  # −9 LUFS and 6 strong onsets a second
    "tempo.own": ("bpm",),  # the clip's own tempo, 124 BPM
    "tempo.octave": ("bpm",),  # the clip's own tempo, 236 BPM, moved by an octave
    "length.video": ("seconds",),  # exactly the video's 17.4 s, fading out at the end
    "length.clip": ("seconds",),  # as long as the clip (42 s)
    "length.short": ("seconds",),  # the clip is short, so a standard 30 s
}


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What to compose to match a clip, and why (one :class:`Reason` per choice)."""

    genre: str
    mood: str
    intensity: str  # low | medium | high
    bpm: float
    key: str
    duration: float
    fade_out: bool  # a video's track ends with a fade
    reasons: dict[str, Reason]  # genre, mood, intensity, tempo, length

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
        """The inverse of :meth:`as_dict` (reasons stored by an older version as plain sentences are dropped)."""
        raw = values.get("reasons") or {}
        reasons = {
            name: Reason(str(reason["code"]), dict(reason.get("values") or {}))
            for name, reason in raw.items()
            if isinstance(reason, dict) and "code" in reason
        }
        return cls(**{**values, "reasons": reasons})


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
    low, genre, high = next(row for row in _TEMPO_GENRES if bpm >= row[0])
    why_genre = Reason("genre.range", {"bpm": bpm, "genre": genre, "low": low, "high": high})
    if low == 0.0:
        why_genre = Reason("genre.below", {"bpm": bpm, "genre": genre, "high": high})
    if genre == "house" and features.brightness == "dark":
        genre = "techno"
        why_genre = Reason("genre.dark", {"bpm": bpm, "genre": genre, "low": low, "high": high})
    if genre in ("synthwave", "ambient", "lofi hip hop") and features.energy == "low" and features.brightness == "dark":
        genre = "cinematic"
        why_genre = Reason("genre.cinematic", {"bpm": bpm, "genre": genre})
    reasons = {"genre": why_genre}
    minor = features.key.endswith("minor")
    if features.energy_shape == "rising":
        mood, why = "epic", Reason("mood.rising")
    elif features.energy == "low":
        mood, why = ("dreamy" if minor else "calm"), Reason("mood.low", {"mode": "minor" if minor else "major"})
    elif minor:
        mood = "dark" if features.brightness != "bright" else "energetic"
        why = Reason("mood.minor", {"key": features.key, "brightness": features.brightness})
    else:
        mood = "happy" if features.energy != "high" else "energetic"
        why = Reason("mood.major", {"key": features.key, "energy": features.energy})
    reasons["mood"] = why
    intensity = features.energy
    onsets = round(features.onset_rate, 1)
    reasons["intensity"] = Reason("intensity.level", {"lufs": float(round(features.lufs)), "onsets": onsets})
    octave = abs(bpm - features.bpm) > 2.0
    reasons["tempo"] = Reason("tempo.octave" if octave else "tempo.own", {"bpm": float(round(features.bpm))})
    if features.has_video:
        duration = round(min(features.duration, max_duration), 2)
        reasons["length"] = Reason("length.video", {"seconds": round(features.duration, 1)})
    elif features.duration >= MIN_LENGTH:
        duration = float(min(round(features.duration), max_duration))
        reasons["length"] = Reason("length.clip", {"seconds": duration})
    else:
        duration = DEFAULT_LENGTH
        reasons["length"] = Reason("length.short", {"seconds": DEFAULT_LENGTH})
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

"""Prompt intake: turn what a person typed into a checked generation request, or a clear reason why not.

Advanced parameters may appear anywhere in the text and are removed from the prompt the engine sees::

    bpm=120   key=Am   key="F# minor"   30s / 45 sec / 2 min   seed=42   loop   engine=ace-step-1.5

A tempo written in words ("128 bpm") is also read as the ``bpm`` parameter but stays in the prompt.

Anything of the form ``name=value`` with an unknown name is refused (a typo must not silently cost a credit).
Nothing here spends anything: intake runs before the quota is touched.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from engines.base import Capabilities

MAX_PROMPT_CHARS = 500
DEFAULT_DURATION = 30.0
_KNOWN = ("bpm", "key", "seed", "duration", "loop", "engine")
_ENGINE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./:-]{0,63}$")
_PARAM = re.compile(r"""(?<![\w=])([A-Za-z_]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"']+)""")
# The sign is read so that "-5s" is refused as a length, not taken as 5 s with a stray dash left in the prompt.
_LENGTH = re.compile(r"(?<![\w.-])(-?\d{1,4}(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?)(?![\w])", re.I)
_LOOP = re.compile(r"(?<![\w-])loop(?![\w-])", re.I)
_TEMPO = re.compile(r"(?<![\w.=])(\d{2,3}(?:\.\d+)?)\s*bpm\b", re.I)
_KEY = re.compile(r"^([A-Ga-g])([#♯b♭]?)\s*(m|min|minor|maj|major)?$")
_NOTE_NAMES = {"C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B"}


class IntakeError(ValueError):
    """The input cannot become a request. ``key`` names the user text; ``values`` fill it in."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Intake:
    """A checked request: the prompt for the engine plus the parameters the person set."""

    prompt: str
    duration: float = DEFAULT_DURATION
    bpm: float | None = None
    key: str | None = None
    seed: int | None = None
    loop: bool = False
    genre: str | None = None
    mood: str | None = None
    explicit: frozenset[str] = field(default_factory=frozenset)
    engine: str | None = None  # ``engine=`` names an offered engine/model (engines.catalogue); not a job param

    def params(self) -> dict[str, Any]:
        """JSON-ready parameters for the job record."""
        values: dict[str, Any] = {"duration": self.duration, "loop": self.loop}
        for name in ("bpm", "key", "seed", "genre", "mood"):
            value = getattr(self, name)
            if value is not None:
                values[name] = value
        return values


def parse(text: str | None, *, default_duration: float = DEFAULT_DURATION) -> Intake:
    """Parse ``text`` into an Intake; raises IntakeError with a user text key on bad input."""
    if text is None or not text.strip():
        raise IntakeError("intake.empty")
    if len(text) > MAX_PROMPT_CHARS:
        raise IntakeError("intake.too_long", limit=MAX_PROMPT_CHARS, length=len(text))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise IntakeError("intake.control_chars")
    if not _visible(text):  # "\u200b\u200b" is not blank to str.strip(), but nobody can read it
        raise IntakeError("intake.invisible")
    values: dict[str, Any] = {}
    explicit: set[str] = set()

    def take_param(match: re.Match[str]) -> str:
        name, raw = match[1].lower(), match[2].strip("\"'")
        if name not in _KNOWN:
            raise IntakeError("intake.unknown_param", name=match[1][:32], known=", ".join(_KNOWN))
        if name in values:  # "bpm=120 bpm=130": refused rather than silently taking the last
            raise IntakeError("intake.duplicate_param", name=name, example=f"{name}={match[2][:24]}")
        values[name] = _convert(name, raw)
        explicit.add(name)
        return " "

    rest = _PARAM.sub(take_param, text)
    lengths = list(_LENGTH.finditer(rest))
    if len(lengths) + ("duration" in values) > 1:  # "30s … 45s", or duration=30 and "45s"
        raise IntakeError("intake.duplicate_param", name="duration", example=lengths[0][0] if lengths else "30s")
    if "duration" not in values:
        length = _LENGTH.search(rest)
        if length:
            values["duration"] = _seconds(length[1], length[2])
            explicit.add("duration")
            rest = rest[: length.start()] + " " + rest[length.end() :]
    if "bpm" not in values:  # "dark techno 128 bpm": the words stay in the prompt, the tempo becomes a parameter
        tempo = _TEMPO.search(rest)
        if tempo:
            values["bpm"] = _convert("bpm", tempo[1])
            explicit.add("bpm")
    if _LOOP.search(rest) or values.get("loop"):
        values["loop"] = True
        explicit.add("loop")
        rest = _LOOP.sub(" ", rest)
    prompt = " ".join(rest.split())
    if not _visible(prompt):
        raise IntakeError("intake.only_params")
    mood = None
    if _only_symbols(prompt):  # "🔥" is read for its mood; symbols with no known mood are refused, never blank
        moods = list(dict.fromkeys(m for ch in prompt if (m := EMOJI_MOODS.get(ch)) is not None))
        if not moods:
            raise IntakeError("intake.emoji_only")
        prompt, mood = " ".join(moods) + " " + prompt, moods[0]
    return Intake(
        mood=mood,
        prompt=prompt,
        duration=float(values.get("duration", default_duration)),
        bpm=values.get("bpm"),
        key=values.get("key"),
        seed=values.get("seed"),
        loop=bool(values.get("loop", False)),
        explicit=frozenset(explicit),
        engine=values.get("engine"),
    )


def check(intake: Intake, capabilities: Capabilities) -> Intake:
    """Refuse what the engine cannot do (before any credit is spent)."""
    check_duration(intake.duration, capabilities)
    if intake.loop and not capabilities.can_loop:
        raise IntakeError("intake.no_loop")
    return intake


def check_duration(seconds: float, capabilities: Capabilities) -> None:
    """Refuse a length outside the engine's ``[min_duration, max_duration]`` (IntakeError, nothing spent)."""
    if seconds > capabilities.max_duration:
        raise IntakeError("intake.too_long_duration", seconds=_fmt(seconds), limit=_fmt(capabilities.max_duration))
    if seconds < capabilities.min_duration:
        raise IntakeError("intake.too_short_duration", seconds=_fmt(seconds), limit=_fmt(capabilities.min_duration))


def _convert(name: str, raw: str) -> Any:
    if name == "bpm":
        try:
            bpm = float(raw)
        except ValueError:
            raise IntakeError("intake.bad_bpm", value=raw[:16]) from None
        if not 40 <= bpm <= 220:
            raise IntakeError("intake.bad_bpm", value=raw[:16])
        return bpm
    if name == "seed":
        try:  # int() decides what a number is: "²".isdigit() is True, but int("²") raises
            seed = int(raw)
        except ValueError:
            raise IntakeError("intake.bad_seed", value=raw[:16]) from None
        if not 0 <= seed < 2**32:
            raise IntakeError("intake.bad_seed", value=raw[:16])
        return seed
    if name == "key":
        return normalize_key(raw)
    if name == "duration":
        length = _LENGTH.fullmatch(raw) or re.fullmatch(r"(\d{1,4}(?:\.\d+)?)()", raw)
        if not length:
            raise IntakeError("intake.bad_duration", value=raw[:16])
        return _seconds(length[1], length[2] or "s")
    if name == "engine":
        if not _ENGINE_NAME.match(raw):
            raise IntakeError("intake.bad_engine", value=raw[:32])
        return raw
    if name == "loop":
        if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise IntakeError("intake.bad_loop", value=raw[:16])
        return raw.lower() in ("1", "true", "yes", "on")
    raise AssertionError(name)  # pragma: no cover - _KNOWN and this function list the same names


#: Characters that draw nothing but are not whitespace to ``str.isspace`` (besides format characters, category Cf:
#: zero-width space/joiners, word joiner, BOM): Hangul fillers and the blank Braille pattern.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(text: str) -> bool:
    """True when ``text`` has at least one character a reader can see."""
    return any(not (ch.isspace() or ch in _BLANK or unicodedata.category(ch) == "Cf") for ch in text)


def normalize_key(raw: str) -> str:
    """``Am`` → ``A minor``, ``F#`` → ``F# major``, ``eb minor`` → ``Eb minor``; IntakeError otherwise."""
    match = _KEY.match(raw.strip())
    if not match:
        raise IntakeError("intake.bad_key", value=raw[:16])
    accidental = {"♯": "#", "♭": "b"}.get(match[2], match[2])
    note = match[1].upper() + accidental
    if note not in _NOTE_NAMES:
        raise IntakeError("intake.bad_key", value=raw[:16])
    mode = "minor" if (match[3] or "").lower() in ("m", "min", "minor") else "major"
    return f"{note} {mode}"


def _seconds(number: str, unit: str) -> float:
    value = float(number)
    seconds = value * 60 if unit.lower().startswith("m") else value
    if seconds <= 0:
        raise IntakeError("intake.bad_duration", value=number)
    return seconds


#: Emoji read as a mood when a prompt has no words (variation selectors such as U+FE0F are ignored).
EMOJI_MOODS = {
    "🔥": "energetic", "⚡": "energetic", "🚀": "energetic", "💃": "energetic", "🕺": "energetic",
    "🌧": "melancholic", "☔": "melancholic", "😢": "melancholic", "😭": "melancholic", "💔": "melancholic",
    "😌": "calm", "🌊": "calm", "🧘": "calm", "🍃": "calm", "☕": "calm",
    "🌙": "dreamy", "✨": "dreamy", "💤": "dreamy", "☁": "dreamy",
    "🎉": "uplifting", "☀": "uplifting", "🌞": "uplifting", "😊": "uplifting", "🥳": "uplifting",
    "🌑": "dark", "💀": "dark", "🖤": "dark", "👻": "dark", "🦇": "dark",
    "🏆": "epic", "⚔": "epic", "🐉": "epic", "🏔": "epic",
}  # fmt: skip


def _only_symbols(prompt: str) -> bool:
    """True when a prompt has symbols (emoji) but no letters or digits."""
    categories = [unicodedata.category(ch) for ch in prompt if not ch.isspace()]
    return any(c == "So" for c in categories) and not any(c[0] in "LN" for c in categories)


def _fmt(seconds: float) -> str:
    return f"{seconds:g}"

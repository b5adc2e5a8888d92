"""Reading a prompt: genre, mood, tempo, key, length and instruments, merged with the request's own fields.

Request fields always win over words in the prompt. Anything the prompt leaves open is chosen from the seed and
a stable hash of the prompt, so the same request and seed always read the same way.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from engines.base import GenerationRequest
from engines.synth.patterns import FALLBACK_GENRE_WORDS, INSTRUMENT_GENRES, MOOD_GENRES, STYLES, SYNONYMS, Style
from engines.synth.theory import Key, parse_key

_BPM = re.compile(r"(?:at\s+)?(\d{2,3}(?:\.\d+)?)\s*-?\s*bpm\b", re.IGNORECASE)
_SECONDS = re.compile(r"\b(\d+(?:\.\d+)?)\s*-?\s*(seconds?|secs?|s|minutes?|mins?|m)\b(?!\w)", re.IGNORECASE)
_KEY_PATTERNS = (
    re.compile(
        r"\b(?i:in(?: the key of)?|key(?: of)?:?)\s+"
        r"([A-G](?:#|♯|b|♭)?\s*(?:major|minor|maj|min|m)?|[a-g](?:#|♯|b|♭)?\s*(?:major|minor))(?![\w#♯♭-])"
    ),
    re.compile(r"\b([A-Ga-g](?:#|♯|b|♭)?\s+(?:major|minor))\b", re.IGNORECASE),
    re.compile(r"(?<![\w#])([A-G](?:#|♯|b|♭)?m)(?![\w#♯♭])"),
    re.compile(r"(?<![\w#-])([B-G](?:#|♯|b|♭)?|A(?:#|♯|b|♭))(?![\w#♯♭'-])"),  # a bare "A" is usually the article
)
# English, Portuguese and Spanish words for each mood.
_MOODS: dict[str, tuple[str, ...]] = {
    "dark": ("dark", "moody", "gloomy", "sinister", "evil", "night", "underground", "mysterious", "eerie", "tense",
             "sombrio", "escuro", "sombría", "sombrío", "oscuro", "oscura", "noite", "noche", "tenso"),
    "happy": ("happy", "uplifting", "joyful", "bright", "sunny", "cheerful", "fun", "positive", "summer", "upbeat",
              "feliz", "alegre", "animado", "animada", "verão", "verano", "divertido"),
    "calm": ("calm", "relaxed", "relaxing", "peaceful", "mellow", "gentle", "soft", "chill", "cozy", "quiet",
             "calmo", "calma", "tranquilo", "tranquila", "relaxante", "relajante", "suave", "sereno", "serena"),
    "energetic": ("energetic", "hype", "intense", "aggressive", "powerful", "driving", "hard", "fast", "banger",
                  "heavy", "energético", "energética", "enérgico", "enérgica", "intenso", "pesado", "rápido"),
    "sad": ("sad", "melancholic", "melancholy", "emotional", "nostalgic", "lonely", "heartbreak", "rainy", "rain",
            "triste", "melancólico", "melancólica", "saudade", "chuva", "lluvia", "nostálgico", "solitário"),
    "epic": ("epic", "heroic", "grand", "majestic", "triumphant", "battle", "adventure", "épico", "épica",
             "heroico", "heroica", "batalha", "batalla", "aventura"),
    "dreamy": ("dreamy", "ethereal", "floaty", "hazy", "spacey", "space", "dream", "magical", "sonhador", "soñador",
               "etéreo", "mágico", "sonho", "sueño"),
}  # fmt: skip
# mood → (minor?, brightness shift, density shift, reverb shift, tempo factor)
_MOOD_EFFECT: dict[str, tuple[bool | None, float, float, float, float]] = {
    "dark": (True, -0.15, 0.0, 0.04, 1.0),
    "happy": (False, 0.15, 0.1, 0.0, 1.03),
    "calm": (None, -0.1, -0.15, 0.05, 0.92),
    "energetic": (None, 0.1, 0.2, -0.03, 1.05),
    "sad": (True, -0.1, -0.1, 0.06, 0.92),
    "epic": (True, 0.05, 0.1, 0.08, 1.0),
    "dreamy": (None, -0.05, -0.05, 0.12, 0.95),
}
_NO_DRUMS = re.compile(
    r"\b(no|without|zero|sem|sin)\s+(drums?|percussion|percussão|percusión|beats?|bateria|batería)\b|\bdrumless\b",
    re.IGNORECASE,
)
# A bare number that is not a length, a decade or a drum machine reads as a tempo ("dubstep 140").
_BARE_NUMBER = re.compile(r"(?<![\w.#/:-])(\d{2,3})(?![\w.%'’:/-])")
_SOUNDS: tuple[tuple[str, str, str], ...] = (  # (word, layer, sound)
    ("piano", "chords", "piano"),
    ("keys", "chords", "epiano"),
    ("rhodes", "chords", "epiano"),
    ("electric piano", "chords", "epiano"),
    ("strings", "chords", "strings"),
    ("violin", "chords", "strings"),
    ("cello", "bass", "low_strings"),
    ("pad", "chords", "pad"),
    ("808", "bass", "808"),
    ("pluck", "lead", "pluck"),
    ("guitar", "lead", "guitar"),
    ("guitarra", "lead", "guitar"),
    ("violão", "lead", "guitar"),
    ("harp", "lead", "pluck"),
    ("bell", "lead", "bell"),
    ("sino", "lead", "bell"),
    ("campana", "lead", "bell"),
    ("music box", "lead", "bell"),
    ("choir", "chords", "choir"),
    ("coro", "chords", "choir"),
    ("fiddle", "lead", "fiddle"),
    ("cordas", "chords", "strings"),
    ("cuerdas", "chords", "strings"),
    ("brass", "lead", "brass"),
    ("horn", "lead", "brass"),
    ("synth lead", "lead", "saw"),
    ("flute", "lead", "soft"),
    ("acoustic", "chords", "piano"),
    ("acoustic", "bass", "upright"),
    ("upright", "bass", "upright"),
    ("reese", "bass", "reese"),
)


@dataclass(frozen=True, slots=True)
class PromptHints:
    """What the prompt text says, each field None when it says nothing."""

    genre: str | None = None
    mood: str | None = None
    bpm: float | None = None
    key: Key | None = None
    seconds: float | None = None
    drums: bool = True
    sounds: dict[str, str] = field(default_factory=dict)  # layer → sound
    arp: bool | None = None
    crackle: bool | None = None


@dataclass(frozen=True, slots=True)
class Brief:
    """Everything the composer needs, fully decided."""

    style: Style
    mood: str | None
    bpm: float
    key: Key
    seconds: float
    drums: bool
    seed: int
    prompt_hash: int


def _first(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    """The entry whose word appears earliest in ``text``."""
    best: tuple[int, str] | None = None
    for name, words in table.items():
        for word in words:
            match = re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), name)
    return best[1] if best else None


def parse_prompt(text: str) -> PromptHints:
    """Read genre, mood, tempo, key, length and instrument words from free text."""
    lower = text.lower()
    genre = _first(lower, SYNONYMS) or _first(lower, INSTRUMENT_GENRES)
    genre = genre or _first(lower, {v: (k,) for k, v in FALLBACK_GENRE_WORDS.items()})
    bpm_match = _BPM.search(text)
    bpm = float(bpm_match.group(1)) if bpm_match else None
    seconds = None
    taken: list[tuple[int, int]] = [bpm_match.span()] if bpm_match else []
    for match in _SECONDS.finditer(text):
        number, unit = float(match.group(1)), match.group(2).lower()
        taken.append(match.span())
        if unit == "s" and re.fullmatch(r"[5-9]0|19\d0|20\d0|808|909|303", match.group(1)):
            continue  # "80s synthwave" is a decade and "808s" are drum machines, not lengths
        seconds = number * (60.0 if unit.startswith("m") else 1.0)
        break
    if bpm is None:
        for match in _BARE_NUMBER.finditer(text):
            value = int(match.group(1))
            inside = any(a <= match.start() < b for a, b in taken)
            if not inside and 50 <= value <= 200 and value not in (808, 909, 303):
                bpm = float(value)
                break
    key = None
    for pattern in _KEY_PATTERNS:
        found = pattern.search(text)
        if found:
            try:
                key = parse_key(found.group(1))
            except ValueError:
                continue
            break
    sounds: dict[str, str] = {}
    for word, layer, sound in _SOUNDS:
        if re.search(rf"(?<![\w]){re.escape(word)}s?(?![\w])", lower) and layer not in sounds:
            sounds[layer] = sound
    return PromptHints(
        genre=genre,
        mood=_first(lower, _MOODS),
        bpm=bpm,
        key=key,
        seconds=seconds,
        drums=not _NO_DRUMS.search(text),
        sounds=sounds,
        arp=True if re.search(r"\barp(eggio|eggiated|s)?\b", lower) else None,
        crackle=True if re.search(r"\b(vinyl|crackle|dusty|tape)\b", lower) else None,
    )


def prompt_hash(text: str) -> int:
    """A hash of the prompt that is stable across processes (unlike ``hash``)."""
    return zlib.crc32(" ".join(text.lower().split()).encode())


def _genre_name(text: str | None) -> str | None:
    if text is None:
        return None
    lowered = text.strip().lower()
    return lowered if lowered in STYLES else _first(lowered, SYNONYMS)


def brief_for(request: GenerationRequest, seed: int, key: Key | None = None) -> Brief:
    """Decide every musical choice for ``request``; request fields win, the seed fills the gaps."""
    hints = parse_prompt(request.prompt)
    digest = prompt_hash(request.prompt)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32, digest])
    genre = _genre_name(request.genre) or hints.genre
    mood = (request.mood or "").strip().lower() or None
    mood = (_first(mood, _MOODS) or mood) if mood else hints.mood
    if genre is None and mood in MOOD_GENRES:  # no genre or instrument named: the mood decides
        genre = str(rng.choice(MOOD_GENRES[mood]))
    if genre is None:  # nothing named: a pleasant genre picked by prompt and seed
        genre = str(rng.choice(["house", "lofi", "synthwave", "jazzy", "ambient", "techno", "pop", "funk"]))
    style = STYLES[genre]
    minor_pref, bright, dense, wet, pace = _MOOD_EFFECT.get(mood or "", (None, 0.0, 0.0, 0.0, 1.0))
    style = replace(
        style,
        brightness=float(np.clip(style.brightness + bright, 0.1, 0.95)),
        density=float(np.clip(style.density + dense, 0.1, 0.9)),
        reverb=float(np.clip(style.reverb + wet, 0.05, 0.5)),
        chord_sound=hints.sounds.get("chords", style.chord_sound),
        lead_sound=hints.sounds.get("lead", style.lead_sound),
        bass_sound=hints.sounds.get("bass", style.bass_sound),
        arp=hints.arp if hints.arp is not None else style.arp,
        crackle=hints.crackle if hints.crackle is not None else style.crackle,
    )
    # the seed nudges tempo (±4 %) and swing, so two seeds of one prompt do not march in lockstep
    nudge, swing_nudge = float(rng.uniform(-0.04, 0.04)), float(rng.uniform(-0.04, 0.04))
    if style.swing:
        style = replace(style, swing=float(np.clip(style.swing + swing_nudge, 0.0, 0.4)))
    bpm = request.bpm or hints.bpm
    if bpm is None:
        bpm = round(style.bpm * (1.0 if genre == "dnb" else pace) * (1.0 + nudge))
    if key is None:
        key = hints.key
    if key is None:
        minor = minor_pref if minor_pref is not None else style.minor
        if minor is None:
            minor = bool(rng.random() < 0.6)
        key = Key(int(rng.choice([0, 2, 4, 5, 7, 9, 11, 1, 3, 6, 8, 10], p=_TONIC_ODDS)), minor)
    drums = hints.drums and any(style.drums[0].values())
    return Brief(style, mood, float(bpm), key, float(request.duration), drums, seed, digest)


# Common keys come up more often; every tonic is possible.
_TONIC_ODDS = np.array([12, 10, 9, 10, 10, 12, 5, 4, 6, 7, 5, 4]) / 94.0

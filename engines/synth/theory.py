"""Keys, scales, chords and voice-led progressions — everything stays inside the key's scale.

Chromatic notes are avoided on purpose: a listener (or a key finder) should hear the asked key, so minor keys use
the natural minor scale and the tonic is leaned on by the bass and the phrase ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"": 0, "#": 1, "♯": 1, "sharp": 1, "b": -1, "♭": -1, "flat": -1}
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
_KEY = re.compile(
    r"^\s*([A-Ga-g])\s*(#|♯|b|♭|sharp|flat)?\s*(major|minor|maj|min|m|dorian|aeolian|ionian)?\s*$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Key:
    """A tonic pitch class (0 = C) and a mode."""

    tonic: int
    minor: bool

    @property
    def scale(self) -> tuple[int, ...]:
        """The seven pitch classes of the key, tonic first."""
        return tuple((self.tonic + step) % 12 for step in (MINOR if self.minor else MAJOR))

    @property
    def name(self) -> str:
        """Readable name, e.g. ``"F# minor"``."""
        return f"{NOTE_NAMES[self.tonic]} {'minor' if self.minor else 'major'}"

    def degree_pitch(self, degree: int, octave: int) -> int:
        """MIDI note of scale ``degree`` (0-based, may exceed 6 or be negative) from octave ``octave``'s tonic."""
        steps = MINOR if self.minor else MAJOR
        wrap, index = divmod(degree, 7)
        return 12 * (octave + 1 + wrap) + self.tonic + steps[index]


def parse_key(text: str) -> Key:
    """``"A minor"``, ``"Am"``, ``"F#"``, ``"Eb major"``, ``"in D"`` → :class:`Key`; ValueError if unreadable.

    A bare tonic means major, as musicians read it.
    """
    cleaned = re.sub(r"^\s*(in|key of)\s+", "", text.strip(), flags=re.IGNORECASE)
    match = _KEY.match(cleaned)
    if not match:
        raise ValueError(f"not a key: {text!r}")
    letter, accidental, mode = match.group(1).upper(), (match.group(2) or "").lower(), (match.group(3) or "")
    minor = mode.lower() in ("minor", "min", "aeolian", "dorian") or mode == "m"
    if mode == "M":  # "CM" is C major in lead-sheet notation
        minor = False
    return Key((_LETTERS[letter] + _ACCIDENTALS[accidental]) % 12, minor)


def chord(
    key: Key, degree: int, octave: int, sevenths: bool = False, ninths: bool = False, harmonic: bool = True
) -> list[int]:
    """MIDI notes of the triad (or seventh / ninth chord) on ``degree``, root position.

    Degrees are diatonic, except: in minor, V (degree 4) is the harmonic-minor dominant (its third raised to the
    leading tone) unless ``harmonic`` is off (modal, darker styles keep the minor v); degree 10 + d is the
    secondary dominant of degree d (V/d: a major triad a fifth above d, with a minor seventh when sevenths are on).
    """
    if degree >= 10:  # secondary dominant V/d
        target = key.degree_pitch(degree - 10, octave)
        root = target + 7 if target + 7 < 12 * (octave + 2) else target - 5
        return [root, root + 4, root + 7] + ([root + 10] if sevenths else [])
    stack = (0, 2, 4, 6, 8) if ninths else (0, 2, 4, 6) if sevenths else (0, 2, 4)
    notes = [key.degree_pitch(degree + step, octave) for step in stack]
    if key.minor and harmonic and degree % 7 == 4:
        notes[1] += 1  # the leading tone: E major in A minor, pulling home to the tonic
    return notes


def voice_lead(previous: list[int] | None, target: list[int], low: int, high: int) -> list[int]:
    """Re-voice ``target``'s pitch classes within [low, high] so it moves least from ``previous``."""
    classes = sorted({note % 12 for note in target}, key=lambda pc: (pc - target[0]) % 12)
    candidates: list[list[int]] = []
    for inversion in range(len(classes)):
        order = classes[inversion:] + classes[:inversion]
        for base in range(low, high - 11):
            if base % 12 != order[0]:
                continue
            voicing = [base]
            for pc in order[1:]:
                voicing.append(voicing[-1] + ((pc - voicing[-1]) % 12 or 12))
            if voicing[-1] <= high:
                candidates.append(voicing)
    if not candidates:
        return target
    if previous is None:  # no history: the voicing nearest the middle of the range
        centre = (low + high) / 2
        return min(candidates, key=lambda v: abs(float(np.mean(v)) - centre))
    return min(candidates, key=lambda v: sum(min(abs(n - p) for p in previous) for n in v))


def midi_to_hz(note: float) -> float:
    """Equal-tempered frequency of a (possibly fractional) MIDI note, A4 = 440 Hz."""
    return float(440.0 * 2.0 ** ((note - 69.0) / 12.0))


# Progressions as scale degrees (0 = tonic), one chord per bar, each starting on the tonic. Minor ones return to
# i often and favour iv/v/VI over III, so they never drift into the relative major.
# Eight-bar progressions per family: the seed picks one for the verse ("main") and a different one for the
# chorus ("drop"); 1x is the secondary dominant of x (e.g. 14 = V/V). Each ends on a cadence home to the tonic.
PROGRESSIONS_8: dict[str, tuple[tuple[int, ...], ...]] = {
    # Minor leans on i, iv and the major V (its leading tone), and touches III and VII only in passing, so it never
    # reads as the relative major; major leans on I, IV and V, with vi and ii for colour.
    "minor": ((0, 5, 3, 4, 0, 5, 3, 4), (0, 3, 0, 4, 0, 3, 14, 4), (0, 0, 5, 5, 3, 3, 4, 4),
              (0, 3, 5, 4, 0, 1, 4, 4), (0, 5, 0, 3, 0, 5, 1, 4), (0, 3, 4, 0, 5, 3, 4, 4)),
    "minor_dark": ((0, 5, 0, 4, 0, 1, 0, 4), (0, 0, 5, 5, 0, 0, 3, 4), (0, 3, 0, 5, 0, 1, 4, 4)),
    "minor_jazz": ((0, 3, 6, 2, 5, 1, 4, 4), (0, 3, 1, 4, 0, 5, 1, 4), (0, 5, 3, 6, 2, 5, 1, 4)),
    "major": ((0, 3, 4, 0, 0, 3, 4, 4), (0, 3, 0, 4, 5, 3, 14, 4), (0, 4, 3, 4, 0, 1, 3, 4),
              (0, 3, 0, 4, 0, 3, 1, 4), (0, 1, 4, 0, 0, 5, 13, 4), (0, 0, 3, 3, 0, 0, 4, 4)),
    "major_jazz": ((0, 3, 1, 4, 0, 5, 1, 4), (0, 3, 0, 15, 1, 14, 1, 4), (0, 3, 1, 4, 0, 3, 1, 4)),
    "static": ((0, 0, 0, 0, 0, 0, 5, 0), (0, 0, 3, 0, 0, 0, 4, 0), (0, 0, 3, 0, 0, 0, 4, 0)),
}  # fmt: skip
PROGRESSIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "minor": ((0, 5, 6, 0), (0, 3, 5, 4), (0, 5, 3, 4), (0, 6, 5, 6), (0, 3, 0, 4), (0, 0, 5, 6)),
    "minor_dark": ((0, 5, 0, 4), (0, 1, 0, 4), (0, 0, 5, 5), (0, 3, 0, 5)),
    "minor_jazz": ((0, 3, 6, 2), (0, 3, 4, 0), (0, 5, 1, 4), (0, 3, 5, 4)),
    "major": ((0, 4, 5, 3), (0, 3, 4, 0), (0, 5, 3, 4), (0, 3, 0, 4), (0, 2, 3, 4)),
    "major_jazz": ((0, 5, 1, 4), (0, 3, 1, 4), (0, 2, 1, 4), (0, 5, 3, 4)),
    "static": ((0, 0, 0, 0), (0, 0, 5, 0), (0, 0, 3, 0)),
}

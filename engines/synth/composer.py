"""The score: drums, bass, chords, arpeggio, lead and effects, written straight into the mixer's buses.

All choices come from one seeded generator, so a brief and seed always give the same music. The tonic is leaned
on deliberately — progressions start on it, the bass states it at each phrase start, melodies end on it — so the
asked key is the key that is heard.
"""

from __future__ import annotations

import numpy as np

from engines.synth.arrangement import Section
from engines.synth.instruments import SR, crackle, drum, glide_808, riser, tone
from engines.synth.mixer import Bus, frame_at, grid
from engines.synth.patterns import STYLES, VELOCITY
from engines.synth.prompt import Brief
from engines.synth.theory import PROGRESSIONS, chord, voice_lead

_LEVEL = {"kick": 1.0, "snare": 0.55, "gated": 0.5, "ghost": 0.5, "clap": 0.5, "hat": 0.22, "roll": 0.16,
          "ohat": 0.2, "ride": 0.2, "shaker": 0.2, "rim": 0.3, "tom": 0.5, "lowtom": 0.75, "brush": 0.35,
          "pedal": 0.25, "crash": 0.25, "impact": 0.7}  # fmt: skip
_PAN = {"hat": 0.3, "roll": 0.35, "ohat": 0.35, "ride": -0.35, "shaker": 0.45, "rim": -0.25, "tom": -0.3,
        "brush": 0.15, "pedal": 0.2, "crash": -0.2}  # fmt: skip
_LIGHT = {"kick", "hat", "shaker", "ride", "rim", "pedal", "lowtom", "brush"}
_NO_CYMBALS = {"lofi", "jazzy", "ambient"}
# Alternatives the seed may pick when the prompt names no instrument: different seeds sound different.
_LEADS = {
    "techno": ("saw", "pluck", "stab"),
    "house": ("pluck", "piano", "bell"),
    "lofi": ("bell", "soft", "rhodes"),
    "ambient": ("soft", "bell"),
    "synthwave": ("saw", "brass", "pluck"),
    "dnb": ("pluck", "soft", "bell"),
    "trap": ("bell", "pluck", "soft"),
    "cinematic": ("brass", "soft"),
    "jazzy": ("piano", "rhodes", "soft"),
}


class Composer:
    """Writes one piece into buses ``drums``, ``bass``, ``chords``, ``lead`` and ``fx``."""

    def __init__(self, brief: Brief, sections: list[Section], frames: int, bars: int, loop: bool) -> None:
        self.brief, self.sections, self.bars, self.loop = brief, sections, bars, loop
        self.style = brief.style
        self.rng = np.random.default_rng([brief.seed & 0xFFFFFFFF, brief.seed >> 32, brief.prompt_hash, 7])
        self.step, self.swing = grid(brief.bpm, self.style.swing)
        self.buses = {name: Bus(frames) for name in ("drums", "bass", "chords", "lead", "fx")}
        self.kicks: list[int] = []
        self.kit = int(self.rng.integers(0, 6))
        family = self.style.progression
        if family in ("minor", "major", "minor_dark"):
            family = family if brief.key.minor and family == "minor_dark" else ("minor" if brief.key.minor else "major")
        elif family.endswith("_jazz"):
            family = "minor_jazz" if brief.key.minor else "major_jazz"
        options = PROGRESSIONS[family]
        self.progression = options[int(self.rng.integers(len(options)))]
        self.lead_sound = self.style.lead_sound
        if self.lead_sound == STYLES[self.style.name].lead_sound:  # the prompt named no lead: the seed picks
            self.lead_sound = str(self.rng.choice(_LEADS[self.style.name]))
        self.drum_bars = self.style.drums[int(self.rng.integers(len(self.style.drums)))]
        self.bass_bar = self.style.bass[int(self.rng.integers(len(self.style.bass)))]
        self.chord_bar = self.style.chords[int(self.rng.integers(len(self.style.chords)))]
        self.arp_order = [(0, 1, 2, 3), (0, 1, 2, 3, 2, 1), (0, 2, 1, 3), (3, 2, 1, 0)][int(self.rng.integers(4))]
        self.motif = self._motif()
        self._lead_degree = 4
        self._last_bass: int | None = None

    def frame(self, bar: int, step: float) -> int:
        """Frame of ``step`` (16ths) in ``bar`` on the absolute grid."""
        return frame_at(16 * bar + step, self.step, self.swing)

    def degree(self, bar: int) -> int:
        """Scale degree of the chord in ``bar``; the last bar of a song resolves to the tonic."""
        if not self.loop and bar == self.bars - 1:
            return 0
        return self.progression[bar % len(self.progression)]

    def write(self) -> dict[str, Bus]:
        """Render every section and return the buses."""
        voicing: list[int] | None = None
        for section in self.sections:
            for bar in range(section.start, section.end):
                ending = not self.loop and bar == self.bars - 1
                if self.brief.drums and section.drums > 0:
                    self._drums(bar, section, ending)
                if section.bass or ending:
                    self._bass(bar, ending)
                voicing = self._chords(bar, voicing, ending)
                if section.arp and self.style.arp and not ending:
                    self._arp(bar, voicing)
                if section.lead and not ending:
                    self._lead(bar, section)
            if section.riser and not self.loop:
                start = self.frame(max(section.end - 2, section.start), 0)
                sweep = riser(self.frame(section.end, 0) - start, self.brief.seed & 0xFFFF)
                self.buses["fx"].place(sweep, start, 0.35)
        if self.style.crackle:
            frames = self.buses["fx"].audio.shape[1]
            self.buses["fx"].place(crackle(frames, self.brief.seed & 0xFFFF), 0, 0.5, 0.0)
        return self.buses

    def _hit(self, voice: str, bar: int, step: float, velocity: float) -> None:
        sound = drum(voice, self.brief.key.tonic, self.kit, int(self.rng.integers(4)))
        frame = self.frame(bar, step)
        if voice == "kick":
            self.kicks.append(frame)
        gain = _LEVEL[voice] * velocity * float(self.rng.uniform(0.9, 1.0))
        self.buses["drums"].place(sound, frame, gain, _PAN.get(voice, 0.0))

    def _drums(self, bar: int, section: Section, ending: bool) -> None:
        if ending:
            self._hit("kick", bar, 0, 1.0)
            if self.style.name not in _NO_CYMBALS:
                self._hit("impact" if "impact" in self.style.extras else "crash", bar, 0, 1.0)
            return
        last = bar == section.end - 1
        pattern = self.style.fill if section.fill and last and section.drums >= 1 else self.drum_bars
        for voice, steps in pattern.items():
            if section.drums < 1 and voice not in _LIGHT:
                continue
            name = "gated" if voice == "snare" and "gated_snare" in self.style.extras else voice
            for index, mark in enumerate(steps):
                if mark in VELOCITY:
                    self._hit(name if voice != "roll" else "roll", bar, index, VELOCITY[mark])
                    if voice == "roll":  # trap rolls: 32nd-note doubles between the 16ths
                        self._hit("roll", bar, index + 0.5, VELOCITY[mark] * 0.8)
        if bar == section.start and section.crash and self.style.name not in _NO_CYMBALS:
            self._hit("impact" if "impact" in self.style.extras else "crash", bar, 0, 1.0)

    def _bass_midi(self, degree: int) -> int:
        midi = self.brief.key.degree_pitch(degree, 1)
        low = 31 if self.style.bass_sound in ("808", "sub") else 33  # nothing under 49 Hz: no sub-40 Hz mud
        return midi + 12 if midi < low else midi

    def _bass(self, bar: int, ending: bool) -> None:
        root = self.degree(bar)
        sound, bus = self.style.bass_sound, self.buses["bass"]
        if ending:
            bus.place(
                tone("sub" if sound == "808" else sound, self._bass_midi(0), int(1.5 * SR), 0.5),
                self.frame(bar, 0),
                0.8,
            )
            return
        pattern = self.bass_bar
        if pattern.startswith("W"):  # walking: root, chord tone, fifth, a step towards the next root
            nxt = self.degree(bar + 1)
            steps = [root, root + int(self.rng.choice([2, 1, -1])), root + 4, nxt + int(self.rng.choice([1, -1]))]
            for beat, deg in enumerate(steps):
                gate = self.frame(bar, 4 * beat + 3.5) - self.frame(bar, 4 * beat)
                bus.place(tone(sound, self._bass_midi(deg), gate, 0.4), self.frame(bar, 4 * beat), 0.9)
            return
        previous = self._last_bass
        for index, mark in enumerate(pattern):
            if mark not in "RFO":
                continue
            holds = len(pattern[index + 1 :]) - len(pattern[index + 1 :].lstrip("-"))
            midi = self._bass_midi(root + (4 if mark == "F" else 0)) + (12 if mark == "O" else 0)
            start = self.frame(bar, index)
            gate = self.frame(bar, index + 1 + holds) - start - int(0.01 * SR)
            if sound == "808":
                note = glide_808(previous if previous is not None else midi, midi, gate)
            else:
                note = tone(sound, midi, gate, self.style.brightness)
            bus.place(note, start, 0.85)
            previous = midi
        self._last_bass = previous

    def _chords(self, bar: int, previous: list[int] | None, ending: bool) -> list[int]:
        notes = chord(self.brief.key, self.degree(bar), 4, self.style.sevenths)
        voicing = voice_lead(previous, notes, 53, 74)
        sound = self.style.chord_sound
        section = next(s for s in self.sections if s.start <= bar < s.end)
        if not section.chords:
            return voicing
        # A soft pedal on the tonic (with a whisper of the key's third and fifth) under every bar: it anchors the
        # key and its mode whatever the chord above, so minor never drifts to the relative major.
        tonic = self.brief.key.degree_pitch(0, 3)
        third = self.brief.key.degree_pitch(2, 4)
        bar_frames = self.frame(bar + 1, 0) - self.frame(bar, 0)
        for note, level in ((tonic, 0.18), (tonic + 7, 0.06), (tonic + 12, 0.07), (third, 0.06)):
            self.buses["chords"].place(tone("soft", note, bar_frames, 0.3), self.frame(bar, 0), level, 0.0)
        rhythm = "C" + "-" * 15 if ending else self.chord_bar
        wide = sound in ("pad", "strings")
        level = (0.32 if wide else 0.42) / np.sqrt(len(voicing))
        for index, mark in enumerate(rhythm):
            if mark != "C":
                continue
            holds = len(rhythm[index + 1 :]) - len(rhythm[index + 1 :].lstrip("-"))
            start = self.frame(bar, index)
            gate = self.frame(bar, index + 1 + holds) - start
            for note in voicing:
                if wide:  # two detuned voices, one each side: width without phase trouble in mono
                    for voice, pan in ((0, -0.7), (1, 0.7)):
                        self.buses["chords"].place(
                            tone(sound, note, gate, self.style.brightness, voice), start, level, pan
                        )
                else:
                    self.buses["chords"].place(tone(sound, note, gate, self.style.brightness), start, level, -0.15)
        return voicing

    def _arp(self, bar: int, voicing: list[int]) -> None:
        notes = [*sorted(voicing), min(voicing) + 12]
        gate = self.frame(bar, 1) - self.frame(bar, 0)
        for index in range(16):
            note = notes[self.arp_order[index % len(self.arp_order)] % len(notes)] + 12
            sound = tone("pluck", note, gate, self.style.brightness * 0.7)
            self.buses["lead"].place(sound, self.frame(bar, index), 0.12, 0.35 if index % 2 else -0.35)

    def _motif(self) -> list[tuple[int, int]]:
        """Two bars of (step, degree move): the melody's rhythm and contour, reused and varied."""
        density = self.style.density
        motif = []
        for step in range(32):
            weight = 1.0 if step % 8 == 0 else 0.8 if step % 4 == 0 else 0.45 if step % 2 == 0 else 0.15
            if step == 0 or self.rng.random() < density * weight * 1.6:
                motif.append((step, int(self.rng.choice([-2, -1, -1, 0, 1, 1, 2, 3]))))
        return motif

    def _lead(self, bar: int, section: Section) -> None:
        half = (bar - section.start) % 2
        phrase_end = (bar - section.start) % 4 == 3 or bar == section.end - 1
        notes = [(step - 16 * half, move) for step, move in self.motif if 16 * half <= step < 16 * (half + 1)]
        chord_degrees = {(self.degree(bar) + offset) % 7 for offset in (0, 2, 4)}
        degree = self._lead_degree
        vary = (bar - section.start) % 4 >= 2
        played: list[tuple[int, int]] = []
        for step, move in notes:
            if vary and self.rng.random() < 0.3:
                move += int(self.rng.choice([-1, 1]))
            degree = degree + move
            if step % 4 == 0:  # strong beats land on chord tones
                degree = min(
                    (d for d in range(degree - 3, degree + 4) if d % 7 in chord_degrees), key=lambda d: abs(d - degree)
                )
            degree = 2 + abs(degree - 2) if degree < 2 else (14 - degree if degree > 11 else degree)
            played.append((step, degree))
        if phrase_end:  # resolve: the phrase closes on the tonic, held to the bar's end
            played = [(step, deg) for step, deg in played if step < 8] + [(8, 7)]
        if not played:
            return
        self._lead_degree = played[-1][1]
        for index, (step, deg) in enumerate(played):
            end = played[index + 1][0] if index + 1 < len(played) else 16
            start = self.frame(bar, min(step, 15))
            gate = max(self.frame(bar, min(end, 16)) - start - int(0.02 * SR), int(0.05 * SR))
            midi = self.brief.key.degree_pitch(deg, self.style.lead_octave - 1)
            velocity = 1.0 if step % 4 == 0 else 0.8
            self.buses["lead"].place(
                tone(self.lead_sound, midi, gate, self.style.brightness), start, 0.3 * velocity, 0.1
            )

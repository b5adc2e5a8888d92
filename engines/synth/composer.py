"""The score: drums, bass, chords, arpeggio, lead and effects, written straight into the mixer's buses.

All choices come from one seeded generator, so a brief and seed always give the same music, and two seeds give
two pieces: the seed picks the song form, an 8-bar verse progression and a different chorus progression, the
groove variants, the instruments and the melody's motifs. The key is made plain by the music itself — no drone:
progressions start on the tonic and cadence V → I (the harmonic-minor dominant's leading tone in minor), the piece
opens and closes on the bare tonic triad, each chord's root is doubled below it, the bass plays the chord roots
(the tonic itself on beats 1 and 3 of tonic bars), the melody starts tonic bars on the tonic and phrases end on it,
and power chords are joined by keys playing the full triads, so their thirds say major or minor.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from engines.synth.arrangement import Section
from engines.synth.instruments import SR, crackle, drum, glide_808, riser, tone
from engines.synth.mixer import Bus, frame_at, grid, later
from engines.synth.patterns import STYLES, VELOCITY
from engines.synth.prompt import Brief
from engines.synth.theory import PROGRESSIONS_8, chord, voice_lead

_LEVEL = {"kick": 1.0, "snare": 0.55, "gated": 0.5, "ghost": 0.5, "clap": 0.5, "hat": 0.22, "roll": 0.16,
          "ohat": 0.2, "ride": 0.2, "shaker": 0.2, "rim": 0.3, "tom": 0.5, "lowtom": 0.75, "brush": 0.35,
          "pedal": 0.25, "crash": 0.25, "impact": 0.7}  # fmt: skip
_PAN = {"hat": 0.3, "roll": 0.35, "ohat": 0.35, "ride": -0.35, "shaker": 0.45, "rim": -0.25, "tom": -0.3,
        "brush": 0.15, "pedal": 0.2, "crash": -0.2}  # fmt: skip
# Per-style level trims: drum & bass lives on its hats (they carry the 174 pulse between kick and snare).
_STYLE_LEVEL = {("dnb", "hat"): 2.0, ("dnb", "ohat"): 1.6}
_LIGHT = {"kick", "hat", "shaker", "ride", "rim", "pedal", "lowtom", "brush"}
_NO_CYMBALS = {"lofi", "jazzy", "ambient", "piano", "orchestral"}
# Alternatives the seed may pick when the prompt names no instrument: different seeds sound different, each within
# its style's family of sounds (a pop seed never turns into a country fiddle tune, nor ambient into an orchestra).
_LEADS = {
    "techno": ("saw", "pluck", "stab"),
    "house": ("pluck", "piano", "bell"),
    "lofi": ("bell", "soft", "epiano"),
    "ambient": ("soft", "bell"),
    "synthwave": ("saw", "brass", "pluck"),
    "dnb": ("pluck", "soft", "bell"),
    "trap": ("bell", "pluck", "soft"),
    "cinematic": ("brass", "soft", "strings"),
    "jazzy": ("piano", "epiano", "soft"),
    "rock": ("guitar", "power_guitar"),
    "pop": ("pluck", "bell"),
    "funk": ("brass", "epiano", "guitar"),
    "dubstep": ("saw", "pluck"),
    "country": ("fiddle", "guitar"),
    "piano": ("piano",),
    "orchestral": ("brass", "strings", "fiddle"),
}
_CHORDS = {
    "house": ("piano", "epiano", "stab"),
    "lofi": ("epiano", "piano", "rhodes"),
    "jazzy": ("epiano", "piano"),
    "synthwave": ("pad", "strings"),
    "pop": ("piano",),
    "country": ("guitar",),
    "ambient": ("pad",),
    "cinematic": ("strings", "choir", "pad"),
    "orchestral": ("strings", "choir"),
    "funk": ("epiano", "guitar"),
}
_BASSES = {"house": ("pluck_bass", "sub", "pick_bass"), "pop": ("pluck_bass", "pick_bass"),
           "synthwave": ("saw_bass", "pick_bass"), "funk": ("slap_bass", "pick_bass"),
           "rock": ("pick_bass", "saw_bass")}  # fmt: skip
# Per-style bass level: dubstep is its bass (the wobble leads the mix).
_BASS_LEVEL = {"dubstep": 1.5}
_NINTHS = {"jazzy", "lofi", "funk"}
# Section → (level, brightness shift): automation across the form — builds open up, breaks close down.
_SECTION_MIX = {"intro": (0.8, -0.15), "build": (0.9, 0.0), "main": (1.0, 0.0), "break": (0.85, -0.2),
                "drop": (1.0, 0.1), "outro": (0.85, -0.1), "loop": (1.0, 0.0)}  # fmt: skip


class Composer:
    """Writes one piece as notes into buses ``drums``, ``bass``, ``chords``, ``lead`` and ``fx``; the sounds are
    made and mixed afterwards (``engines.synth.mixdown``), so they can be made in parallel."""

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
        options = PROGRESSIONS_8[family]
        order = self.rng.permutation(len(options))
        self.verse = options[int(order[0])]
        self.chorus = options[int(order[1 % len(options)])]
        default = STYLES[self.style.name]
        self.lead_sound = self.style.lead_sound
        if self.lead_sound == default.lead_sound:  # the prompt named no lead: the seed picks
            self.lead_sound = str(self.rng.choice(_LEADS[self.style.name]))
        self.chord_sound = self.style.chord_sound
        if self.chord_sound == default.chord_sound and self.style.name in _CHORDS:
            self.chord_sound = str(self.rng.choice(_CHORDS[self.style.name]))
        self.bass_sound = self.style.bass_sound
        if self.bass_sound == default.bass_sound and self.style.name in _BASSES:
            self.bass_sound = str(self.rng.choice(_BASSES[self.style.name]))
        grooves = self.rng.permutation(len(self.style.drums))
        self.grooves = [self._mutate(self.style.drums[int(g)]) for g in grooves]
        self.bass_bars = [self.style.bass[int(b)] for b in self.rng.permutation(len(self.style.bass))]
        self.chord_bars = [self.style.chords[int(c)] for c in self.rng.permutation(len(self.style.chords))]
        self.arp_order = [(0, 1, 2, 3), (0, 1, 2, 3, 2, 1), (0, 2, 1, 3), (3, 2, 1, 0)][int(self.rng.integers(4))]
        self.motifs = {"verse": self._motif(), "chorus": self._motif()}
        self.has_drums = brief.drums and any(self.style.drums[0].values())
        self.harmonic = self.style.progression != "minor_dark"  # dark, modal styles keep the natural-minor v
        self._lead_degree = 4
        self._last_bass: int | None = None

    def _mutate(self, groove: dict[str, str]) -> dict[str, str]:
        """This seed's take on a groove: a few ghost notes added or moved on the off-16ths of the hats, shakers and
        percussion, and sometimes an extra kick before beat 3 — the downbeats and backbeats stay where they are."""
        out = dict(groove)
        for voice, steps in groove.items():
            if voice in ("kick", "snare", "clap") or not steps:
                continue
            marks = list(steps)
            for _ in range(int(self.rng.integers(1, 4))):
                index = int(self.rng.choice([1, 3, 5, 7, 9, 11, 13, 15]))
                marks[index] = "g" if marks[index] == "." else "."
            out[voice] = "".join(marks)
        if "kick" in groove and self.rng.random() < 0.5 and groove["kick"][6] == ".":
            out["kick"] = groove["kick"][:6] + "o" + groove["kick"][7:]
        return out

    # --- time and harmony -------------------------------------------------------------------------------------

    def frame(self, bar: int, step: float) -> int:
        """Frame of ``step`` (16ths) in ``bar`` on the absolute grid."""
        return frame_at(16 * bar + step, self.step, self.swing)

    def _nudge(self, frame: int, amount: float = 1.0) -> int:
        """A human's timing: up to ±(humanise × 9 ms), never before the track starts."""
        spread = self.style.humanise * amount * 0.009 * SR
        return max(0, frame + int(self.rng.normal(0.0, spread / 2.5))) if spread else frame

    def section_of(self, bar: int) -> Section:
        """The section ``bar`` is in."""
        return next(s for s in self.sections if s.start <= bar < s.end)

    def degree(self, bar: int) -> int:
        """Chord of ``bar`` as a degree (10 + d: the secondary dominant of d); the last bar resolves to the tonic.

        Verses, intros and builds follow the verse progression; drops and breaks the chorus progression. A bar past
        the end (the walking bass and approach notes look one bar ahead) is, in a loop, the loop's first bar come
        round again; after a song's end it is the tonic it came to rest on.
        """
        if self.loop:
            bar %= self.bars
        elif bar >= self.bars - 1:
            return 0
        section = self.section_of(bar)
        progression = self.chorus if section.name in ("drop", "break") else self.verse
        return progression[(bar - section.start) % len(progression)]

    @staticmethod
    def root(degree: int) -> int:
        """Scale degree of a chord's root (a secondary dominant's root is a fifth above its target)."""
        return (degree - 10 + 4) % 7 if degree >= 10 else degree

    def write(self) -> dict[str, Bus]:
        """Write every section's notes and return the buses (nothing is synthesised yet)."""
        voicing: list[int] | None = None
        for section in self.sections:
            for bar in range(section.start, section.end):
                ending = not self.loop and bar == self.bars - 1
                if self.has_drums and section.drums > 0:
                    self._drums(bar, section, ending)
                if section.bass or ending or not self.has_drums or "bass_always" in self.style.extras:
                    self._bass(bar, section, ending)
                voicing = self._chords(bar, voicing, ending)
                if section.arp and self.style.arp and not ending:
                    self._arp(bar, voicing)
                if section.lead and not ending:
                    self._lead(bar, section)
                if self.style.pulse and not ending:
                    self._pulse(bar, voicing, section)
            if section.riser and not self.loop and self.has_drums:
                start = self.frame(max(section.end - 2, section.start), 0)
                sweep = later(riser, self.frame(section.end, 0) - start, self.brief.seed & 0xFFFF)
                self.buses["fx"].place(sweep, start, 0.35)
        if self.style.crackle:
            frames = self.buses["fx"].frames
            self.buses["fx"].place(later(crackle, frames, self.brief.seed & 0xFFFF), 0, 0.5, 0.0)
        return self.buses

    # --- drums ------------------------------------------------------------------------------------------------

    def _hit(self, voice: str, bar: int, step: float, velocity: float) -> None:
        sound = later(drum, voice, self.brief.key.tonic, self.kit, int(self.rng.integers(4)))
        frame = self.frame(bar, step)
        if voice == "kick":
            self.kicks.append(frame)
        else:
            frame = self._nudge(frame, 0.6)
        spread = 0.1 + 0.2 * self.style.humanise
        gain = _LEVEL[voice] * _STYLE_LEVEL.get((self.style.name, voice), 1.0) * velocity
        gain *= float(self.rng.uniform(1.0 - spread, 1.0))
        self.buses["drums"].place(sound, frame, gain, _PAN.get(voice, 0.0))

    def _drums(self, bar: int, section: Section, ending: bool) -> None:
        if ending:
            self._hit("kick", bar, 0, 1.0)
            if self.style.name not in _NO_CYMBALS:
                self._hit("impact" if "impact" in self.style.extras else "crash", bar, 0, 1.0)
            return
        last = bar == section.end - 1
        # the verse and the chorus get different groove variants where the style has more than one
        groove = self.grooves[1 % len(self.grooves)] if section.name in ("drop", "break") else self.grooves[0]
        pattern = self.style.fill if section.fill and last and section.drums >= 1 else groove
        light = _LIGHT | {"ghost"} if self.style.name == "dnb" else _LIGHT  # dnb's soft 1 and 3 keep the 174 pulse
        for voice, steps in pattern.items():
            if section.drums < 1 and voice not in light:
                continue
            name = "gated" if voice == "snare" and "gated_snare" in self.style.extras else voice
            for index, mark in enumerate(steps):
                if mark in VELOCITY:
                    self._hit(name if voice != "roll" else "roll", bar, index, VELOCITY[mark])
                    if voice == "roll":  # trap rolls: 32nd-note doubles between the 16ths
                        self._hit("roll", bar, index + 0.5, VELOCITY[mark] * 0.8)
        if bar == section.start and section.crash and self.style.name not in _NO_CYMBALS:
            self._hit("impact" if "impact" in self.style.extras else "crash", bar, 0, 1.0)

    # --- bass -------------------------------------------------------------------------------------------------

    def _bass_midi(self, degree: int, fifth: bool = False) -> int:
        notes = chord(self.brief.key, degree, 1)
        midi = notes[2] if fifth else notes[0]
        low = 31 if self.bass_sound in ("808", "sub") else 33  # nothing under 49 Hz: no sub-40 Hz mud
        while midi < low:
            midi += 12
        while midi >= low + 12:
            midi -= 12
        return midi

    def _bass(self, bar: int, section: Section, ending: bool) -> None:
        degree = self.degree(bar)
        sound, bus = self.bass_sound, self.buses["bass"]
        if ending:
            bus.place(
                later(tone, "sub" if sound == "808" else sound, self._bass_midi(0), int(1.5 * SR), 0.5),
                self.frame(bar, 0),
                0.8,
            )
            return
        pattern = self.bass_bars[1 % len(self.bass_bars)] if section.name == "drop" else self.bass_bars[0]
        if pattern.startswith("W"):  # walking: root, chord tone, fifth, a step towards the next root
            root = self.root(degree)
            nxt = self.root(self.degree(bar + 1))
            steps = [root, root + int(self.rng.choice([2, 1, -1])), root + 4, nxt + int(self.rng.choice([1, -1]))]
            for beat, deg in enumerate(steps):
                gate = self.frame(bar, 4 * beat + 3.5) - self.frame(bar, 4 * beat)
                midi = self._bass_midi(degree) if beat == 0 else self._bass_midi(deg % 7)
                bus.place(later(tone, sound, midi, gate, 0.4), self._nudge(self.frame(bar, 4 * beat)), 0.9)
            return
        previous = self._last_bass
        approach = self.style.humanise >= 0.5 and self.rng.random() < 0.5  # a passing note into the next chord
        for index, mark in enumerate(pattern):
            if mark not in "RFO":
                continue
            holds = len(pattern[index + 1 :]) - len(pattern[index + 1 :].lstrip("-"))
            if degree == 0 and index % 8 == 0:  # a tonic bar's beats 1 and 3 sound the tonic itself
                mark = "R"
            midi = self._bass_midi(degree, mark == "F") + (12 if mark == "O" else 0)
            if approach and index >= 12 and mark == "R" and self.degree(bar + 1) != 0:
                target = self._bass_midi(self.degree(bar + 1))
                midi = target + (2 if target < midi else -2) if abs(target - midi) > 2 else midi
            start = self.frame(bar, index)
            gate = self.frame(bar, index + 1 + holds) - start - int(0.01 * SR)
            if sound == "808":
                note = later(glide_808, previous if previous is not None else midi, midi, gate)
            else:
                note = later(tone, sound, midi, gate, self.style.brightness)
            level = 0.85 * _BASS_LEVEL.get(self.style.name, 1.0)
            bus.place(note, self._nudge(start, 0.5), level * float(self.rng.uniform(0.9, 1.0)))
            previous = midi
        self._last_bass = previous

    # --- chords -----------------------------------------------------------------------------------------------

    def _chords(self, bar: int, previous: list[int] | None, ending: bool) -> list[int]:
        degree = self.degree(bar)
        plain = ending or bar == 0  # the piece opens and closes on the bare tonic triad: no sevenths to blur it
        ninths = self.style.name in _NINTHS and degree < 10 and not plain
        notes = chord(self.brief.key, degree, 4, self.style.sevenths and not plain, ninths, self.harmonic)
        voicing = voice_lead(previous, notes, 53, 76)
        sound = self.chord_sound
        section = self.section_of(bar)
        if not section.chords:
            return voicing
        level_shift, bright_shift = _SECTION_MIX[section.name]
        brightness = float(np.clip(self.style.brightness + bright_shift, 0.1, 0.95))
        if section.name == "build":  # a build swells across its bars
            level_shift *= 0.8 + 0.2 * (bar - section.start + 1) / section.bars
        pattern = self.chord_bars[1 % len(self.chord_bars)] if section.name == "drop" else self.chord_bars[0]
        rhythm = "C" + "-" * 15 if ending else pattern
        wide = sound in ("pad", "strings", "choir")
        level = (0.32 if wide else 0.42) / np.sqrt(len(voicing)) * level_shift
        # the chord's root doubled below the voicing (a left hand), so each chord - above all the tonic - says
        # which note it is built on; power chords are root and fifth an octave down, their third comes from keys
        root_pc = notes[0] % 12
        doubled = voicing[0] - ((voicing[0] - root_pc) % 12 or 12)
        voicing_played = [voicing[0] - 12, voicing[0] - 5] if sound == "power_guitar" else [doubled, *voicing]
        if sound == "power_guitar":
            self._keys_layer(bar, voicing, rhythm, level)
        for start, gate in self._strikes(bar, rhythm):
            strum = int(0.012 * SR) if sound in ("guitar", "power_guitar") else int(0.006 * SR * self.style.humanise)
            accent = float(self.rng.uniform(0.85, 1.0)) if self.style.humanise else 1.0
            for n, note in enumerate(voicing_played):
                if wide:  # two detuned voices, one each side: width without phase trouble in mono
                    for voice, pan in ((0, -0.7), (1, 0.7)):
                        self.buses["chords"].place(later(tone, sound, note, gate, brightness, voice), start, level, pan)
                else:
                    offset = n * strum if strum else 0
                    self.buses["chords"].place(
                        later(tone, sound, note, max(gate - offset, int(0.05 * SR)), brightness),
                        self._nudge(start, 0.3) + offset,
                        level * accent,
                        -0.15,
                    )
        if "choir" in self.style.extras and section.name in ("drop", "break") and sound != "choir":
            bar_frames = self.frame(bar + 1, 0) - self.frame(bar, 0)
            for note in voicing[-2:]:
                choir = later(tone, "choir", note + 12, bar_frames, 0.5)
                self.buses["chords"].place(choir, self.frame(bar, 0), 0.07, 0.3)
        return voicing

    def _strikes(self, bar: int, rhythm: str) -> Iterator[tuple[int, int]]:
        """(start frame, length in frames) of each chord strike ``C`` in ``bar``, held through the ``-`` after it."""
        for index, mark in enumerate(rhythm):
            if mark != "C":
                continue
            holds = len(rhythm[index + 1 :]) - len(rhythm[index + 1 :].lstrip("-"))
            start = self.frame(bar, index)
            yield start, self.frame(bar, index + 1 + holds) - start

    def _keys_layer(self, bar: int, voicing: list[int], rhythm: str, level: float) -> None:
        """Full triads on an electric piano under power chords: the thirds that make major and minor audible."""
        for start, gate in self._strikes(bar, rhythm):
            for note in voicing:
                self.buses["chords"].place(later(tone, "epiano", note, gate, 0.4), start, 0.6 * level, 0.2)

    def _arp(self, bar: int, voicing: list[int]) -> None:
        notes = [*sorted(voicing), min(voicing) + 12]
        gate = self.frame(bar, 1) - self.frame(bar, 0)
        for index in range(16):
            note = notes[self.arp_order[index % len(self.arp_order)] % len(notes)] + 12
            sound = later(tone, "pluck", note, gate, self.style.brightness * 0.7)
            self.buses["lead"].place(sound, self.frame(bar, index), 0.12, 0.35 if index % 2 else -0.35)

    def _pulse(self, bar: int, voicing: list[int], section: Section) -> None:
        """The style's steady pulse (an ostinato): root, fifth, octave, fifth of the chord, accented on the beats."""
        assert self.style.pulse is not None
        sound, every, level = self.style.pulse
        root = chord(self.brief.key, self.degree(bar), 4)[0] % 12
        low = 45 + (root - 45) % 12  # the chord's root between A2 and G#3
        cycle = (low, low + 7, low + 12, low + 7)
        gate = self.frame(bar, every) - self.frame(bar, 0) - int(0.01 * SR)
        level_shift, bright_shift = _SECTION_MIX[section.name]
        brightness = float(np.clip(self.style.brightness + bright_shift, 0.1, 0.95))
        for count, index in enumerate(range(0, 16, every)):
            accent = 1.0 if index % 4 == 0 else 0.7
            note = cycle[count % 4] + (12 if sound == "bell" else 0)
            start = self._nudge(self.frame(bar, index), 0.3)
            self.buses["chords"].place(later(tone, sound, note, gate, brightness), start, level * accent * level_shift)

    # --- melody -----------------------------------------------------------------------------------------------

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
        """Question and answer: bars 1–2 state the motif, 3–4 answer it a step away (a sequence) and close on the
        tonic; the second half of an 8-bar phrase varies the rhythm and contour."""
        position = bar - section.start
        half = position % 2
        motif = self.motifs["chorus" if section.name in ("drop", "break") else "verse"]
        phrase_end = position % 4 == 3 or bar == section.end - 1
        answer = position % 4 >= 2
        vary = position % 8 >= 4
        notes = [(step - 16 * half, move) for step, move in motif if 16 * half <= step < 16 * (half + 1)]
        root = self.root(self.degree(bar))
        chord_degrees = {
            (root + offset) % 7 for offset in ((0, 4) if self.brief.key.minor and root == 4 else (0, 2, 4))
        }
        degree = self._lead_degree
        if answer and position % 4 == 2:
            degree += int(self.rng.choice([-1, 1, 2]))  # the answer starts a step away: a sequence
        played: list[tuple[int, int]] = []
        for step, move in notes:
            if vary and self.rng.random() < 0.35:
                move += int(self.rng.choice([-1, 1]))
            if vary and step % 4 == 2 and self.rng.random() < 0.3:
                continue  # a rhythmic variation: a note left out
            degree = degree + move
            if step == 0 and root == 0:  # a tonic bar's downbeat is the tonic itself
                degree = min((d for d in range(degree - 4, degree + 5) if d % 7 == 0), key=lambda d: abs(d - degree))
            elif step % 4 == 0:  # strong beats land on chord tones
                degree = min(
                    (d for d in range(degree - 3, degree + 4) if d % 7 in chord_degrees), key=lambda d: abs(d - degree)
                )
            degree = 2 + abs(degree - 2) if degree < 2 else (14 - degree if degree > 11 else degree)
            played.append((step, degree))
        if phrase_end:  # resolve: the phrase closes on the tonic (or the fifth mid-phrase), held to the bar's end
            home = 7 if position % 8 >= 4 or bar == section.end - 1 or root == 0 else 4
            played = [(step, deg) for step, deg in played if step < 8] + [(8, home)]
        if not played:
            return
        self._lead_degree = played[-1][1]
        level_shift, bright_shift = _SECTION_MIX[section.name]
        brightness = float(np.clip(self.style.brightness + bright_shift, 0.1, 0.95))
        for index, (step, deg) in enumerate(played):
            end = played[index + 1][0] if index + 1 < len(played) else 16
            start = self.frame(bar, min(step, 15))
            gate = max(self.frame(bar, min(end, 16)) - start - int(0.02 * SR), int(0.05 * SR))
            midi = self.brief.key.degree_pitch(deg, self.style.lead_octave - 1)
            if self.brief.key.minor and self.harmonic and deg % 7 == 6 and root == 4:
                midi += 1  # over the dominant the melody takes the leading tone too
            velocity = (1.0 if step % 4 == 0 else 0.8) * float(self.rng.uniform(1 - 0.2 * self.style.humanise, 1.0))
            note = later(tone, self.lead_sound, midi, gate, brightness)
            self.buses["lead"].place(note, self._nudge(start), 0.3 * velocity * level_shift, 0.1)

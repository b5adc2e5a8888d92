"""Sections: which layers play in each stretch of bars (intro, build, main, break, drop, outro)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    """A run of bars and the layers that play in it."""

    name: str
    start: int  # first bar
    bars: int
    drums: float  # 0 silent, 0.5 light (no snare/clap), 1 full
    bass: bool
    chords: bool
    lead: bool
    arp: bool
    fill: bool  # the last bar gets a drum fill
    riser: bool = False  # a noise swell into the next section
    crash: bool = False  # a cymbal or impact on the first beat

    @property
    def end(self) -> int:
        """First bar after the section."""
        return self.start + self.bars


# name → (drums, bass, chords, lead, arp, fill, riser, crash)
_LAYERS: dict[str, tuple[float, bool, bool, bool, bool, bool, bool, bool]] = {
    "intro": (0.5, False, True, False, False, True, False, False),
    "build": (1.0, True, True, False, True, True, True, False),
    "main": (1.0, True, True, True, False, True, False, True),
    "break": (0.0, False, True, True, False, False, True, False),
    "drop": (1.0, True, True, True, True, True, False, True),
    "outro": (0.5, True, True, False, False, False, False, False),
    "loop": (1.0, True, True, True, True, False, False, False),
}


def _section(name: str, start: int, bars: int) -> Section:
    return Section(name, start, bars, *_LAYERS[name])


def arrange(total_bars: int, loop: bool, choice: int = 0) -> list[Section]:
    """Sections covering ``total_bars``: one full section for a loop, a small song form otherwise.

    ``choice`` (from the seed) picks among song forms of the same length, so two seeds get two different shapes.
    """
    if loop:
        return [_section("loop", 0, total_bars)]
    units, spare = divmod(total_bars, 4)  # sections come in 4-bar phrases
    pick = choice % 3
    if units <= 1:
        plan = [("main", total_bars)]
    elif units == 2:
        plan = [(("intro", "build", "main")[pick], 4), ("main" if pick != 2 else "drop", 4 + spare)]
    elif units == 3:
        plan = [[("intro", 4), ("main", 4), ("drop", 4 + spare)],
                [("build", 4), ("drop", 4), ("main", 4 + spare)],
                [("intro", 4), ("break", 4), ("drop", 4 + spare)]][pick]  # fmt: skip
    elif units <= 5:
        middle = 4 * (units - 3)
        plan = [[("intro", 4), ("build", 4), ("main", middle), ("outro", 4 + spare)],
                [("intro", 4), ("main", middle), ("break", 4), ("drop", 4 + spare)],
                [("build", 4), ("main", 4), ("break", middle), ("outro", 4 + spare)]][pick]  # fmt: skip
    else:
        intro = 8 if units >= 10 else 4
        pause = 8 if units >= 12 else 4
        body = units * 4 - intro - 4 - pause - 4
        main = body // 8 * 4 or 4
        if pick == 0:
            plan = [("intro", intro), ("build", 4), ("main", main), ("break", pause)]
            plan += [("drop", body - main), ("outro", 4 + spare)]
        elif pick == 1:  # verse, chorus, breakdown, chorus: the first chorus comes early
            plan = [("intro", 4), ("main", main), ("build", 4), ("drop", body - main + intro - 4)]
            plan += [("break", pause), ("outro", 4 + spare)]
        else:  # a long build, a short break mid-way, a big last section
            plan = [("intro", intro), ("main", main), ("break", pause), ("build", 4)]
            plan += [("drop", body - main), ("outro", 4 + spare)]
    sections, start = [], 0
    for name, bars in plan:
        if bars > 0:
            sections.append(_section(name, start, bars))
            start += bars
    return sections

"""Per-genre styles: tempo, sounds, mix, and one-bar patterns on a 16-step grid.

Pattern strings have one character per 16th note: ``x`` full hit, ``o`` medium, ``g`` ghost, ``.`` rest. Bass and
chord rhythms use ``R`` root, ``F`` fifth, ``O`` octave, ``C`` chord, ``-`` hold the previous note, ``.`` rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

VELOCITY = {"x": 1.0, "o": 0.65, "g": 0.35}

DrumBar = dict[str, str]  # voice → 16-step pattern


@dataclass(frozen=True, slots=True)
class Style:
    """How one genre sounds: defaults the prompt can override."""

    name: str
    bpm: float
    minor: bool | None  # None: the seed decides
    drums: tuple[DrumBar, ...]  # alternatives, the seed picks one
    fill: DrumBar
    bass: tuple[str, ...]
    bass_sound: str
    chords: tuple[str, ...]
    chord_sound: str
    lead_sound: str
    progression: str = "minor"  # family in theory.PROGRESSIONS; "major"/"minor" swap by mode
    sevenths: bool = False
    swing: float = 0.0  # fraction of a 16th the off-16ths are late by
    sidechain: float = 0.0  # ducking depth on bass and chords, 0..1
    reverb: float = 0.18
    reverb_seconds: float = 1.6
    delay: float = 0.12
    arp: bool = False
    crackle: bool = False
    brightness: float = 0.6
    density: float = 0.5  # how busy the lead is
    humanise: float = 0.2  # 0 machine-tight … 1 loose: timing and velocity spread of a live player
    lead_octave: int = 5
    extras: dict[str, str] = field(default_factory=dict)
    # The style's tonal colour on the master, as genres are mixed and mastered differently: (kind, Hz, dB) moves,
    # kind ∈ lowpass (dB unused) | lowshelf | highshelf | peak. Lo-fi is dusty and dark, trap sits on its 808s,
    # dubstep growls in the mids, rock has its guitar-cabinet mids and no air, pop and drum & bass are bright.
    color: tuple[tuple[str, float, float], ...] = ()
    # A steady pulse for styles whose drums are sparse or absent (so the beat is heard, as an ostinato gives it in
    # film and orchestral music or a broken-chord left hand in piano music): (sound, 16ths per note, level).
    pulse: tuple[str, int, float] | None = None


_FOUR = "x...x...x...x..."
_BACKBEAT = "....x.......x..."

STYLES: dict[str, Style] = {
    "techno": Style(
        "techno",
        130,
        True,
        drums=(
            {"kick": _FOUR, "clap": _BACKBEAT, "ohat": "..x...x...x...x.", "hat": "g.ggg.ggg.ggg.gg"},
            {"kick": _FOUR, "clap": "....x.......x..g", "ohat": "..x...x...x...x.", "rim": "...g..g....g..g."},
        ),
        fill={"kick": _FOUR, "snare": "........gooxxxxx", "ohat": "..x...x...x...x."},
        bass=("..R...R...R...R.", "..RR..RR..RR..RO", ".RR..RR..RR..RR."),
        bass_sound="sub",
        chords=("..C-....C-....C-", "C-.C-.C-..C-.C-."),
        chord_sound="stab",
        lead_sound="saw",
        progression="minor_dark",
        sidechain=0.7,
        reverb=0.16,
        delay=0.18,
        arp=True,
        brightness=0.55,
        density=0.35,
    ),
    "house": Style(
        "house",
        124,
        None,
        drums=(
            {"kick": _FOUR, "clap": _BACKBEAT, "ohat": "..x...x...x...x.", "hat": "g.g.g.g.g.g.g.g."},
            {"kick": _FOUR, "clap": _BACKBEAT, "ohat": "..x...x...x...x.", "shaker": "gggggggggggggggg"},
        ),
        fill={"kick": _FOUR, "clap": "....x.......xoxx", "ohat": "..x...x...x...x."},
        bass=("..R...R...R..RO.", "R..R..R...R.F.R.", "..R.R...R.R...R."),
        bass_sound="pluck_bass",
        chords=("..C..C....C..C..", "C-....C-..C-...."),
        chord_sound="piano",
        lead_sound="pluck",
        sevenths=True,
        sidechain=0.55,
        reverb=0.2,
        delay=0.15,
        brightness=0.65,
        density=0.45,
    ),
    "lofi": Style(
        "lofi",
        84,
        None,
        drums=(
            {"kick": "x.....x.x.......", "snare": _BACKBEAT, "hat": "x.ogx.ogx.ogx.og"},
            {"kick": "x.......x.x.....", "snare": _BACKBEAT, "hat": "x.o.x.ogx.o.x.og"},
            {"kick": "x..x......x.....", "snare": _BACKBEAT, "rim": "..g.......g..g..", "hat": "x.x.x.x.x.x.x.x."},
            {"kick": "x.....x...x..x..", "snare": "....x.......x..g", "shaker": "x.ogx.ogx.ogx.og"},
        ),
        fill={"kick": "x......x..x.x...", "snare": "....x.......x.gg", "hat": "x.x.x.x.x.x.x..."},
        bass=("R-----.R--.F----", "R------.R---F-.."),
        bass_sound="round",
        chords=("C-------C-----..", "C-----C-....C---"),
        chord_sound="rhodes",
        lead_sound="bell",
        progression="minor_jazz",
        sevenths=True,
        swing=0.28,
        reverb=0.22,
        delay=0.1,
        crackle=True,
        brightness=0.35,
        density=0.3,
        lead_octave=5,
    ),
    "ambient": Style(
        "ambient",
        72,
        None,
        # a soft shaker in 8ths carries the pulse under the pads (without it a tempo tracker hears none)
        drums=(
            {"shaker": "x.o.x.o.x.o.x.o.", "rim": "o...g...o...g..."},
            {"shaker": "x.o.x.o.x.o.x.o.", "kick": "o.......o......."},
            {"rim": "o...g...o...g...", "shaker": "x.o.x.o.x.o.x.o."},
        ),
        fill={"shaker": "..g...g...g.g.gg", "rim": "o...g...o...g..."},
        bass=("R---------------",),
        bass_sound="drone",
        chords=("C---------------",),
        chord_sound="pad",
        lead_sound="soft",
        progression="static",
        reverb=0.42,
        reverb_seconds=4.0,
        delay=0.25,
        brightness=0.3,
        density=0.18,
    ),
    "synthwave": Style(
        "synthwave",
        100,
        True,
        drums=(
            {"kick": "x.......x.......", "snare": _BACKBEAT, "hat": "x.x.x.x.x.x.x.x."},
            {"kick": _FOUR, "snare": _BACKBEAT, "hat": "o.x.o.x.o.x.o.x."},
        ),
        fill={"kick": "x.......x.......", "snare": "....x...x.x.xxxx", "tom": "........x.x.x..."},
        bass=("RORORORORORORORO", "R.O.R.O.R.O.R.O."),
        bass_sound="saw_bass",
        chords=("C---------------",),
        chord_sound="pad",
        lead_sound="saw",
        reverb=0.28,
        reverb_seconds=2.2,
        delay=0.22,
        arp=True,
        brightness=0.6,
        density=0.4,
        extras={"gated_snare": "yes"},
    ),
    "dnb": Style(
        "dnb",
        174,
        True,
        drums=(
            # Two-step kick and snare, but beats 1 and 3 also get a ghost snare or a soft clap under the kick, so
            # every beat has a similar onset and the pulse reads at 174 rather than 87.
            {"kick": "x.........x.....", "snare": _BACKBEAT, "ghost": "x.......x.......", "hat": "x.o.x.o.x.o.x.o."},
            {
                "kick": "x.........x.....",
                "snare": _BACKBEAT,
                "ghost": "x.......x.......",
                "hat": "x.g.x.g.x.g.x.g.",
                "ohat": "x...x...x...x...",
            },
        ),
        fill={"kick": "x.........x.....", "snare": "....x..gx.x.xxxx", "ghost": "x.......", "hat": "x.o.x.o.x.o.x.o."},
        bass=("R-------R-----F-", "R-----------O---"),
        bass_sound="reese",
        chords=("C---------------",),
        chord_sound="pad",
        lead_sound="pluck",
        sidechain=0.35,
        reverb=0.22,
        delay=0.2,
        brightness=0.55,
        density=0.35,
    ),
    "trap": Style(
        "trap",
        140,
        True,
        drums=(
            {
                "kick": "x.....x...x.....",
                "clap": "........x.......",
                "hat": "x.x.x.x.x.x.x.x.",
                "roll": "...........x..x.",
            },
            {
                "kick": "x......x..x.....",
                "clap": "........x.......",
                "hat": "x.x.x.x.x.x.x.x.",
                "roll": ".......x......xx",
            },
        ),
        fill={
            "kick": "x.....x...x.x...",
            "clap": "........x...x.x.",
            "hat": "x.x.x.x.x.x.x.x.",
            "roll": "....x.x.x.x.x.x.",
        },
        bass=("R-----R---R-----", "R-------R-----O-"),
        bass_sound="808",
        chords=("C---------------",),
        chord_sound="pad",
        lead_sound="bell",
        reverb=0.18,
        delay=0.15,
        brightness=0.5,
        density=0.35,
    ),
    "cinematic": Style(
        "cinematic",
        90,
        True,
        drums=(
            {"tom": "x..o..x.x...o...", "lowtom": "x...x...x...x..."},
            {"tom": "x...o..ox...o...", "lowtom": "x...x...x...x..."},
        ),
        fill={"tom": "x.o.x.o.xoxoxxxx", "lowtom": "x...x...x...x..."},
        bass=("R---------------", "R-------R-------"),
        bass_sound="low_strings",
        chords=("C---------------",),
        chord_sound="strings",
        lead_sound="brass",
        reverb=0.35,
        reverb_seconds=3.0,
        delay=0.08,
        brightness=0.45,
        density=0.25,
        lead_octave=4,
        extras={"impact": "yes"},
    ),
    "jazzy": Style(
        "jazzy",
        92,
        False,
        drums=(
            {"ride": "x...x..gx...x..g", "kick": "o...o...o...o...", "brush": _BACKBEAT, "pedal": "....x.......x..."},
            {"ride": "x...x..ox...x..o", "kick": "o...o...o...o...", "brush": "....o.......o..g", "pedal": _BACKBEAT},
        ),
        fill={"ride": "x...x..gx...x..g", "brush": "....o...g.o.oxox", "kick": "g.......g...g..."},
        bass=("W...W...W...W...",),
        bass_sound="upright",
        chords=("C-----.C-.......", "..C-....C-...C--"),
        chord_sound="rhodes",
        lead_sound="piano",
        progression="major_jazz",
        sevenths=True,
        swing=0.3,
        reverb=0.2,
        delay=0.05,
        brightness=0.45,
        density=0.45,
    ),
    "rock": Style(
        "rock",
        118,
        None,
        drums=(
            {"kick": "x.....x.x.......", "snare": _BACKBEAT, "hat": "x.x.x.x.x.x.x.x."},
            {"kick": "x.......x.x.....", "snare": _BACKBEAT, "ohat": "x.x.x.x.x.x.x.x."},
            {"kick": "x.x.....x.x..x..", "snare": _BACKBEAT, "ride": "x.x.x.x.x.x.x.x."},
        ),
        fill={
            "kick": "x.......x.......",
            "snare": "....x...xoxo....",
            "tom": "............xx..",
            "lowtom": "..............xx",
        },
        bass=("R.R.R.R.R.R.R.R.", "R-R-R-R-R-R-F-O-", "R..RR.R.R..RR.F."),
        bass_sound="pick_bass",
        chords=("C-C-C-C-C-C-C-C-", "C--C--C-C--C--C-", "C-------C-.C-.C-"),
        chord_sound="power_guitar",
        lead_sound="guitar",
        reverb=0.16,
        delay=0.08,
        brightness=0.7,
        density=0.4,
        humanise=0.6,
    ),
    "pop": Style(
        "pop",
        108,
        False,
        drums=(
            {"kick": "x.......x.x.....", "clap": _BACKBEAT, "hat": "x.x.x.x.x.x.x.x."},
            {"kick": "x..x....x.......", "snare": _BACKBEAT, "shaker": "gxgxgxgxgxgxgxgx"},
            {"kick": _FOUR, "clap": _BACKBEAT, "hat": "..x...x...x...x."},
        ),
        fill={"kick": "x.......x.x.....", "snare": "....x.......xoxx", "hat": "x.x.x.x.x.x.x.x."},
        # straight 8ths and quarters: a 3-3-2 bass under pop's shaker made a beat tracker hear 4:3 of the tempo
        bass=("R...R.R.R...R.R.", "R-R-R-R-R-R-F-O-", "R---R---R---F-O-"),
        bass_sound="pluck_bass",
        chords=("C...C...C...C...", "C-..C-..C-..C-.C", "C-------C-------"),
        chord_sound="piano",
        lead_sound="pluck",
        sevenths=False,
        sidechain=0.3,
        reverb=0.2,
        delay=0.06,  # a dotted-8th echo any louder makes the beat read at 4:3 of its tempo
        arp=True,
        brightness=0.65,
        density=0.45,
        humanise=0.3,
    ),
    "funk": Style(
        "funk",
        106,
        None,
        drums=(
            {"kick": "x..x..x...x..x..", "snare": _BACKBEAT, "ghost": "..g..g.g...g..g.", "hat": "xgxgxgxgxgxgxgxg"},
            {"kick": "x.x...x..x.x....", "snare": _BACKBEAT, "ghost": ".g..g..g.g..g..g", "hat": "x.xgx.xgx.xgx.xg"},
        ),
        fill={"kick": "x..x..x...x.....", "snare": "....x..g.gxgxoxx", "hat": "xgxgxgxgxgxg...."},
        bass=("R..O.RR.F..R.O.R", "R.RO..R.R..OR.F.", "R..R.O..RO.R..OF"),
        bass_sound="slap_bass",
        chords=(".C..C...C..C.C..", "..C...C...C.C...", ".C.C..C..C...C.."),
        chord_sound="epiano",
        lead_sound="brass",
        progression="minor_jazz",
        sevenths=True,
        swing=0.12,
        reverb=0.14,
        delay=0.08,
        brightness=0.65,
        density=0.5,
        humanise=0.7,
    ),
    "dubstep": Style(
        "dubstep",
        140,
        True,
        drums=(
            {
                "kick": "x.........x.....",
                "snare": "........x.......",
                "hat": "x.x.x.x.x.x.x.x.",
                "ohat": "......x......x..",
            },
            {
                "kick": "x......x..x.....",
                "snare": "........x.......",
                "hat": "x.xxx.x.x.xxx.x.",
                "clap": "........x.......",
            },
        ),
        fill={"kick": "x.........x.....", "snare": "........x.x.xxxx", "hat": "x.x.x.x.x.x.x.x."},
        bass=("R-------R---O---", "R---R---R-O-R---", "R-----R-R-------"),
        bass_sound="wobble",
        chords=("C---------------",),
        chord_sound="stab",  # one short stab a bar, no pad: the wobble fills the space
        lead_sound="saw",
        progression="minor_dark",
        sidechain=0.5,
        reverb=0.2,
        delay=0.15,
        brightness=0.6,
        density=0.3,
        extras={"impact": "yes", "bass_always": "yes"},  # the wobble is the style: it plays in intros and breaks too
    ),
    "country": Style(
        "country",
        100,
        False,
        drums=(
            {"kick": "x.......x.......", "snare": _BACKBEAT, "hat": "x.x.x.x.x.x.x.x."},
            {"kick": "x.....x.x.......", "brush": _BACKBEAT, "shaker": "x.xgx.xgx.xgx.xg"},
        ),
        fill={"kick": "x.......x.......", "snare": "....x.......x.xx", "hat": "x.x.x.x.x.x.x.x."},
        bass=("R.......F.......", "R...F...R...F...", "R.....F.R...F.O."),
        bass_sound="upright",
        chords=("C.C.C.C.C.C.C.C.", "C..C..C.C..C..C.", "C-C-C-C-C-C-C-C-"),
        chord_sound="guitar",
        lead_sound="fiddle",
        progression="major",
        swing=0.12,
        reverb=0.16,
        delay=0.06,
        brightness=0.6,
        density=0.4,
        humanise=0.6,
    ),
    "piano": Style(
        "piano",
        76,
        None,
        drums=({},),
        fill={},
        # the left hand in broken chords (root, fifth, octave, fifth in 8ths): the pulse a piano piece is heard in
        bass=("R-F-O-F-R-F-O-F-", "R-O-F-O-R-O-F-O-", "R-F-O-O-R-F-O-F-"),
        bass_sound="piano_bass",
        chords=("C-------C-------", "C---C---C---C---", "C-----C---C-----"),
        chord_sound="piano",
        lead_sound="piano",
        reverb=0.3,
        reverb_seconds=2.4,
        delay=0.0,
        brightness=0.5,
        density=0.4,
        lead_octave=5,
        humanise=0.8,
    ),
    "orchestral": Style(
        "orchestral",
        84,
        None,
        # timpani on the beats and a snare-drum march in 8ths: the pulse of epic orchestral music
        drums=(
            {"lowtom": "x...x...x...x...", "snare": "o.g.o.g.o.g.o.gg"},
            {"lowtom": "x...x...x...x...", "snare": "o.g.o.g.o.g.o.g."},
        ),
        fill={"lowtom": "x...x...x.x.xxxx", "tom": "........x.x.x.x."},
        bass=("R---------------", "R-------F-------"),
        bass_sound="low_strings",
        chords=("C---------------", "C-------C-------"),
        chord_sound="strings",
        lead_sound="brass",
        reverb=0.38,
        reverb_seconds=3.2,
        delay=0.0,
        brightness=0.5,
        density=0.3,
        lead_octave=4,
        extras={"impact": "yes", "choir": "yes"},
        humanise=0.5,
    ),
}

_COLORS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "house": (("peak", 250.0, -2.0), ("highshelf", 7000.0, 2.0)),
    "lofi": (("lowpass", 4500.0, 0.0), ("peak", 300.0, 3.0)),  # dusty tape: dark and warm
    "ambient": (("lowpass", 7000.0, 0.0), ("peak", 500.0, 2.0)),
    "synthwave": (("lowpass", 8000.0, 0.0), ("peak", 400.0, 2.0)),  # warm analogue, soft top
    "dnb": (("highshelf", 5000.0, 4.0), ("peak", 400.0, -2.0)),  # the brightest: fast hats up front
    "trap": (("lowshelf", 70.0, 2.0), ("highshelf", 6000.0, -4.0), ("peak", 1000.0, -3.0)),  # 808s, dark
    "cinematic": (("lowshelf", 110.0, 3.0), ("peak", 2500.0, -2.0)),
    "jazzy": (("peak", 180.0, -2.0), ("peak", 2000.0, 1.0)),
    "rock": (("peak", 2000.0, 4.0), ("lowpass", 11_000.0, 0.0)),  # guitar-cabinet mids
    "pop": (("highshelf", 8000.0, 4.0), ("peak", 350.0, -2.0)),  # glossy air
    "funk": (("peak", 2500.0, 3.0), ("peak", 120.0, 2.0), ("lowpass", 12_000.0, 0.0)),
    "dubstep": (("peak", 1200.0, 5.0), ("highshelf", 5000.0, 2.0)),  # growling mids
    "country": (("peak", 3000.0, 2.0), ("peak", 150.0, -2.0), ("lowpass", 9000.0, 0.0)),
    "orchestral": (("peak", 3500.0, -2.0), ("lowshelf", 150.0, 2.0)),
}
_PULSES: dict[str, tuple[str, int, float]] = {
    "ambient": ("bell", 4, 0.1),  # a slow bell on the beats
    "cinematic": ("spiccato", 1, 0.12),  # a 16th-note string ostinato, as trailers drive
    "orchestral": ("spiccato", 2, 0.16),  # 8th-note spiccato strings
}
STYLES = {name: replace(style, color=_COLORS.get(name, ()), pulse=_PULSES.get(name)) for name, style in STYLES.items()}

# Words that name a genre, longest first where they overlap ("drum and bass" before "bass").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "techno": ("techno", "industrial", "minimal", "acid", "rave", "hard techno", "trance", "eletrônica", "eletronica",
               "electrónica", "electronica", "tecno"),
    "house": ("house", "edm", "dance", "deep house", "club", "electro", "garage", "dança", "baile"),
    "lofi": ("lofi", "lo-fi", "lo fi", "hip hop", "hip-hop", "hiphop", "boom bap", "boom-bap", "beats to study"),
    "ambient": ("ambient", "drone", "meditation", "meditative", "sleep", "soundscape", "new age", "atmospheric",
                "ambiente", "meditação", "meditación"),
    "synthwave": ("synthwave", "retrowave", "outrun", "80s", "vaporwave", "synth-pop", "synthpop", "retro"),
    "dnb": ("dnb", "d&b", "drum and bass", "drum & bass", "drum n bass", "drum'n'bass", "jungle", "liquid"),
    "trap": ("trap", "drill", "808s", "rap", "phonk"),
    "cinematic": ("cinematic", "film", "soundtrack", "trailer", "score", "cinemático", "cinematográfica",
                  "trilha sonora", "banda sonora"),
    "jazzy": ("jazz", "jazzy", "chillhop", "lounge", "smooth", "bossa", "coffee", "cafe", "swing", "bossa nova",
              "samba", "café"),
    "rock": ("rock", "metal", "punk", "grunge", "indie rock", "hard rock", "alt rock", "heavy metal", "roqueiro"),
    "pop": ("pop", "k-pop", "kpop", "j-pop", "pop song", "radio hit", "pop rock"),
    "funk": ("funk", "funky", "disco", "groove", "soul", "r&b", "rnb", "motown"),
    "dubstep": ("dubstep", "brostep", "riddim", "wobble", "wub"),
    "country": ("country", "folk", "bluegrass", "americana", "western", "sertanejo", "campestre", "acoustic folk",
                "folclore", "forró"),
    "piano": ("classical", "sonata", "nocturne", "etude", "étude", "prelude", "solo piano", "piano solo",
              "clássica", "classica", "clásica", "clasica", "romantic piano"),
    "orchestral": ("orchestral", "orchestra", "symphonic", "symphony", "epic music", "orquestral", "orquestal",
                   "orquestra", "orquesta", "sinfônica", "sinfónica", "philharmonic"),
}  # fmt: skip
# "chill" alone is a mood as much as a genre: it only decides the genre when nothing else does.
FALLBACK_GENRE_WORDS: dict[str, str] = {"chill": "jazzy", "relax": "lofi", "study": "lofi", "game": "synthwave"}
# No genre named: the instrument words decide, then the mood (the seed picks among a mood's styles).
INSTRUMENT_GENRES: dict[str, tuple[str, ...]] = {
    "piano": ("piano",),
    "orchestral": ("strings", "violin", "cello", "brass", "horns", "choir", "violino", "violín", "cordas", "cuerdas",
                   "coro", "metais", "metales"),
    "country": ("acoustic guitar", "banjo", "fiddle", "violão", "guitarra acústica"),
    "rock": ("electric guitar", "guitar", "guitars", "guitarra", "guitarras", "drums and guitar"),
    "funk": ("slap bass", "clavinet"),
    "jazzy": ("saxophone", "sax", "trumpet", "rhodes", "electric piano"),
}  # fmt: skip
MOOD_GENRES: dict[str, tuple[str, ...]] = {
    "sad": ("piano", "lofi", "ambient"),
    "calm": ("piano", "ambient", "lofi", "jazzy"),
    "epic": ("orchestral", "cinematic"),
    "dark": ("techno", "trap", "cinematic", "dubstep"),
    "happy": ("pop", "house", "funk", "country"),
    "energetic": ("rock", "dnb", "techno", "dubstep"),
    "dreamy": ("ambient", "synthwave", "lofi"),
}
# Moods that sound best without a beat when the mood (not a genre) chose a sparse style.
SPARSE_MOODS = {"sad", "calm", "dreamy"}

"""SynthEngine: the offline composer behind the ``synth`` entry point, and ``render`` for CLI and benchmarks."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence

import numpy as np

from engines.base import (
    Capabilities,
    EngineHealth,
    EngineOptions,
    EngineRejected,
    EngineTimedOut,
    GeneratedTrack,
    GenerationRequest,
    License,
    ModelInfo,
    Samples,
)
from engines.loudness import normalize_gain
from engines.synth.arrangement import arrange
from engines.synth.composer import Composer
from engines.synth.instruments import SR
from engines.synth.mixer import delay, duck_curve, fold_loop, frame_at, master_eq, reverb
from engines.synth.parallel import mixdown
from engines.synth.prompt import brief_for, parse_prompt
from engines.synth.theory import Key, parse_key

MODEL = "synth-1"
LICENSE = License(
    id="CC0-1.0",
    name="CC0 1.0 — CloudMusic synth output",
    url="https://creativecommons.org/publicdomain/zero/1.0/",
    commercial_use=True,
)
CAPABILITIES = Capabilities(
    max_duration=300.0, can_continue=False, can_loop=True, commercial_use=True, stems=True, deterministic=True
)
#: Renders at once per engine. A render is CPU-bound numpy (more threads than cores add no speed) and holds its
#: buses, stems and mix at once (~100 MB for a 30 s track with stems), so this bounds the peak as well.
RENDER_SLOTS = max(1, os.cpu_count() or 1)
#: Renders between two clears of the synth's note caches while renders keep coming (they are also cleared
#: whenever the engine goes idle). The caches are per-note ``lru_cache``s bounded by count, not by bytes: after
#: 120 two-second renders in 8 genres they held ~215 MB, ~1.8 MB of new notes per render; two 5 s renders in
#: different genres cache ~23 MB, four ~60 MB (model takes of up to 4 s), so under load they are cleared every 2.
CLEAR_CACHES_EVERY = 2
TRUE_PEAK_DBTP = -1.5  # the master's true-peak ceiling (BS.1770-4); the promise to listeners is ≤ −1 dBTP
_SENDS = {"drums": 0.06, "bass": 0.0, "chords": 0.35, "lead": 0.3, "fx": 0.0}  # reverb send per bus


def _checked_key(request: GenerationRequest) -> Key | None:
    """Reject impossible requests up front; returns the explicitly asked key, if any."""
    if not 0 < request.duration <= CAPABILITIES.max_duration:
        raise EngineRejected(
            f"duration {request.duration}",
            key="engine.length",
            max=f"{CAPABILITIES.max_duration:.0f}",
        )
    bpm = request.bpm if request.bpm is not None else parse_prompt(request.prompt).bpm
    if bpm is not None and not 40 <= bpm <= 220:
        raise EngineRejected(f"bpm {bpm}", key="engine.bpm_range", low=40, high=220)
    if request.model not in (None, MODEL):
        raise EngineRejected(f"model {request.model}", key="engine.only_model", model=MODEL)
    if request.continue_from is not None:
        raise EngineRejected("continuation", key="engine.cannot_extend")
    if request.reference_audio is not None:  # CAPABILITIES.reference_audio is False: the synth follows no clip
        raise EngineRejected("reference audio")
    if request.key is None:
        return None
    try:
        return parse_key(request.key)
    except ValueError:
        raise EngineRejected(f"key {request.key!r}", key="engine.bad_key") from None


def render(request: GenerationRequest) -> GeneratedTrack:
    """Compose, mix and master ``request`` synchronously (44.1 kHz stereo float32 at −14 LUFS)."""
    started = time.perf_counter()
    key = _checked_key(request)
    seed = request.seed if request.seed is not None else int.from_bytes(os.urandom(4), "little")
    brief = brief_for(request, seed, key)
    step_seconds = 60.0 / brief.bpm / 4.0
    bar_seconds = 16 * step_seconds
    bars = max(1, round(brief.seconds / bar_seconds))
    if request.loop:  # a whole number of bars; tails are rendered, then folded back onto the start
        frames = frame_at(16 * bars, step_seconds)
        extra = max(frame_at(16, step_seconds), int((brief.style.reverb_seconds + 0.5) * SR))
    else:
        frames, extra = round(brief.seconds * SR), 0
    form = arrange(bars, request.loop, (seed ^ brief.prompt_hash) % 7)
    composer = Composer(brief, form, frames + extra, bars, request.loop)
    buses = mixdown(composer.write())
    if brief.style.sidechain and composer.kicks:
        duck = duck_curve(frames + extra, composer.kicks, brief.style.sidechain, 0.6 * 4 * step_seconds)
        buses["bass"] *= duck
        buses["chords"] *= duck
    send = np.zeros_like(buses["drums"])
    for name, level in _SENDS.items():
        if level:
            send += buses[name] * np.float32(level)
    buses["fx"] += reverb(send, brief.style.reverb_seconds, seed) * np.float32(brief.style.reverb * 2.0)
    if brief.style.delay:
        buses["fx"] += delay(buses["lead"], step_seconds, 0.4) * np.float32(brief.style.delay * 2.0)
    if request.loop:
        buses = {name: fold_loop(audio, frames) for name, audio in buses.items()}
    else:  # a short fade so a cut never clicks; the arrangement has already come to rest on the tonic
        tail = min(frames, int(0.8 * SR))
        fade = np.linspace(1.0, 0.0, tail, dtype=np.float32) ** 2
        buses = {name: audio[:, :frames] for name, audio in buses.items()}
        for audio in buses.values():  # only the last 0.8 s is touched (views: no copy of the whole bus)
            audio[:, frames - tail :] *= fade
    color = brief.style.color
    mix = buses["drums"] + buses["bass"]  # summed in place: one 10 MB buffer for a 30 s track, not four
    for name in ("chords", "lead", "fx"):
        mix += buses[name]
    mix = master_eq(mix, request.loop, color)
    if request.stems:  # the EQ is linear: equalised stems still sum to the equalised mix
        buses = {name: master_eq(audio, request.loop, color) for name, audio in buses.items()}
    # −1.5 dBTP by the BS.1770-4 meter leaves room for an ideal-reconstruction meter, which can read ~0.3 dB higher.
    gain = normalize_gain(mix.T, SR, -14.0, TRUE_PEAK_DBTP, circular=request.loop)
    mix *= gain
    samples: Samples = np.ascontiguousarray(mix.T)
    stems = {name: np.ascontiguousarray((audio * gain).T) for name, audio in buses.items()} if request.stems else None
    return GeneratedTrack(
        samples=samples,
        sample_rate=SR,
        engine="synth",
        model=MODEL,
        seed=seed,
        license=LICENSE,
        bpm=brief.bpm,
        key=brief.key.name,
        genre=brief.style.name,
        cost_usd=0.0,
        seconds_taken=time.perf_counter() - started,
        stems=stems,
    )


def release_render_memory() -> None:
    """Clear the synth's note caches (blocking, a few ms); the process gives the memory back to the OS.

    The engine frees what it holds and no more: returning freed memory to the OS (``malloc_trim``) locks the
    C heap process-wide, which only the process's entry point may decide (``bot.__main__``, engines.memory).
    """
    for module in [m for name, m in list(sys.modules.items()) if name.startswith("engines.synth.")]:
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == module.__name__:
                clear()


class SynthEngine:
    """Offline composer: genre-aware patterns, voice-led harmony and a mastered stereo mix, no network."""

    name = "synth"

    def __init__(self, options: EngineOptions | None = None) -> None:
        self._options = options or EngineOptions()
        self._slots = asyncio.Semaphore(RENDER_SLOTS)
        self._rendering = 0
        self._since_clear = 0

    def models(self) -> Sequence[ModelInfo]:
        """The single model, ``synth-1``."""
        return [ModelInfo(MODEL, "Offline multi-genre composer (numpy synthesis).", LICENSE, CAPABILITIES)]

    def capabilities(self, model: str | None = None) -> Capabilities:
        """Capabilities of ``synth-1``; any other model name is rejected."""
        if model not in (None, MODEL):
            raise EngineRejected(f"model {model}", key="engine.only_model", model=MODEL)
        return CAPABILITIES

    async def generate(self, request: GenerationRequest) -> GeneratedTrack:
        """Render in a worker thread within ``timeout_s``; EngineRejected for impossible requests."""
        _checked_key(request)  # fail fast, before a thread is spent
        async with self._slots:
            self._rendering += 1
            try:
                return await asyncio.wait_for(asyncio.to_thread(render, request), self._options.timeout_s)
            except TimeoutError:
                raise EngineTimedOut(f"synth render exceeded {self._options.timeout_s}s") from None
            finally:
                self._rendering -= 1
                self._since_clear += 1
                if self._rendering == 0 or self._since_clear >= CLEAR_CACHES_EVERY:
                    self._since_clear = 0
                    await asyncio.to_thread(release_render_memory)

    async def health(self) -> EngineHealth:
        """Always ready: the engine needs nothing outside this process."""
        return EngineHealth(ok=True)

    async def aclose(self) -> None:
        """Nothing to release."""

"""The mock engine: instant, deterministic tones for tests and demos.

The prompt and seed are hashed into a key, a tempo and a three-voice pattern (bass, chords, pulse) at
44.1 kHz stereo, exactly as long as asked (a loop is rounded to whole 4/4 bars). Stems are the three voices;
they sum to the mix. Output is CC0, so it may be sold.

Markers in the prompt let tests drive failures through the real engine seam, without patching:

``[fail]``
    raise :class:`EngineUnavailable` (a transient outage: the pipeline should retry or refund).
``[reject]``
    raise :class:`EngineRejected` (the request can never succeed).
``[slow:N]``
    wait N seconds (``asyncio.sleep``, so it can be cancelled) before answering; past
    ``EngineOptions.timeout_s`` it raises :class:`EngineTimedOut`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from engines.base import (
    Capabilities,
    EngineHealth,
    EngineOptions,
    EngineRejected,
    EngineTimedOut,
    EngineUnavailable,
    GeneratedTrack,
    GenerationRequest,
    License,
    ModelInfo,
    Samples,
)

SAMPLE_RATE = 44_100
MODEL_ID = "mock-1"
LICENSE = License(
    id="CC0-1.0",
    name="Creative Commons Zero v1.0 Universal",
    url="https://creativecommons.org/publicdomain/zero/1.0/",
    commercial_use=True,
)
CAPABILITIES = Capabilities(
    max_duration=600.0, can_continue=True, can_loop=True, commercial_use=True, stems=True, deterministic=True,
    min_duration=1.0,  # test tones: end-to-end tests ask for 1-2 s tracks to stay fast
)  # fmt: skip
MODEL = ModelInfo(id=MODEL_ID, description="Deterministic test tones, rendered instantly.", license=LICENSE,
                  capabilities=CAPABILITIES)  # fmt: skip

VOICES = ("bass", "chords", "pulse")
_CHUNK = 1 << 17
_SLOW = re.compile(r"\[slow:(\d+(?:\.\d+)?)\]")
_NOTES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def parse_key(key: str) -> tuple[int, bool]:
    """Return (pitch class, is_minor) for "A minor", "F#", "Bbm", "C major"; ValueError if it is not a key."""
    words = key.strip().split()
    if not words or words[0][:1].upper() not in _NOTES or len(words) > 2:
        raise ValueError(f"not a key: {key!r}")
    root, rest = words[0][0].upper(), words[0][1:]
    shift = {"#": 1, "b": -1}.get(rest[:1], 0)
    rest = rest[1:] if shift else rest
    mode = (words[1] if len(words) == 2 else rest).lower()
    if mode not in ("", "m", "min", "minor", "maj", "major"):
        raise ValueError(f"not a key: {key!r}")
    return (_NOTES[root] + shift) % 12, mode in ("m", "min", "minor")


class MockEngine:
    """An :class:`engines.base.Engine` making deterministic tones; the module docstring lists its markers."""

    name = "mock"

    def __init__(self, options: EngineOptions | None = None) -> None:
        self._options = options or EngineOptions()
        self._closed = False
        self.renders = 0  # generate() calls on this instance: tests read where audio was rendered

    def models(self) -> Sequence[ModelInfo]:
        """The single model, ``mock-1``."""
        return (MODEL,)

    def capabilities(self, model: str | None = None) -> Capabilities:
        """Capabilities of ``mock-1``; any other model id is rejected."""
        if model not in (None, MODEL_ID):
            raise EngineRejected(f"mock has no model {model!r}", key="engine.no_model")
        return CAPABILITIES

    async def generate(self, request: GenerationRequest) -> GeneratedTrack:
        """Return tones for the request, or fail as its markers ask."""
        if self._closed:
            raise EngineUnavailable("mock engine is closed")
        started = time.perf_counter()
        self.renders += 1
        self.capabilities(request.model)
        _validate(request)
        try:
            async with asyncio.timeout(self._options.timeout_s):
                if match := _SLOW.search(request.prompt):
                    await asyncio.sleep(float(match.group(1)))
                if "[fail]" in request.prompt:
                    raise EngineUnavailable("mock failure requested by [fail]")
                if "[reject]" in request.prompt:
                    raise EngineRejected("mock rejection requested by [reject]")
                seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
                track = await asyncio.to_thread(_render, request, seed)
        except TimeoutError as exc:
            raise EngineTimedOut(f"mock took longer than {self._options.timeout_s} s") from exc
        return replace(track, seconds_taken=time.perf_counter() - started)

    async def health(self) -> EngineHealth:
        """Healthy until closed."""
        return EngineHealth(ok=not self._closed, detail="closed" if self._closed else "")

    async def aclose(self) -> None:
        """Mark the engine closed; nothing to release."""
        self._closed = True


def _validate(request: GenerationRequest) -> None:
    if not 0 < request.duration <= CAPABILITIES.max_duration:
        raise EngineRejected(
            f"duration {request.duration} s is outside (0, {CAPABILITIES.max_duration:g}] s",
            key="engine.too_long",
            max=f"{CAPABILITIES.max_duration:g}",
        )
    if request.bpm is not None and not 20 <= request.bpm <= 300:
        raise EngineRejected(f"bpm {request.bpm} is outside [20, 300]", key="engine.bpm_range", low=20, high=300)
    if request.reference_audio is not None:  # CAPABILITIES.reference_audio is False: no melody conditioning
        raise EngineRejected("the mock engine takes no reference audio")
    if request.key is not None:
        try:
            parse_key(request.key)
        except ValueError as exc:
            raise EngineRejected(str(exc), key="engine.bad_key") from exc


def _sine(freq: float, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """sin(2π·freq·t) in float32: the phase is wrapped in float64 first, so long tracks keep their pitch exact."""
    phase = ((freq * t) % 1.0).astype(np.float32)
    wave: npt.NDArray[np.float32] = np.sin(np.float32(2 * np.pi) * phase)
    return wave


def _render(request: GenerationRequest, seed: int) -> GeneratedTrack:
    digest = hashlib.sha256(f"{request.prompt}\0{seed}".encode())
    if request.continue_from is not None:
        digest.update(request.continue_from)
    rng = np.random.default_rng(int.from_bytes(digest.digest()[:8], "little"))
    root, minor = parse_key(request.key) if request.key else (int(rng.integers(12)), bool(rng.integers(2)))
    bpm = request.bpm or float(rng.integers(80, 141))
    bar = 4 * 60.0 / bpm
    seconds = max(1, round(request.duration / bar)) * bar if request.loop else request.duration
    frames = round(seconds * SAMPLE_RATE)
    tonic = 110.0 * 2 ** (((root - 9) % 12) / 12)  # A2 … G#3
    chord = 2 * tonic * np.array([1.0, 2 ** ((3 if minor else 4) / 12), 1.5])
    pan = rng.uniform(0.3, 0.7, size=len(VOICES))
    gains = np.stack([1 - pan, pan], axis=1).astype(np.float32)  # (voices, 2)
    mix: Samples = np.zeros((frames, 2), np.float32)
    stems = {name: np.zeros((frames, 2), np.float32) for name in VOICES} if request.stems else None
    for start in range(0, frames, _CHUNK):  # chunks keep the temporaries small on long tracks
        t = np.arange(start, min(start + _CHUNK, frames), dtype=np.float64) / SAMPLE_RATE
        beat = ((t * (bpm / 60)) % 1.0).astype(np.float32)
        voices = (
            0.30 * _sine(tonic, t) * np.exp(np.float32(-3) * beat),
            0.12 * (_sine(chord[0], t) + _sine(chord[1], t) + _sine(chord[2], t)),
            0.15 * _sine(tonic * 8, t) * np.exp(np.float32(-12) * ((beat * 2) % 1.0)),
        )
        for index, voice in enumerate(voices):
            panned = voice[:, None] * gains[index]
            mix[start : start + len(t)] += panned
            if stems is not None:
                stems[VOICES[index]][start : start + len(t)] = panned
    np.clip(mix, -1.0, 1.0, out=mix)  # a no-op at these levels (peak ≈ 0.81), kept as the contract's guard
    return GeneratedTrack(
        samples=mix,
        sample_rate=SAMPLE_RATE,
        engine="mock",
        model=MODEL_ID,
        seed=seed,
        license=LICENSE,
        bpm=bpm,
        key=request.key or f"{_NAMES[root]} {'minor' if minor else 'major'}",
        genre=request.genre,
        stems=stems,
    )

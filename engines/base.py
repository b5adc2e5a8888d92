"""The engine contract: what a music engine is asked, what it answers, and how it fails.

An engine turns a :class:`GenerationRequest` into a :class:`GeneratedTrack`. The pipeline never knows which engine
it talks to: it picks one by name from :mod:`engines.registry` and relies only on what is written here.

Exceptions (every one carries a ``key`` naming its text in the catalogs, ``bot/locales/*.json``, and the
``values`` that fill it in; the exception's own text is for logs and is never shown to a person)::

    EngineError                  base; anything an engine raises on purpose
    ├── EngineUnavailable        the engine or its service is down / rate-limited; retryable
    ├── EngineRejected           this request can never succeed (bad prompt, duration over the limit, NSFW…)
    └── EngineTimedOut           the engine did not finish within its deadline; the work was cancelled
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

#: Audio is float32 in [-1, 1], shaped ``(frames, channels)``.
Samples = npt.NDArray[np.float32]


# --- errors -----------------------------------------------------------------------------------------------------


class EngineError(Exception):
    """Base of every error an engine raises on purpose. ``key`` names the user text, ``values`` fill it in."""

    key = "engine.failed"
    retryable = False

    def __init__(self, detail: str = "", *, key: str | None = None, **values: object) -> None:
        super().__init__(detail or key or self.key)
        if key is not None:
            self.key = key
        self.values = values


class EngineUnavailable(EngineError):
    """The engine or its hosted service is down, overloaded or rate-limited: try again later."""

    key = "engine.unavailable"
    retryable = True


class EngineRejected(EngineError):
    """The request itself cannot be served (bad prompt, duration beyond the limit, refused content)."""

    key = "engine.rejected"


class EngineTimedOut(EngineError):
    """The engine did not finish within its deadline; any remote work was cancelled."""

    key = "engine.timed_out"
    retryable = True


# --- values -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class License:
    """The licence the engine's output is under; ``commercial_use`` says whether it may be sold."""

    id: str  # SPDX-like id, e.g. "CC-BY-NC-4.0"
    name: str
    url: str
    commercial_use: bool


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a model can do; the pipeline validates requests against it before spending a credit."""

    max_duration: float  # seconds
    can_continue: bool  # accepts ``continue_from`` audio
    can_loop: bool  # honours ``loop`` with a seamless whole number of bars
    commercial_use: bool
    stems: bool = False  # can return per-instrument stems
    deterministic: bool = False  # the same request and seed give identical audio (so stems can be re-rendered later)
    # The shortest length worth composing (seconds): under two bars at 96 BPM a track is a blip, not music.
    # Intake refuses shorter requests before a credit is touched; engines themselves accept any positive length.
    min_duration: float = 5.0
    vocals: bool = False  # can sing: takes lyrics (``GenerationRequest.lyrics``) and sings them
    # takes a clip as a melody reference (``GenerationRequest.reference_audio``): the track follows its melody
    reference_audio: bool = False


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model an engine offers."""

    id: str  # e.g. "meta/musicgen" or "synth-1"
    description: str
    license: License
    capabilities: Capabilities


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What to make. Only ``prompt`` is required; the rest refine it."""

    prompt: str
    duration: float = 30.0  # seconds
    seed: int | None = None  # None → the engine picks one and reports it in the track
    bpm: float | None = None
    key: str | None = None  # "A minor", "F#", "C major"
    genre: str | None = None
    mood: str | None = None
    loop: bool = False
    continue_from: bytes | None = None  # WAV bytes to continue, where the model can
    stems: bool = False  # ask for per-instrument stems
    model: str | None = None  # None → the engine's default model
    # Words to sing, section tags like ``[verse]`` kept as written; None → an instrumental. Only models whose
    # capabilities say ``vocals`` take them; the others refuse a request with lyrics (never drop them silently).
    lyrics: str | None = None
    # Audio (any format ffmpeg reads) whose melody the track follows; only models whose capabilities say
    # ``reference_audio`` take it, the others refuse the request.
    reference_audio: bytes | None = None


@dataclass(frozen=True, slots=True)
class GeneratedTrack:
    """The finished audio and everything the product needs to label, price and deliver it."""

    samples: Samples  # float32 (frames, channels), peak ≤ 1.0
    sample_rate: int
    engine: str
    model: str
    seed: int
    license: License
    bpm: float | None = None
    key: str | None = None
    genre: str | None = None
    cost_usd: float = 0.0
    seconds_taken: float = 0.0
    stems: Mapping[str, Samples] | None = field(default=None)
    lyrics: str | None = None  # the words sung (as the user wrote them); None for an instrumental

    @property
    def channels(self) -> int:
        """Number of audio channels."""
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return float(self.samples.shape[0]) / self.sample_rate

    @property
    def commercial_use(self) -> bool:
        """Whether this track may be sold or used commercially."""
        return self.license.commercial_use


@dataclass(frozen=True, slots=True)
class EngineHealth:
    """Whether an engine can take work now, and why not."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Configuration an engine may need; built once by the composition root."""

    replicate_api_token: str | None = None
    replicate_base_url: str | None = None
    timeout_s: float = 300.0  # deadline for one generation
    poll_interval_s: float = 1.0  # for hosted engines that are polled


# --- the seam ---------------------------------------------------------------------------------------------------


@runtime_checkable
class Engine(Protocol):
    """A music engine.

    Contract:
    - ``generate`` is a coroutine and must never block the event loop: CPU work runs in a worker thread
      (``asyncio.to_thread``), network work is awaited.
    - It returns audio of the requested duration (± 50 ms; a loop request may round to whole bars), with
      ``seed`` set to the seed actually used, so the same request with that seed reproduces the track where the
      model is deterministic.
    - It raises only :class:`EngineError` subclasses: ``EngineRejected`` for a request that cannot succeed,
      ``EngineUnavailable`` for a transient failure, ``EngineTimedOut`` past ``EngineOptions.timeout_s`` (after
      cancelling any remote work). Cancellation of the awaiting task cancels the work.
    - ``capabilities(model)`` is cheap and synchronous; callers validate requests against it first. A request for
      something the model lacks (``loop``, ``continue_from``, ``stems``) raises ``EngineRejected``, never a
      silent downgrade.
    - Engines are built by the registry as ``EngineClass(options)``.
    """

    name: str

    def models(self) -> Sequence[ModelInfo]:
        """Every model this engine offers; the first is the default."""
        ...

    def capabilities(self, model: str | None = None) -> Capabilities:
        """Capabilities of ``model`` (the default model when None); unknown model → EngineRejected."""
        ...

    async def generate(self, request: GenerationRequest) -> GeneratedTrack:
        """Make the track, or raise an EngineError."""
        ...

    async def health(self) -> EngineHealth:
        """Whether the engine can take work now. Must answer within a few seconds."""
        ...

    async def aclose(self) -> None:
        """Release clients and threads. Safe to call twice."""
        ...

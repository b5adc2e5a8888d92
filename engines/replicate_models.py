"""The models the ``replicate`` engine offers: pinned versions, licences, prices, and request → input mapping.

Where the facts come from (checked when this table was written; re-check before changing a pin):

- ``meta/musicgen`` version ``671ac645…eedcfb``: the version id most pinned in public code calling Replicate;
  its inputs are those of ``predict.py`` in replicate/cog-musicgen (``model_version``, ``prompt``,
  ``input_audio``, ``duration`` int, ``continuation``, ``continuation_start``/``_end``,
  ``normalization_strategy``, ``top_k``, ``top_p``, ``temperature``, ``classifier_free_guidance``,
  ``output_format``, ``seed``). Weights: CC-BY-NC 4.0.
- ``lucataco/ace-step`` version ``280fc4f9…b688f1``: the id pinned by public Replicate callers, with inputs
  ``tags``, ``lyrics``, ``duration`` (float s, ≤ 240), ``seed``, ``number_of_steps``, ``scheduler``,
  ``guidance_type``, ``guidance_scale`` (+ finer guidance knobs). ACE-Step v1 weights: Apache-2.0.
- ``stackadoc/stable-audio-open-1.0`` version ``9aff84a6…c75a8``: inputs ``prompt``, ``negative_prompt``,
  ``seconds_start``, ``seconds_total`` (≤ 47 s), ``steps``, ``cfg_scale``, ``seed``, ``sampler_type``…
  Weights: Stability AI Community License — commercial use is free only while the licensee's annual revenue is
  under US$1M; above that an Enterprise licence is required.
- Prices are Replicate's public per-second hardware prices (pricing page): A100 80GB $0.0014/s, L40S
  $0.000975/s. Which hardware each model runs on is an ASSUMPTION (MusicGen on A100 80GB, the two community
  models on L40S); Replicate bills ``metrics.predict_time`` × that price.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engines.base import Capabilities, EngineRejected, GenerationRequest, License, ModelInfo

#: Hardware prices in US$ per second of ``predict_time`` (Replicate pricing page).
PRICE_PER_SECOND = {
    "gpu-a100-large": 0.0014,  # Nvidia A100 (80GB)
    "gpu-l40s": 0.000975,  # Nvidia L40S
}

CC_BY_NC_4 = License(
    id="CC-BY-NC-4.0",
    name="Creative Commons Attribution-NonCommercial 4.0",
    url="https://creativecommons.org/licenses/by-nc/4.0/",
    commercial_use=False,
)
APACHE_2 = License(
    id="Apache-2.0",
    name="Apache License 2.0",
    url="https://www.apache.org/licenses/LICENSE-2.0",
    commercial_use=True,
)
# True only while the operator's annual revenue stays under US$1M (the licence's own threshold); the flag
# cannot say that, so the model description does.
STABILITY_COMMUNITY = License(
    id="LicenseRef-Stability-AI-Community",
    name="Stability AI Community License (commercial use under US$1M annual revenue)",
    url="https://stability.ai/license",
    commercial_use=True,
)


@dataclass(frozen=True, slots=True)
class Continuation:
    """Audio a model is asked to continue: the upload's URL and id, where to start, how many seconds it carries."""

    url: str  # ``File.urls["get"]`` of the upload (Replicate's files API)
    file_id: str  # to delete the upload once the prediction has ended
    start_s: int  # sent as ``continuation_start``: the model only sees the audio after this point
    used_s: float  # seconds of prompt audio the model sees; its output starts with them


InputBuilder = Callable[[GenerationRequest, int, Continuation | None], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ReplicateModel:
    """One model on Replicate: what we tell users about it, the pinned version and how to call it."""

    info: ModelInfo
    version: str | None  # None → call the official model's endpoint (``/v1/models/{owner}/{name}/predictions``)
    hardware: str  # a key of PRICE_PER_SECOND
    build_input: InputBuilder

    @property
    def price_per_second(self) -> float:
        """US$ per second of ``predict_time`` on this model's hardware."""
        return PRICE_PER_SECOND[self.hardware]


def describe(request: GenerationRequest, *, separator: str = ", ") -> str:
    """The prompt text with genre, mood, tempo and key written in, for models with no control for them."""
    parts = [request.prompt.strip()]
    if request.genre:
        parts.append(request.genre)
    if request.mood:
        parts.append(f"{request.mood} mood")
    if request.bpm:
        parts.append(f"{request.bpm:g} BPM")
    if request.key:
        parts.append(f"in {request.key}")
    return separator.join(part for part in parts if part)


def _whole_seconds(duration: float) -> int:
    # Integer-duration models are asked for the next whole second; the engine trims the excess.
    return max(1, math.ceil(duration - 1e-9))


def _musicgen_input(request: GenerationRequest, seed: int, continuation: Continuation | None) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "prompt": describe(request),
        "model_version": "stereo-melody-large",
        "duration": _whole_seconds(request.duration),
        "output_format": "wav",
        "normalization_strategy": "loudness",
        "top_k": 250,
        "top_p": 0.0,
        "temperature": 1.0,
        "classifier_free_guidance": 3,
        "seed": seed,
    }
    if continuation is not None:
        # MusicGen's continuation output starts with the prompt audio and ``duration`` counts it too.
        inputs["input_audio"] = continuation.url
        inputs["continuation"] = True
        inputs["continuation_start"] = continuation.start_s
        inputs["duration"] = _whole_seconds(continuation.used_s + request.duration)
    return inputs


def _ace_step_input(request: GenerationRequest, seed: int, continuation: Continuation | None) -> dict[str, Any]:
    if continuation is not None:  # the capabilities say so; reaching here is a caller bug
        raise EngineRejected("lucataco/ace-step cannot continue audio")
    return {
        "tags": describe(request),
        "lyrics": "[instrumental]",  # the bot makes instrumentals; ACE-Step's marker for "no vocals"
        "duration": round(request.duration, 3),
        "seed": seed,
        "number_of_steps": 60,
        "scheduler": "euler",
        "guidance_type": "apg",
        "guidance_scale": 15.0,
    }


def _stable_audio_input(request: GenerationRequest, seed: int, continuation: Continuation | None) -> dict[str, Any]:
    if continuation is not None:
        raise EngineRejected("stackadoc/stable-audio-open-1.0 cannot continue audio")
    return {
        "prompt": describe(request),
        "seconds_start": 0,
        "seconds_total": _whole_seconds(request.duration),
        "steps": 100,
        "cfg_scale": 6.0,
        "seed": seed,
    }


MUSICGEN = ReplicateModel(
    info=ModelInfo(
        id="meta/musicgen",
        description="Meta MusicGen stereo-melody-large: instrumental music from text; can continue audio. "
        "Non-commercial (CC-BY-NC 4.0).",
        license=CC_BY_NC_4,
        # The schema sets no maximum; MusicGen is trained on 30 s windows and runs longer only by sliding its
        # window, at linear extra cost and drifting quality, so one call is capped at 30 s.
        capabilities=Capabilities(max_duration=30.0, can_continue=True, can_loop=False, commercial_use=False),
    ),
    version="671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
    hardware="gpu-a100-large",
    build_input=_musicgen_input,
)

ACE_STEP = ReplicateModel(
    info=ModelInfo(
        id="lucataco/ace-step",
        description="ACE-Step v1 3.5B: full songs up to 4 minutes from tags; commercial use allowed (Apache-2.0).",
        license=APACHE_2,
        capabilities=Capabilities(max_duration=240.0, can_continue=False, can_loop=False, commercial_use=True),
    ),
    version="280fc4f9ee507577f880a167f639c02622421d8fecf492454320311217b688f1",
    hardware="gpu-l40s",
    build_input=_ace_step_input,
)

STABLE_AUDIO_OPEN = ReplicateModel(
    info=ModelInfo(
        id="stackadoc/stable-audio-open-1.0",
        description="Stable Audio Open 1.0: loops and textures up to 47 s; commercial use only under the "
        "Stability AI Community License (annual revenue below US$1M).",
        license=STABILITY_COMMUNITY,
        capabilities=Capabilities(max_duration=47.0, can_continue=False, can_loop=False, commercial_use=True),
    ),
    version="9aff84a639f96d0f7e6081cdea002d15133d0043727f849c40abdd166b7c75a8",
    hardware="gpu-l40s",
    build_input=_stable_audio_input,
)

#: Every model the engine offers; the first is the default.
MODELS: tuple[ReplicateModel, ...] = (MUSICGEN, ACE_STEP, STABLE_AUDIO_OPEN)

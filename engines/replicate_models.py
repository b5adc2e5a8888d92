"""The models the ``replicate`` engine offers: pinned versions, licences, prices, and request → input mapping.

Where the facts come from (checked when this table was written; re-check before changing a pin):

- ``meta/musicgen`` version ``671ac645…eedcfb``: the version id most pinned in public code calling Replicate;
  its inputs are those of ``predict.py`` in replicate/cog-musicgen (``model_version``, ``prompt``,
  ``input_audio``, ``duration`` int, ``continuation``, ``continuation_start``/``_end``,
  ``normalization_strategy``, ``top_k``, ``top_p``, ``temperature``, ``classifier_free_guidance``,
  ``output_format``, ``seed``). Weights: CC-BY-NC 4.0. Melody reference, verified in that ``predict.py``
  (github replicate/cog-musicgen, commit 647e795): ``input_audio`` with ``continuation`` False makes the output
  "mimic the audio file's melody" (``generate_with_chroma``; the output is ``duration`` long and does not include
  the reference), and only ``model_version`` ``stereo-melody-large`` or ``melody-large`` may do it — ``stereo-large``
  and ``large`` raise "model does not support melody input".
- ``lucataco/ace-step`` version ``280fc4f9…b688f1``: the id pinned by public Replicate callers, with inputs
  ``tags``, ``lyrics``, ``duration`` (float s, ≤ 240), ``seed``, ``number_of_steps``, ``scheduler``,
  ``guidance_type``, ``guidance_scale`` (+ finer guidance knobs). ACE-Step v1 weights: Apache-2.0.
- ``visoar/ace-step-1.5`` version ``fd851bae…07794``: ACE-Step 1.5 packaged with cog. Inputs verified from the
  version's published API page (replicate.com/visoar/ace-step-1.5/versions/fd851bae…/api: ``caption`` string,
  ``lyrics`` string "Optional lyrics with tags like [Verse] and [Chorus]", ``duration`` int 1–600 default 90,
  ``batch_size`` int 1–4, ``timeout_seconds`` int 30–7200, ``poll_interval`` number 1–30; output: an array of
  file URIs) and from the same schema in its cog ``predict.py`` (github visoar/ace-step-1.5). It takes NO seed,
  bpm, key or time-signature input: tempo and key are written into the caption, and the seed we report is only a
  label (the output is not reproducible). ACE-Step 1.5 weights: MIT (outputs may be sold). This is a community
  packaging, not an official Replicate model; re-check the pin before relying on it in production.
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
MIT = License(
    id="MIT",
    name="MIT License",
    url="https://opensource.org/license/mit",
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
class Reference:
    """A clip a model takes as its melody reference: the upload's URL and id (deleted once the prediction ends)."""

    url: str  # ``File.urls["get"]`` of the upload (Replicate's files API)
    file_id: str


#: Adds a melody reference to the inputs ``build_input`` made.
ReferenceInput = Callable[[dict[str, Any], Reference], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ReplicateModel:
    """One model on Replicate: what we tell users about it, the pinned version and how to call it."""

    info: ModelInfo
    version: str | None  # None → call the official model's endpoint (``/v1/models/{owner}/{name}/predictions``)
    hardware: str  # a key of PRICE_PER_SECOND
    build_input: InputBuilder
    reference_input: ReferenceInput | None = None  # None: the model takes no melody reference

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


#: The MusicGen models that take a melody reference (cog-musicgen ``predict.py``: the others raise "does not support
#: melody input"); the stereo one is what we call anyway.
MUSICGEN_MELODY_VERSIONS = ("stereo-melody-large", "melody-large")


def _musicgen_reference(inputs: dict[str, Any], reference: Reference) -> dict[str, Any]:
    # ``continuation`` False: the output mimics the reference's melody and is ``duration`` long (nothing to trim).
    if inputs.get("model_version") not in MUSICGEN_MELODY_VERSIONS:
        raise EngineRejected(f"meta/musicgen {inputs.get('model_version')} takes no melody reference")
    return {**inputs, "input_audio": reference.url, "continuation": False}


#: ACE-Step's marker for "no vocals" (the lucataco/ace-step schema: "Use [instrumental] or [inst] to generate
#: instrumental music").
INSTRUMENTAL = "[instrumental]"


def sung_lyrics(request: GenerationRequest) -> str:
    """The lyrics exactly as the user wrote them (section tags kept), or the instrumental marker when none."""
    if request.lyrics is None or not request.lyrics.strip():
        return INSTRUMENTAL
    return request.lyrics


def _ace_step_input(request: GenerationRequest, seed: int, continuation: Continuation | None) -> dict[str, Any]:
    if continuation is not None:  # the capabilities say so; reaching here is a caller bug
        raise EngineRejected("lucataco/ace-step cannot continue audio")
    return {
        "tags": describe(request),
        "lyrics": sung_lyrics(request),
        "duration": round(request.duration, 3),
        "seed": seed,
        "number_of_steps": 60,
        "scheduler": "euler",
        "guidance_type": "apg",
        "guidance_scale": 15.0,
    }


def _ace_step_15_input(request: GenerationRequest, seed: int, continuation: Continuation | None) -> dict[str, Any]:
    del seed  # the pinned version has no seed input (see the module docstring)
    if continuation is not None:
        raise EngineRejected("visoar/ace-step-1.5 cannot continue audio")
    return {
        "caption": describe(request),
        "lyrics": sung_lyrics(request),
        "duration": _whole_seconds(request.duration),
        "batch_size": 1,
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
        description="Meta MusicGen stereo-melody-large: instrumental music from text; can continue audio or follow "
        "a clip's melody. Non-commercial (CC-BY-NC 4.0).",
        license=CC_BY_NC_4,
        # The schema sets no maximum; MusicGen is trained on 30 s windows and runs longer only by sliding its
        # window, at linear extra cost and drifting quality, so one call is capped at 30 s.
        capabilities=Capabilities(
            max_duration=30.0, can_continue=True, can_loop=False, commercial_use=False, reference_audio=True
        ),
    ),
    # Melody reference as replicate/cog-musicgen's ``predict.py`` (commit 647e795, read for this) takes it:
    # ``input_audio`` with ``continuation`` False on ``model_version`` stereo-melody-large / melody-large. That this
    # pinned version runs that code is what its input names say; re-check its API page before changing the pin.
    version="671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
    hardware="gpu-a100-large",
    build_input=_musicgen_input,
    reference_input=_musicgen_reference,
)

ACE_STEP = ReplicateModel(
    info=ModelInfo(
        id="lucataco/ace-step",
        description="ACE-Step v1 3.5B: full songs up to 4 minutes from tags; commercial use allowed (Apache-2.0).",
        license=APACHE_2,
        capabilities=Capabilities(
            max_duration=240.0, can_continue=False, can_loop=False, commercial_use=True, vocals=True
        ),
    ),
    version="280fc4f9ee507577f880a167f639c02622421d8fecf492454320311217b688f1",
    hardware="gpu-l40s",
    build_input=_ace_step_input,
)

ACE_STEP_15 = ReplicateModel(
    info=ModelInfo(
        id="visoar/ace-step-1.5",
        description="ACE-Step 1.5: songs with vocals singing your lyrics in 50+ languages, up to 10 minutes; "
        "commercial use allowed (MIT).",
        license=MIT,
        # 600 s: the schema's ``duration`` maximum.
        capabilities=Capabilities(
            max_duration=600.0, can_continue=False, can_loop=False, commercial_use=True, vocals=True
        ),
    ),
    version="fd851baef553cb1656f4a05e8f2f8641672f10bc808718f5718b4b4bb2b07794",
    hardware="gpu-l40s",  # ASSUMPTION, like the other community models (the API page does not say)
    build_input=_ace_step_15_input,
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

# --- the lyric writer (not a music model: never offered in MODELS) ------------------------------------------

#: The AI lyric writer: IBM Granite 3.3 8B Instruct, an official Replicate model under Apache-2.0 (its output may be
#: used commercially, unlike Llama's licence with its own terms). Version ``8afd11cc…91bdf``; inputs verified from
#: the version's API page (replicate.com/ibm-granite/granite-3.3-8b-instruct/versions/8afd11cc…/api): ``prompt``,
#: ``system_prompt``, ``max_tokens`` (int, default 512), ``min_tokens``, ``temperature`` (number, 0.6), ``top_p``,
#: ``top_k``, ``presence_penalty``, ``frequency_penalty``, ``stop_sequences`` (comma-separated string), ``seed``.
#: Like every hosted LLM there it returns a list of string tokens, joined here (PITFALLS.md).
LYRICIST_MODEL = "ibm-granite/granite-3.3-8b-instruct"
LYRICIST_VERSION = "8afd11cc386bd05622227e71b208b9ecc000b946d84d373be96090f38ec91bdf"
LYRICIST_SYSTEM = (
    "You write song lyrics. Answer with the lyrics only, in the language of the user's theme, structured with "
    "section tags on their own lines: [verse], [chorus], [verse], [chorus], [bridge], [chorus]. Short singable lines. "
    "No title, no commentary, no markdown."
)


def lyricist_input(theme: str, seed: int) -> dict[str, Any]:
    """The lyric writer's input for a theme (already length-checked by the caller)."""
    return {
        "prompt": f"Write lyrics for a song about: {theme}",
        "system_prompt": LYRICIST_SYSTEM,
        "max_tokens": 700,
        "temperature": 0.8,
        "top_p": 0.9,
        "seed": seed,
    }


#: Every model the engine offers; the first is the default.
MODELS: tuple[ReplicateModel, ...] = (MUSICGEN, ACE_STEP, STABLE_AUDIO_OPEN, ACE_STEP_15)

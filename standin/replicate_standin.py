"""A loopback stand-in for the part of Replicate's HTTP API that the official client and our engine use.

Routes::

    POST /v1/predictions                              create by ``version`` (422 on an unknown version)
    POST /v1/models/{owner}/{name}/predictions        create on an official model
    GET  /v1/predictions/{id}                         poll; the scenario decides when and how it ends
    POST /v1/predictions/{id}/cancel                  cancel (recorded in ``canceled_ids``)
    GET  /v1/account                                  who the token belongs to
    POST /v1/files                                    upload a model input (multipart part ``content``)
    GET  /v1/files/{id}/download                      an uploaded file's bytes (what a model fetches)
    DELETE /v1/files/{id}                             delete an upload (204)
    GET  /files/{name}                                outputs: real WAV tones made with numpy, no auth needed

Every API route checks ``Authorization: Bearer <token>`` (401 otherwise) and every request is recorded. Inputs
are validated against the real models' input names and types (422 with a Replicate-like body otherwise), so a
renamed or mistyped input in the engine fails a test instead of a production call. Scenarios are chosen per model
(``set_scenario(..., model="meta/musicgen")``) or for all models (``model=None``).

Replicate's real limits that the stand-in enforces: a ``data:`` URI input over 256 kB is refused (422), as
Replicate's OpenAPI tells callers to send files over 256 kB as HTTP URLs (``PredictionRequestInput``: "Use an HTTP
URL when you have a large file > 256kb"), e.g. through the files API; and a prediction whose deadline passed before
it ran ends ``aborted`` (a status replicate 1.0.7's pydantic ``Prediction`` model does not accept). Inputs with
``choices`` in the model's cog schema take only those values (422 otherwise), and MusicGen's predictions fail the
way its ``predict.py`` fails them (``_musicgen_checks``: a melody reference on a model without melody input, a
continuation without audio, an ``input_audio`` that is not audio).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import itertools
import json
import math
import re
import socket
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Self

import numpy as np
from aiohttp import web

Outcome = Literal["succeeded", "failed", "canceled", "aborted", "slow"]
#: Replicate's OpenAPI (``PredictionRequestInput``): data URLs only for files <= 256kb, larger ones as HTTP URLs.
MAX_DATA_URI_BYTES = 256 * 1024
_ENDED = ("succeeded", "failed", "canceled", "aborted")

NSFW_ERROR = "NSFW content detected in the output. Try a different prompt."
INVALID_INPUT_ERROR = "ValueError: Must provide `input_audio` if continuation is `True`."
CRASH_ERROR = "CUDA error: an illegal memory access was encountered"

_NUMBER = (int, float)


@dataclass(frozen=True, slots=True)
class ModelSchema:
    """What the stand-in knows of a real model: its pinned version, inputs (name → accepted types), output."""

    owner_name: str
    version: str
    inputs: Mapping[str, tuple[type, ...]]
    duration_input: str  # the input giving the length of the audio to make
    sample_rate: int
    output_is_list: bool = False  # the output schema is an array of file URIs (one per ``batch_size`` item)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # name → (minimum, maximum)
    text_output: bool = False  # an LLM: the output is a list of string tokens (Scenario.text, split up)
    # name → the values cog's ``Input(choices=[...])`` allows (anything else is refused with 422 before it runs)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The checks the model's own ``predict()`` makes before it generates: given the inputs and the bytes of
    # ``input_audio`` (None when absent or unreadable here), the error the prediction fails with, or None.
    predict_checks: Callable[[Mapping[str, Any], bytes | None], str | None] | None = None


#: replicate/cog-musicgen ``predict.py`` (github, commit 647e795), ``Predictor.predict``: with ``input_audio`` and
#: ``continuation`` False the output "will mimic the audio file's melody" (``generate_with_chroma``), which only
#: the melody models can do; these are the errors it raises (a ValueError fails the prediction).
MUSICGEN_NO_PROMPT_ERROR = "ValueError: Must provide either prompt or input_audio"
MUSICGEN_NO_MELODY_ERROR = (
    "ValueError: `stereo-large` and `large` model does not support melody input. Set "
    "`model_version='stereo-melody-large'` or `model_version='melody-large'` to condition on audio input."
)
#: What ``torchaudio.load`` says when ``input_audio`` is not audio it can open.
UNREADABLE_AUDIO_ERROR = "RuntimeError: Failed to open the input (Invalid data found when processing input)."


def _musicgen_checks(inputs: Mapping[str, Any], audio: bytes | None) -> str | None:
    """The checks of cog-musicgen's ``predict()`` before it generates (see MUSICGEN_NO_MELODY_ERROR)."""
    model_version = inputs.get("model_version", "stereo-melody-large")
    has_audio = bool(inputs.get("input_audio"))
    if inputs.get("prompt") is None and not has_audio:
        return MUSICGEN_NO_PROMPT_ERROR
    if inputs.get("continuation") and not has_audio:
        return INVALID_INPUT_ERROR
    if model_version in ("stereo-large", "large") and has_audio and not inputs.get("continuation"):
        return MUSICGEN_NO_MELODY_ERROR
    if has_audio and (audio is None or audio[:4] != b"RIFF" or audio[8:12] != b"WAVE"):
        return UNREADABLE_AUDIO_ERROR  # every input_audio we send is a WAV
    return None


MODELS: tuple[ModelSchema, ...] = (
    ModelSchema(
        owner_name="meta/musicgen",
        version="671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
        inputs={
            "model_version": (str,),
            "prompt": (str,),
            "input_audio": (str,),
            "duration": (int,),
            "continuation": (bool,),
            "continuation_start": (int,),
            "continuation_end": (int,),
            "multi_band_diffusion": (bool,),
            "normalization_strategy": (str,),
            "top_k": (int,),
            "top_p": _NUMBER,
            "temperature": _NUMBER,
            "classifier_free_guidance": (int,),
            "output_format": (str,),
            "seed": (int,),
        },
        duration_input="duration",
        sample_rate=32_000,
        choices={
            "model_version": ("stereo-melody-large", "stereo-large", "melody-large", "large"),
            "normalization_strategy": ("loudness", "clip", "peak", "rms"),
            "output_format": ("wav", "mp3"),
        },
        predict_checks=_musicgen_checks,
    ),
    ModelSchema(
        owner_name="lucataco/ace-step",
        version="280fc4f9ee507577f880a167f639c02622421d8fecf492454320311217b688f1",
        inputs={
            "tags": (str,),
            "lyrics": (str,),
            "duration": _NUMBER,
            "seed": (int,),
            "number_of_steps": (int,),
            "scheduler": (str,),
            "guidance_type": (str,),
            "guidance_scale": _NUMBER,
            "granularity_scale": _NUMBER,
            "guidance_interval": _NUMBER,
            "guidance_interval_decay": _NUMBER,
            "min_guidance_scale": _NUMBER,
            "tag_guidance_scale": _NUMBER,
            "lyric_guidance_scale": _NUMBER,
        },
        duration_input="duration",
        sample_rate=48_000,
    ),
    # ACE-Step 1.5 as published on Replicate: the version's API page
    # (replicate.com/visoar/ace-step-1.5/versions/fd851bae…/api) and the cog predict.py of github
    # visoar/ace-step-1.5 give these inputs with these bounds, and an output schema
    # ``{"type": "array", "items": {"type": "string", "format": "uri"}}``. No seed, bpm or key input.
    ModelSchema(
        owner_name="visoar/ace-step-1.5",
        version="fd851baef553cb1656f4a05e8f2f8641672f10bc808718f5718b4b4bb2b07794",
        inputs={
            "caption": (str,),
            "lyrics": (str,),
            "duration": (int,),
            "batch_size": (int,),
            "timeout_seconds": (int,),
            "poll_interval": _NUMBER,
        },
        duration_input="duration",
        sample_rate=48_000,
        output_is_list=True,
        ranges={"duration": (1, 600), "batch_size": (1, 4), "timeout_seconds": (30, 7200), "poll_interval": (1, 30)},
    ),
    # The lyric writer: ibm-granite/granite-3.3-8b-instruct as its version's API page lists the inputs
    # (replicate.com/ibm-granite/granite-3.3-8b-instruct/versions/8afd11cc…/api); hosted LLMs answer with a list of
    # string tokens (PITFALLS.md), which is what this returns.
    ModelSchema(
        owner_name="ibm-granite/granite-3.3-8b-instruct",
        version="8afd11cc386bd05622227e71b208b9ecc000b946d84d373be96090f38ec91bdf",
        inputs={
            "prompt": (str,),
            "system_prompt": (str,),
            "max_tokens": (int,),
            "min_tokens": (int,),
            "temperature": _NUMBER,
            "top_p": _NUMBER,
            "top_k": (int,),
            "presence_penalty": _NUMBER,
            "frequency_penalty": _NUMBER,
            "stop_sequences": (str,),
            "seed": (int,),
        },
        duration_input="max_tokens",
        sample_rate=0,
        text_output=True,
    ),
    ModelSchema(
        owner_name="stackadoc/stable-audio-open-1.0",
        version="9aff84a639f96d0f7e6081cdea002d15133d0043727f849c40abdd166b7c75a8",
        inputs={
            "prompt": (str,),
            "negative_prompt": (str,),
            "seed": (int,),
            "steps": (int,),
            "cfg_scale": _NUMBER,
            "sigma_min": _NUMBER,
            "sigma_max": _NUMBER,
            "batch_size": (int,),
            "sampler_type": (str,),
            "seconds_start": (int,),
            "seconds_total": (int,),
            "init_noise_level": _NUMBER,
        },
        duration_input="seconds_total",
        sample_rate=44_100,
    ),
)


@dataclass(slots=True)
class Scenario:
    """How predictions of one model (or of all) behave.

    ``create_status``: answer creates with this HTTP status (500, 503, 429…) ``create_failures`` times, then
    normally. ``poll_errors``: the first GETs of each prediction answer 500. ``outcome`` after ``polls``
    GETs: succeeded (a WAV of the requested length), failed (``error``), canceled, aborted (Replicate's status
    when a prediction's deadline passes before it runs), or slow (never ends).
    """

    outcome: Outcome = "succeeded"
    polls: int = 1
    error: str = CRASH_ERROR
    predict_time: float = 2.5
    output_as_list: bool = False
    create_status: int | None = None
    create_failures: int = 1_000_000
    retry_after: int = 1
    poll_errors: int = 0  # the first polls of each prediction answer HTTP 500
    create_delay_s: float = 0.0  # a slow create: the prediction exists before the answer leaves
    text: str = "[verse]\nCity lights are fading\n\n[chorus]\nAdeus, adeus\n"  # what an LLM answers


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the stand-in received."""

    method: str
    path: str
    json: Any
    authorization: str | None


@dataclass(slots=True)
class _Prediction:
    id: str
    schema: ModelSchema
    input: dict[str, Any]
    scenario: Scenario
    status: str = "starting"
    polls: int = 0
    failed_polls: int = 0
    output: Any = None
    error: str | None = None
    fails_with: str | None = None  # the model's own predict() refuses these inputs (ModelSchema.predict_checks)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    completed_at: str | None = None


def tone_wav(
    seconds: float, sample_rate: int, channels: int = 2, frequency: float = 440.0, *, silent_lead_s: float = 0.0
) -> bytes:
    """A 16-bit PCM WAV, ``seconds`` long: ``silent_lead_s`` of silence, then a quiet sine tone."""
    frames = max(1, round(seconds * sample_rate))
    t = np.arange(frames, dtype=np.float64) / sample_rate
    mono = 0.25 * np.sin(2 * math.pi * frequency * t)
    mono[: round(silent_lead_s * sample_rate)] = 0.0
    pcm = (np.repeat(mono[:, None], channels, axis=1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


class ReplicateStandIn:
    """The stand-in server; ``async with ReplicateStandIn() as r:`` then point the engine at ``r.base_url``."""

    def __init__(self, token: str = "r8_standin_token") -> None:
        """Prepare (not start) a stand-in that accepts ``token``."""
        self.token = token
        self.requests: list[RecordedRequest] = []
        self.canceled_ids: list[str] = []
        self.files: dict[str, bytes] = {}
        self.uploads: dict[str, bytes] = {}  # files API: id → content
        self.deleted_uploads: list[str] = []
        self.uploaded: dict[str, bytes] = {}  # every upload ever made, kept after its deletion (for assertions)
        self._scenarios: dict[str | None, Scenario] = {None: Scenario()}
        self._create_failures_left: dict[str | None, int] = {}
        self._predictions: dict[str, _Prediction] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port = 0

    # --- lifecycle ----------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` once started."""
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        # aiohttp refuses bodies over 1 MiB by default; Replicate's files API takes uploads up to 100 MiB.
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_post("/v1/predictions", self._create_by_version)
        app.router.add_post("/v1/models/{owner}/{name}/predictions", self._create_by_model)
        app.router.add_get("/v1/predictions/{id}", self._get)
        app.router.add_post("/v1/predictions/{id}/cancel", self._cancel)
        app.router.add_get("/v1/account", self._account)
        app.router.add_post("/v1/files", self._upload)
        app.router.add_get("/v1/files/{id}/download", self._download_upload)
        app.router.add_delete("/v1/files/{id}", self._delete_upload)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # Bind the socket ourselves: the ephemeral port is then known without aiohttp internals.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Stop listening; safe to call twice."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- test controls ------------------------------------------------------------------------------------

    def set_scenario(self, outcome: Outcome = "succeeded", *, model: str | None = None, **options: Any) -> Scenario:
        """Make predictions of ``model`` (all models when None) behave as described; see :class:`Scenario`."""
        scenario = Scenario(outcome=outcome, **options)
        self._scenarios[model] = scenario
        self._create_failures_left[model] = scenario.create_failures
        return scenario

    def calls(self, method: str, path_prefix: str = "") -> list[RecordedRequest]:
        """The recorded requests with this method whose path starts with ``path_prefix``."""
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    @property
    def creates(self) -> list[RecordedRequest]:
        """Every create request (by version or by model), answered or refused, in order."""
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/predictions")]

    @property
    def created_inputs(self) -> list[dict[str, Any]]:
        """The ``input`` of every create request, in order."""
        return [r.json["input"] for r in self.creates if isinstance(r.json, dict) and "input" in r.json]

    # --- routes ---------------------------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> Any:
        body = await request.read()
        payload = None
        if body and request.content_type.startswith("multipart/"):
            payload = f"<multipart, {len(body)} bytes>"
        elif body:
            try:
                payload = await request.json()
            except ValueError:
                payload = body.decode(errors="replace")
        self.requests.append(
            RecordedRequest(request.method, request.path, payload, request.headers.get("Authorization"))
        )
        return payload

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _create_by_version(self, request: web.Request) -> web.Response:
        payload = await self._record(request)
        if not self._authorized(request):
            return _unauthenticated()
        version = (payload or {}).get("version")
        schema = next((m for m in MODELS if m.version == version), None)
        if schema is None:
            return _problem(
                422,
                "Invalid version or not permitted",
                "The specified version does not exist (or perhaps you don't have permission to use it?)",
            )
        return await self._create(schema, payload)

    async def _create_by_model(self, request: web.Request) -> web.Response:
        payload = await self._record(request)
        if not self._authorized(request):
            return _unauthenticated()
        owner_name = f"{request.match_info['owner']}/{request.match_info['name']}"
        schema = next((m for m in MODELS if m.owner_name == owner_name), None)
        if schema is None:
            return _problem(404, "Not found", f"Model {owner_name} does not exist")
        return await self._create(schema, payload)

    def _scenario_key(self, schema: ModelSchema) -> str | None:
        return schema.owner_name if schema.owner_name in self._scenarios else None

    async def _create(self, schema: ModelSchema, payload: Any) -> web.Response:
        key = self._scenario_key(schema)
        scenario = self._scenarios[key]
        if scenario.create_status is not None and self._create_failures_left.get(key, 0) > 0:
            self._create_failures_left[key] -= 1
            if scenario.create_status == 429:
                return _problem(
                    429,
                    "Too Many Requests",
                    f"Request was throttled. Expected available in {scenario.retry_after} second.",
                    headers={"Retry-After": str(scenario.retry_after)},
                )
            return _problem(scenario.create_status, "Internal Server Error", "Something went wrong")
        inputs = (payload or {}).get("input")
        if not isinstance(inputs, dict):
            return _problem(422, "Input validation failed", "- input: Invalid type. Expected: object")
        problems = _validate(schema, inputs) + self._check_files(inputs)
        if problems:
            return _problem(
                422,
                "Input validation failed",
                "".join(f"- input.{name}: {why}\n" for name, why in problems),
                invalid_fields=[{"type": "invalid", "field": f"input.{n}", "description": w} for n, w in problems],
            )
        prediction = _Prediction(id=f"standin{next(self._ids):04d}", schema=schema, input=inputs, scenario=scenario)
        if schema.predict_checks is not None:
            prediction.fails_with = schema.predict_checks(inputs, self._audio_of(inputs.get("input_audio")))
        self._predictions[prediction.id] = prediction
        if scenario.create_delay_s:
            await asyncio.sleep(scenario.create_delay_s)
        return web.json_response(self._json(prediction), status=201)

    async def _get(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return _unauthenticated()
        prediction = self._predictions.get(request.match_info["id"])
        if prediction is None:
            return _problem(404, "Not found", "Prediction not found")
        if prediction.failed_polls < prediction.scenario.poll_errors:
            prediction.failed_polls += 1
            return _problem(500, "Internal Server Error", "Something went wrong")
        if prediction.status not in _ENDED:
            prediction.polls += 1
            self._advance(prediction)
        return web.json_response(self._json(prediction))

    async def _cancel(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return _unauthenticated()
        prediction = self._predictions.get(request.match_info["id"])
        if prediction is None:
            return _problem(404, "Not found", "Prediction not found")
        self.canceled_ids.append(prediction.id)
        if prediction.status not in _ENDED:
            prediction.status = "canceled"
            prediction.completed_at = datetime.now(UTC).isoformat()
        return web.json_response(self._json(prediction))

    async def _account(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return _unauthenticated()
        return web.json_response({"type": "user", "username": "standin", "name": "Stand-in", "github_url": None})

    async def _upload(self, request: web.Request) -> web.Response:
        """``POST /v1/files``: what replicate 1.0.7's ``Files.async_create`` sends (replicate/file.py): multipart,
        the bytes in part ``content`` (filename, content type), optional ``metadata`` (JSON) form field. The answer
        carries the fields of its ``File`` model; ``urls["get"]`` is what callers pass as a model input."""
        if not self._authorized(request):
            await self._record(request)
            return _unauthenticated()
        form = await request.post()
        self.requests.append(RecordedRequest(request.method, request.path, None, request.headers.get("Authorization")))
        content = form.get("content")
        if not isinstance(content, web.FileField):
            return _problem(400, "Bad request", "- content: A file is required")
        data = content.file.read()
        file_id = f"file{next(self._ids):04d}"
        self.uploads[file_id] = data
        self.uploaded[file_id] = data
        url = f"{self.base_url}/v1/files/{file_id}"
        now = datetime.now(UTC)
        body = {
            "id": file_id,
            "name": content.filename,
            "content_type": content.content_type,
            "size": len(data),
            "etag": hashlib.md5(data).hexdigest(),
            "checksums": {"sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()},
            "metadata": json.loads(str(form.get("metadata") or "{}")),
            "created_at": now.isoformat(),
            "expires_at": (now + timedelta(days=1)).isoformat(),
            "urls": {"get": url},
        }
        return web.json_response(body, status=201)

    async def _download_upload(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return _unauthenticated()
        data = self.uploads.get(request.match_info["id"])
        if data is None:
            return _problem(404, "Not found", "File not found")
        return web.Response(body=data, content_type="application/octet-stream")

    async def _delete_upload(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return _unauthenticated()
        if self.uploads.pop(request.match_info["id"], None) is None:
            return _problem(404, "Not found", "File not found")
        self.deleted_uploads.append(request.match_info["id"])
        return web.Response(status=204)

    def _check_files(self, inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Data URIs over Replicate's 256 kB guidance, and links to uploads that do not exist."""
        problems = []
        for name, value in inputs.items():
            if not isinstance(value, str):
                continue
            if value.startswith("data:") and len(value) > MAX_DATA_URI_BYTES:
                problems.append((name, f"data URL is {len(value)} bytes; send files over 256kb as an HTTP URL"))
            elif value.startswith(f"{self.base_url}/v1/files/") and self._upload_of(value) is None:
                problems.append((name, "file not found"))
        return problems

    def _upload_of(self, url: str) -> bytes | None:
        return self.uploads.get(url.rstrip("/").rsplit("/", 1)[-1])

    def _audio_of(self, uri: Any) -> bytes | None:
        """The bytes an ``input_audio`` value points at (a data URI or an upload), None when there are none."""
        if not isinstance(uri, str):
            return None
        if uri.startswith("data:"):
            try:
                return base64.b64decode(uri.split(",", 1)[1])
            except (ValueError, IndexError):
                return None
        return self._upload_of(uri)

    async def _file(self, request: web.Request) -> web.Response:
        await self._record(request)
        data = self.files.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="audio/wav")

    # --- prediction life ------------------------------------------------------------------------------------

    def _advance(self, prediction: _Prediction) -> None:
        scenario = prediction.scenario
        if scenario.outcome == "slow" or prediction.polls < scenario.polls:
            prediction.status = "processing"
            return
        prediction.completed_at = datetime.now(UTC).isoformat()
        if prediction.fails_with is not None:
            prediction.status, prediction.error = "failed", prediction.fails_with
        elif scenario.outcome == "failed":
            prediction.status, prediction.error = "failed", scenario.error
        elif scenario.outcome in ("canceled", "aborted"):
            prediction.status = scenario.outcome
        else:
            prediction.status = "succeeded"
            prediction.output = self._make_output(prediction)

    def _make_output(self, prediction: _Prediction) -> Any:
        schema = prediction.schema
        if schema.text_output:  # tokens that join back to the text exactly
            return re.findall(r"\s*\S+|\s+", prediction.scenario.text)
        seconds = float(prediction.input.get(schema.duration_input, 8))
        # Like MusicGen, a continuation's output starts with the prompt audio it continues (here: silence of
        # the same length) and ``duration`` counts it, so an engine that forgets to cut it off is caught.
        lead_s = self._prompt_seconds(prediction.input) if prediction.input.get("continuation") else 0.0
        name = f"{prediction.id}.wav"
        self.files[name] = tone_wav(seconds, schema.sample_rate, silent_lead_s=min(lead_s, seconds))
        url = f"{self.base_url}/files/{name}"
        if schema.output_is_list:
            urls = [url]
            for index in range(1, int(prediction.input.get("batch_size", 1))):
                extra = f"{prediction.id}-{index}.wav"
                self.files[extra] = tone_wav(seconds, schema.sample_rate)
                urls.append(f"{self.base_url}/files/{extra}")
            return urls
        return [url] if prediction.scenario.output_as_list else url

    def _prompt_seconds(self, inputs: Mapping[str, Any]) -> float:
        """Seconds of ``input_audio`` (a WAV: data URI or upload) after ``continuation_start``; 0 if unreadable."""
        uri = inputs.get("input_audio")
        if not isinstance(uri, str):
            return 0.0
        try:
            data = base64.b64decode(uri.split(",", 1)[1]) if uri.startswith("data:") else self._upload_of(uri)
            if data is None:
                return 0.0
            with wave.open(io.BytesIO(data), "rb") as wav:
                total = wav.getnframes() / wav.getframerate()
        except (wave.Error, EOFError, ValueError, IndexError):
            return 0.0
        return max(0.0, total - float(inputs.get("continuation_start") or 0))

    def _json(self, prediction: _Prediction) -> dict[str, Any]:
        done = prediction.status in _ENDED
        url = f"{self.base_url}/v1/predictions/{prediction.id}"
        return {
            "id": prediction.id,
            "model": prediction.schema.owner_name,
            "version": prediction.schema.version,
            "status": prediction.status,
            "input": prediction.input,
            "output": prediction.output,
            "error": prediction.error,
            "logs": "",
            "metrics": {"predict_time": prediction.scenario.predict_time} if prediction.status == "succeeded" else {},
            "created_at": prediction.created_at,
            "started_at": prediction.created_at,
            "completed_at": prediction.completed_at if done else None,
            "urls": {"get": url, "cancel": f"{url}/cancel"},
        }


def _validate(schema: ModelSchema, inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems = []
    for name, value in inputs.items():
        accepted = schema.inputs.get(name)
        if accepted is None:
            problems.append((name, "Additional property is not allowed"))
        # bool is an int in Python, never in a JSON schema
        elif (isinstance(value, bool) and bool not in accepted) or not isinstance(value, accepted):
            expected = "/".join(t.__name__ for t in accepted)
            problems.append((name, f"Invalid type. Expected: {expected}, given: {type(value).__name__}"))
        elif name in schema.choices and value not in schema.choices[name]:
            problems.append((name, f"{name} must be one of the following: {', '.join(schema.choices[name])}"))
        elif name in schema.ranges and isinstance(value, int | float) and not _within(value, schema.ranges[name]):
            low, high = schema.ranges[name]
            problems.append((name, f"Must be between {low:g} and {high:g}, given: {value}"))
    return problems


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _problem(status: int, title: str, detail: str, **extra: Any) -> web.Response:
    headers = extra.pop("headers", None)
    body = {"title": title, "detail": detail, "status": status, **extra}
    return web.json_response(body, status=status, headers=headers)


def _unauthenticated() -> web.Response:
    return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")

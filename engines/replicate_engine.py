"""The ``replicate`` engine: music models hosted on Replicate (see :mod:`engines.replicate_models`).

One generation: create a prediction (``predictions.async_create`` — never ``async_run``, which returns
None without polling), poll it every ``poll_interval_s`` until it ends or ``timeout_s`` passes, download the
audio at once (Replicate deletes outputs after about an hour) and decode it. Any exit before the prediction
has ended — the deadline, the awaiting task being cancelled, the polls failing — cancels the remote
prediction, so nobody pays for work nobody will collect.

Failures map onto the engine contract::

    no token / 401 / 403 on any call           → EngineUnavailable  (the log names REPLICATE_API_TOKEN,
                                                                     never its value)
    create: 400 / 422 (input refused)          → EngineRejected
    create: 429                                → retried with backoff, then EngineUnavailable
    create: 5xx, network error                 → EngineUnavailable  (not retried: the prediction may exist)
    status "failed", error says input/NSFW     → EngineRejected
    status "failed" otherwise, "canceled"      → EngineUnavailable
    status "aborted" (its deadline passed      → EngineUnavailable  (replicate 1.0.7's pydantic model rejects
      before it ran)                                                 the status: ValidationError, not ReplicateError)
    deadline                                   → EngineTimedOut     (after cancelling the prediction)

Audio to continue goes up through Replicate's files API (``client.files.async_create``, ``POST /v1/files``) as a
WAV of only the seconds MusicGen will hear, and the upload is deleted once the prediction ends: Replicate's OpenAPI
advises data URIs only for files up to 256 kB, and a track's WAV is megabytes. A melody reference
(``reference_audio``) goes the same way: a WAV of its first ``duration`` seconds (MusicGen's chroma conditioning
follows the melody over the length it generates), deleted when the prediction ends. Seeds sent are ≥ 1: MusicGen's
``predict.py`` treats 0 (and -1) as "pick a random seed", so a 0 would be shown but never honoured.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import math
import re
import secrets
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pydantic
import pydantic.v1
from replicate.client import Client
from replicate.exceptions import ReplicateError
from replicate.helpers import FileOutput
from replicate.prediction import Prediction

from engines.base import (
    Capabilities,
    EngineError,
    EngineHealth,
    EngineOptions,
    EngineRejected,
    EngineTimedOut,
    EngineUnavailable,
    GeneratedTrack,
    GenerationRequest,
    ModelInfo,
    Samples,
)
from engines.replicate_models import (
    APACHE_2,
    LYRICIST_MODEL,
    LYRICIST_VERSION,
    MODELS,
    Continuation,
    Reference,
    ReplicateModel,
    lyricist_input,
)

log = logging.getLogger(__name__)

NO_TOKEN = "REPLICATE_API_TOKEN is not set"
_TERMINAL = frozenset({"succeeded", "failed", "canceled"})


def _no_music(request: GenerationRequest, seed: int, continuation: Continuation | None) -> dict[str, Any]:
    raise EngineRejected("the lyric writer makes no music")


#: The lyric writer as the prediction machinery sees it (pinned version, Apache-2.0); never listed in ``models()``.
_LYRICIST = ReplicateModel(
    info=ModelInfo(
        id=LYRICIST_MODEL,
        description="IBM Granite 3.3 8B Instruct: writes lyrics (Apache-2.0).",
        license=APACHE_2,
        capabilities=Capabilities(max_duration=0.0, can_continue=False, can_loop=False, commercial_use=True),
    ),
    version=LYRICIST_VERSION,
    hardware="gpu-l40s",  # ASSUMPTION: official LLMs are priced per token; this only labels the log
    build_input=_no_music,
)
# Words Replicate models use when the input itself is at fault (cog input validation, safety checkers).
_REJECTED_ERROR = re.compile(
    r"nsfw|unsafe|safety|flagged|inappropriate|content policy|invalid input|input validation|must provide|"
    r"valueerror|out of range",
    re.IGNORECASE,
)
_HEALTH_TIMEOUT_S = 5.0
_CANCEL_TIMEOUT_S = 5.0
_DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_MAX_POLL_ERRORS = 3  # consecutive failed polls before giving up on a prediction
_CONTINUATION_PROMPT_S = 10.0  # MusicGen sees at most the last 10 s of the audio it continues
_MAX_PAD_S = 1.0  # a model may return slightly short audio (frame rounding); beyond this it is a failure


@dataclass(slots=True)
class _LoopClients:
    """The HTTP clients of one event loop: httpx clients must not cross loops."""

    loop: asyncio.AbstractEventLoop
    api: Client
    transport: httpx.AsyncHTTPTransport  # owned by us so that aclose() can close replicate's connections
    files: httpx.AsyncClient  # downloads outputs without sending the API token to the file host


class ReplicateEngine:
    """Music generation on Replicate; see the module docstring for the flow and the error mapping."""

    name = "replicate"

    def __init__(
        self, options: EngineOptions | None = None, *, create_retry_backoff_s: Sequence[float] = (1.0, 2.0)
    ) -> None:
        """Configure the engine; no network is touched until the first call."""
        self._options = options or EngineOptions()
        # Only a 429 on create is retried: Replicate refused before creating anything, so a retry cannot
        # start a second (billed) prediction. A 5xx may have created one: that is left to the caller's retry.
        self._create_backoff = tuple(create_retry_backoff_s)
        self._clients: _LoopClients | None = None
        self._cancels: set[asyncio.Task[None]] = set()

    # --- the contract ---------------------------------------------------------------------------------------

    def models(self) -> Sequence[ModelInfo]:
        """Every model this engine offers; the first (MusicGen) is the default."""
        return [model.info for model in MODELS]

    def capabilities(self, model: str | None = None) -> Capabilities:
        """Capabilities of ``model`` (MusicGen when None); an unknown model raises EngineRejected."""
        return _model(model).info.capabilities

    async def generate(self, request: GenerationRequest) -> GeneratedTrack:
        """Run the request on Replicate and return the decoded track, or raise an EngineError."""
        model = _model(request.model)
        _check_request(model, request)
        clients = self._loop_clients()
        seed = honoured_seed(request.seed)
        started = time.monotonic()
        continuation: Continuation | None = None
        reference: Reference | None = None
        deadline = asyncio.timeout(self._options.timeout_s)
        try:
            async with deadline:
                try:
                    if request.continue_from is not None:
                        continuation = await _continuation(clients.api, request.continue_from)
                    if request.reference_audio is not None:
                        reference = await _reference(clients.api, request.reference_audio, request.duration)
                    inputs = model.build_input(request, seed, continuation)
                    if reference is not None and model.reference_input is not None:  # checked in _check_request
                        inputs = model.reference_input(inputs, reference)
                    prediction = await self._predict(clients, model, inputs)
                finally:
                    for upload in (continuation, reference):
                        if upload is not None:
                            await self._delete_upload(clients.api, upload.file_id)
                data = await _download(clients.files, prediction.output)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise EngineTimedOut(f"replicate {model.info.id}: no result within {self._options.timeout_s:g} s") from None
        samples, sample_rate = await _decode(data, what="the replicate output", unreadable=EngineUnavailable)
        skip_s = continuation.used_s if continuation is not None else 0.0
        samples = _fit(samples, sample_rate, request.duration, skip_s=skip_s)
        seconds_taken = time.monotonic() - started
        return GeneratedTrack(
            samples=samples,
            sample_rate=sample_rate,
            engine=self.name,
            model=model.info.id,
            seed=seed,
            license=model.info.license,
            bpm=request.bpm,
            key=request.key,
            genre=request.genre,
            cost_usd=_cost(model, prediction, fallback_s=seconds_taken),
            lyrics=request.lyrics if model.info.capabilities.vocals and request.lyrics else None,
            seconds_taken=seconds_taken,
        )

    async def write_lyrics(self, theme: str, *, seed: int | None = None, max_chars: int = 3000) -> str:
        """Lyrics for ``theme`` from the hosted lyric writer (``LYRICIST_MODEL``), as plain text of at most
        ``max_chars``; EngineUnavailable without a token or when the model fails, EngineTimedOut past the deadline."""
        clients = self._loop_clients()
        model = _LYRICIST
        deadline = asyncio.timeout(self._options.timeout_s)
        try:
            async with deadline:
                prediction = await self._predict(clients, model, lyricist_input(theme, honoured_seed(seed)))
        except TimeoutError:
            if not deadline.expired():
                raise
            raise EngineTimedOut(f"replicate {model.info.id}: no lyrics within {self._options.timeout_s:g} s") from None
        output = prediction.output
        text = "".join(str(token) for token in output) if isinstance(output, list) else str(output or "")
        # Plain text only: control characters (other than line breaks) are dropped; the caller shows it unparsed.
        text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()
        if not text:
            raise EngineUnavailable(f"replicate {model.info.id} wrote no lyrics")
        return text[:max_chars].rstrip()

    async def health(self) -> EngineHealth:
        """Ask Replicate who we are (``GET /v1/account``): proves the service answers and takes the token."""
        if not self._options.replicate_api_token:
            return EngineHealth(ok=False, detail=NO_TOKEN)
        clients = self._loop_clients()
        try:
            async with asyncio.timeout(_HEALTH_TIMEOUT_S):
                account = await clients.api.accounts.async_current()
        except ReplicateError as exc:
            if exc.status in (401, 403):
                return EngineHealth(ok=False, detail=f"Replicate refused REPLICATE_API_TOKEN (HTTP {exc.status})")
            return EngineHealth(ok=False, detail=f"Replicate answered HTTP {exc.status}")
        except (httpx.HTTPError, TimeoutError) as exc:
            return EngineHealth(ok=False, detail=f"Replicate did not answer ({type(exc).__name__})")
        return EngineHealth(ok=True, detail=f"Replicate account {account.username}")

    async def aclose(self) -> None:
        """Wait for pending remote cancels, then close this loop's HTTP clients. Safe to call twice."""
        if self._cancels:
            await asyncio.gather(*self._cancels, return_exceptions=True)
        clients, self._clients = self._clients, None
        # Clients of another (finished) loop cannot be closed from here; dropping them is all we can do.
        if clients is not None and clients.loop is asyncio.get_running_loop():
            await clients.files.aclose()
            await clients.transport.aclose()

    # --- one prediction -------------------------------------------------------------------------------------

    def _loop_clients(self) -> _LoopClients:
        token = self._options.replicate_api_token
        if not token:
            log.error("replicate engine: %s; it cannot generate", NO_TOKEN)
            raise EngineUnavailable(NO_TOKEN)
        loop = asyncio.get_running_loop()
        if self._clients is None or self._clients.loop is not loop:
            transport = httpx.AsyncHTTPTransport()
            api = Client(api_token=token, base_url=self._options.replicate_base_url, transport=transport)
            files = httpx.AsyncClient(timeout=_DOWNLOAD_TIMEOUT, follow_redirects=True)
            self._clients = _LoopClients(loop=loop, api=api, transport=transport, files=files)
        return self._clients

    async def _predict(self, clients: _LoopClients, model: ReplicateModel, inputs: dict[str, Any]) -> Prediction:
        """Create the prediction and poll it to its end; cancel it remotely if we stop watching sooner."""
        abandoned = asyncio.Event()
        creating = asyncio.create_task(self._create(clients.api, model, inputs, abandoned))
        try:
            # Shielded: a POST already sent may still create a (billed) prediction after we stop waiting.
            prediction = await asyncio.shield(creating)
        except asyncio.CancelledError:
            abandoned.set()
            self._track(asyncio.create_task(_cancel_once_created(clients.api, creating)))
            raise
        log.info("replicate prediction %s started on %s", prediction.id, model.info.id)
        aborted = False
        try:
            await self._poll(prediction)
        except _Aborted:
            aborted = True
        finally:  # also on the deadline and on cancellation of the awaiting task
            if prediction.status not in _TERMINAL and not aborted:
                await self._cancel_remote(clients.api, prediction.id)
        if aborted:
            log.warning("replicate prediction %s was aborted: its deadline passed before it ran", prediction.id)
            raise EngineUnavailable(f"replicate prediction {prediction.id} was aborted before it ran")
        if prediction.status == "failed":
            error = str(prediction.error or "")
            log.warning("replicate prediction %s failed: %s", prediction.id, error[:500])
            if _REJECTED_ERROR.search(error):
                raise EngineRejected(f"replicate {model.info.id} refused the input: {error[:200]}")
            raise EngineUnavailable(f"replicate {model.info.id} failed: {error[:200]}")
        if prediction.status == "canceled":
            raise EngineUnavailable(f"replicate prediction {prediction.id} was canceled")
        return prediction

    async def _create(
        self, api: Client, model: ReplicateModel, inputs: dict[str, Any], abandoned: asyncio.Event
    ) -> Prediction:
        attempt = 0
        while True:
            try:
                prediction: Prediction
                if model.version is not None:
                    prediction = await api.predictions.async_create(version=model.version, input=inputs)
                else:
                    prediction = await api.predictions.async_create(model=model.info.id, input=inputs)
                return prediction
            except _VALIDATION_ERRORS as exc:  # created, but in a status the client cannot model
                if _is_aborted(exc):
                    raise EngineUnavailable(f"replicate {model.info.id}: the prediction was aborted") from exc
                raise EngineUnavailable(f"replicate {model.info.id}: unexpected answer to create") from exc
            except ReplicateError as exc:
                if exc.status == 429 and attempt < len(self._create_backoff) and not abandoned.is_set():
                    # ReplicateError drops the response headers, so Retry-After is unknown: fixed backoff.
                    log.warning("replicate rate-limited the create for %s; retrying", model.info.id)
                    await asyncio.sleep(self._create_backoff[attempt])
                    attempt += 1
                    continue
                raise _create_error(model, exc) from exc
            except httpx.TransportError as exc:
                raise EngineUnavailable(f"replicate unreachable: {type(exc).__name__}") from exc

    async def _poll(self, prediction: Prediction) -> None:
        errors = 0
        while prediction.status not in _TERMINAL:
            await asyncio.sleep(self._options.poll_interval_s)
            try:
                await prediction.async_reload()
                errors = 0
            except _VALIDATION_ERRORS as exc:
                if _is_aborted(exc):
                    raise _Aborted from exc
                raise EngineUnavailable(f"replicate answered a poll of {prediction.id} with an unknown shape") from exc
            except (ReplicateError, httpx.TransportError) as exc:
                status = exc.status if isinstance(exc, ReplicateError) else None
                if status in (401, 403):
                    _log_token_refused(status)
                    raise EngineUnavailable(f"replicate refused the token (HTTP {status})") from exc
                errors += 1
                # A blip in one poll says nothing about the prediction; keep watching a little while.
                log.warning("replicate poll of %s failed (%s, %d in a row)", prediction.id, status, errors)
                if errors >= _MAX_POLL_ERRORS:
                    raise EngineUnavailable(f"replicate polls of {prediction.id} keep failing") from exc

    async def _cancel_remote(self, api: Client, prediction_id: str) -> None:
        # Shielded in its own task: if the awaiting task is cancelled again, the cancel request still leaves.
        await asyncio.shield(self._track(asyncio.create_task(_send_cancel(api, prediction_id))))

    async def _delete_upload(self, api: Client, file_id: str) -> None:
        """Delete an input we uploaded once the prediction has ended; a failure only leaves it to expire."""
        try:
            async with asyncio.timeout(_CANCEL_TIMEOUT_S):
                await api.files.async_delete(file_id)
        except (ReplicateError, httpx.HTTPError, TimeoutError) as exc:
            log.warning("could not delete replicate upload %s: %s", file_id, type(exc).__name__)

    def _track(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        """Keep a reference to a background cancel until it ends, so that aclose() can wait for it."""
        self._cancels.add(task)
        task.add_done_callback(self._cancels.discard)
        return task


# --- helpers ------------------------------------------------------------------------------------------------


class _Aborted(Exception):
    """A poll found the prediction ``aborted``: it ended without running, so there is nothing to cancel."""


# replicate 1.0.7 models its resources with pydantic's v1 API when pydantic 2 is installed (replicate/resource.py).
_VALIDATION_ERRORS = (pydantic.ValidationError, pydantic.v1.ValidationError)


def _is_aborted(exc: pydantic.ValidationError | pydantic.v1.ValidationError) -> bool:
    """Whether replicate's ``Prediction`` model refused the status ``aborted`` (not in its Literal in 1.0.7)."""
    for error in exc.errors():
        given = error.get("input", error.get("ctx", {}).get("given"))
        if tuple(error.get("loc", ())) == ("status",) and given == "aborted":
            return True
    return False


def honoured_seed(requested: int | None) -> int:
    """The seed to send and show: the requested one when ≥ 1, else a random one in [1, 2**31).

    MusicGen's ``predict.py`` takes a seed of 0 or -1 to mean "random"; showing such a seed would promise a
    reproducibility the model does not give, so a 0 asked for counts as "no seed" and a fresh one is chosen.
    """
    if requested is not None and requested >= 1:
        return requested
    return 1 + secrets.randbelow(2**31 - 1)


def _model(model_id: str | None) -> ReplicateModel:
    if model_id is None:
        return MODELS[0]
    for model in MODELS:
        if model.info.id == model_id:
            return model
    known = ", ".join(model.info.id for model in MODELS)
    raise EngineRejected(f"unknown replicate model {model_id!r}; known: {known}")


def _check_request(model: ReplicateModel, request: GenerationRequest) -> None:
    caps = model.info.capabilities
    if not 0 < request.duration <= caps.max_duration:
        raise EngineRejected(
            f"{model.info.id}: duration {request.duration:g} s is outside (0, {caps.max_duration:g}]",
            key="engine.too_long",
            max=f"{caps.max_duration:g}",
        )
    if request.continue_from is not None and not caps.can_continue:
        raise EngineRejected(f"{model.info.id} cannot continue audio")
    if request.reference_audio is not None and (not caps.reference_audio or model.reference_input is None):
        raise EngineRejected(f"{model.info.id} takes no reference audio")
    if request.reference_audio is not None and request.continue_from is not None:
        raise EngineRejected(f"{model.info.id} takes one input audio: a continuation or a melody reference, not both")
    if request.loop and not caps.can_loop:
        raise EngineRejected(f"{model.info.id} cannot make seamless loops")
    if request.stems and not caps.stems:
        raise EngineRejected(f"{model.info.id} cannot return stems")
    if request.lyrics is not None and request.lyrics.strip() and not caps.vocals:
        raise EngineRejected(
            f"{model.info.id} cannot sing lyrics",
            key="engine.instrumental_only",
        )
    if not request.prompt.strip():
        raise EngineRejected("empty prompt", key="engine.empty_prompt")


def _create_error(model: ReplicateModel, exc: ReplicateError) -> EngineError:
    status = exc.status
    if status in (401, 403):
        _log_token_refused(status)
        return EngineUnavailable(f"replicate refused the token (HTTP {status})")
    if status in (400, 422):
        log.error("replicate refused the input for %s: %s", model.info.id, exc.detail)
        return EngineRejected(f"replicate {model.info.id}: input refused (HTTP {status}): {exc.detail}")
    if status == 429:
        return EngineUnavailable(f"replicate {model.info.id}: rate-limited")
    return EngineUnavailable(f"replicate {model.info.id}: create failed (HTTP {status})")


def _log_token_refused(status: int | None) -> None:
    log.error("Replicate refused the API token (HTTP %s): REPLICATE_API_TOKEN is missing or invalid", status)


async def _send_cancel(api: Client, prediction_id: str) -> None:
    try:
        async with asyncio.timeout(_CANCEL_TIMEOUT_S):
            await api.predictions.async_cancel(prediction_id)
        log.info("replicate prediction %s canceled", prediction_id)
    except (ReplicateError, httpx.HTTPError, TimeoutError) as exc:
        log.warning("could not cancel replicate prediction %s: %s", prediction_id, type(exc).__name__)


async def _cancel_once_created(api: Client, creating: asyncio.Task[Prediction]) -> None:
    """The caller stopped waiting while the create was in flight: cancel whatever it creates."""
    try:
        async with asyncio.timeout(_CANCEL_TIMEOUT_S * 2):
            prediction = await creating
    except (EngineError, TimeoutError):  # nothing was created, or we will never know its id
        return
    await _send_cancel(api, prediction.id)


def _output_url(output: Any) -> str | None:
    """The audio URL in a prediction's output: a str, a FileOutput, or a list of those (first audio file)."""
    if isinstance(output, str | FileOutput):
        return str(output)
    if isinstance(output, list | tuple):
        urls = [url for item in output if (url := _output_url(item))]
        audio = [url for url in urls if url.split("?")[0].lower().endswith((".wav", ".mp3", ".flac", ".ogg"))]
        chosen = audio or urls
        return chosen[0] if chosen else None
    return None


async def _download(files: httpx.AsyncClient, output: Any) -> bytes:
    url = _output_url(output)
    if url is None:
        raise EngineUnavailable(f"replicate returned no audio file (output type {type(output).__name__})")
    if url.startswith("data:"):
        return base64.b64decode(url.split(",", 1)[1])
    try:
        response = await files.get(url)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise EngineUnavailable(f"could not download the replicate output: {type(exc).__name__}") from exc
    return response.content


def _decode_audio(data: bytes) -> tuple[Samples, int]:
    # Imported on first use: engines.audio brings the ffmpeg/pydub stack, which only a generation needs.
    from engines.audio import decode_audio

    return decode_audio(data)


async def _decode(data: bytes, *, what: str, unreadable: type[EngineError]) -> tuple[Samples, int]:
    """Decode in a worker thread; non-audio bytes raise ``unreadable``, other failures EngineUnavailable."""
    try:
        return await asyncio.to_thread(_decode_audio, data)
    except ValueError as exc:  # engines.audio.AudioDecodeError: these bytes are not audio we can read
        raise unreadable(f"{what} cannot be decoded: {exc}"[:300]) from exc
    except Exception as exc:  # a deployment problem (no ffmpeg…): still only EngineErrors leave an engine
        log.exception("decoding %s failed", what)
        raise EngineUnavailable(f"decoding {what} failed: {type(exc).__name__}") from exc


async def _continuation(api: Client, audio: bytes) -> Continuation:
    """Prepare ``continue_from`` for MusicGen: its last ≤ 10 s as a WAV uploaded through the files API.

    replicate 1.0.7's ``Files.async_create`` (replicate/file.py) posts multipart to ``/v1/files`` and returns a
    ``File`` whose ``urls["get"]`` is the model input; a data URI would be megabytes, far over Replicate's 256 kB
    guidance for data URIs.
    """
    samples, sample_rate = await _decode(audio, what="continue_from", unreadable=EngineRejected)
    length_s = samples.shape[0] / sample_rate
    start_s = max(0.0, length_s - _CONTINUATION_PROMPT_S)
    clip = samples[round(start_s * sample_rate) :]
    url, file_id = await _upload_wav(api, clip, sample_rate, "continue.wav", what="continue_from")
    return Continuation(url=url, file_id=file_id, start_s=0, used_s=clip.shape[0] / sample_rate)


async def _reference(api: Client, audio: bytes, duration: float) -> Reference:
    """Prepare ``reference_audio``: its first ``duration`` seconds (rounded up) as a WAV uploaded through the files
    API — MusicGen follows the reference's melody over the length it generates, so more would be wasted upload."""
    samples, sample_rate = await _decode(audio, what="reference_audio", unreadable=EngineRejected)
    clip = samples[: round(math.ceil(duration) * sample_rate)]
    url, file_id = await _upload_wav(api, clip, sample_rate, "reference.wav", what="reference_audio")
    return Reference(url=url, file_id=file_id)


async def _upload_wav(api: Client, samples: Samples, sample_rate: int, filename: str, *, what: str) -> tuple[str, str]:
    """Upload ``samples`` as a WAV through the files API; the upload's URL (the model input) and id."""
    wav = await asyncio.to_thread(_wav_bytes, samples, sample_rate)
    try:
        uploaded = await api.files.async_create(io.BytesIO(wav), filename=filename, content_type="audio/wav")
    except ReplicateError as exc:
        if exc.status in (401, 403):
            _log_token_refused(exc.status)
        raise EngineUnavailable(f"replicate refused the upload of {what} (HTTP {exc.status})") from exc
    except httpx.TransportError as exc:
        raise EngineUnavailable(f"replicate unreachable: {type(exc).__name__}") from exc
    return uploaded.urls["get"], uploaded.id


def _wav_bytes(samples: Samples, sample_rate: int) -> bytes:
    from engines.audio import wav_bytes

    return wav_bytes(samples, sample_rate)


def _fit(samples: Samples, sample_rate: int, duration: float, *, skip_s: float = 0.0) -> Samples:
    """Drop ``skip_s`` of leading prompt audio, then trim (or pad a little) to exactly ``duration`` s."""
    body = samples[round(skip_s * sample_rate) :]
    want = round(duration * sample_rate)
    missing = want - body.shape[0]
    if missing > _MAX_PAD_S * sample_rate:
        raise EngineUnavailable(f"replicate returned {body.shape[0] / sample_rate:.2f} s, wanted {duration:g} s")
    if missing > 0:
        body = np.concatenate([body, np.zeros((missing, body.shape[1]), dtype=np.float32)])
    return np.clip(body[:want], -1.0, 1.0).astype(np.float32, copy=False)


def _cost(model: ReplicateModel, prediction: Prediction, *, fallback_s: float) -> float:
    """predict_time × the hardware's price; without metrics, our wall time (an over-estimate) stands in."""
    metrics = prediction.metrics or {}
    predict_time = metrics.get("predict_time")
    seconds = float(predict_time) if isinstance(predict_time, int | float) else fallback_s
    return seconds * model.price_per_second

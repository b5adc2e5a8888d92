"""A clip as MusicGen's melody reference, against the Replicate stand-in (which checks what cog-musicgen's
``predict.py`` checks): uploaded through the files API, sent as ``input_audio`` with ``continuation`` False on a
melody model, deleted when the prediction ends.

The ``replicate_standin`` fixture comes from tests/conftest.py.
"""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator

import numpy as np
import pytest
from replicate import Client
from replicate.exceptions import ReplicateError

from engines.base import EngineRejected, GenerationRequest
from engines.replicate_engine import ReplicateEngine
from engines.replicate_models import ACE_STEP, ACE_STEP_15, MUSICGEN, STABLE_AUDIO_OPEN, ReplicateModel
from standin.replicate_standin import (
    MUSICGEN_NO_MELODY_ERROR,
    UNREADABLE_AUDIO_ERROR,
    ReplicateStandIn,
    tone_wav,
)
from tests.engines.test_replicate_engine import make_engine


@pytest.fixture
async def engine(replicate_standin: ReplicateStandIn) -> AsyncIterator[ReplicateEngine]:
    engine = make_engine(replicate_standin)
    yield engine
    await engine.aclose()


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


async def test_a_reference_goes_up_through_the_files_api_as_melody_input_on_a_melody_model(
    engine: ReplicateEngine, replicate_standin: ReplicateStandIn
) -> None:
    clip = tone_wav(12.0, 44_100, frequency=330.0)
    track = await engine.generate(GenerationRequest(prompt="dark house", duration=4.0, seed=3, reference_audio=clip))

    (sent,) = replicate_standin.created_inputs
    (upload_id,) = replicate_standin.uploaded
    assert sent["input_audio"] == f"{replicate_standin.base_url}/v1/files/{upload_id}"
    assert sent["continuation"] is False and sent["model_version"] == "stereo-melody-large"
    assert "continuation_start" not in sent and sent["duration"] == 4, "the output does not include the reference"
    assert abs(wav_seconds(replicate_standin.uploaded[upload_id]) - 4.0) < 0.01, "only the seconds MusicGen follows"
    assert replicate_standin.deleted_uploads == [upload_id], "the upload is deleted once the prediction ended"
    assert abs(track.duration - 4.0) <= 0.05 and float(np.abs(track.samples[:3200]).max()) > 0.1


async def test_the_standin_fails_a_melody_reference_on_a_model_without_melody_like_predict_py(
    official_api: Client,
) -> None:
    api = official_api  # the official client, as a caller sending the wrong model_version would
    upload = await api.files.async_create(io.BytesIO(tone_wav(1.0, 32_000)), filename="r.wav")
    wrong = {"prompt": "x", "duration": 1, "input_audio": upload.urls["get"], "continuation": False}
    not_audio = await api.files.async_create(io.BytesIO(b"not audio at all"), filename="r.wav")

    refused = await api.predictions.async_create(version=MUSICGEN.version, input={**wrong, "model_version": "large"})
    unreadable = await api.predictions.async_create(
        version=MUSICGEN.version, input={**wrong, "input_audio": not_audio.urls["get"]}
    )
    fine = await api.predictions.async_create(
        version=MUSICGEN.version, input={**wrong, "model_version": "melody-large"}
    )
    for prediction in (refused, unreadable, fine):
        await prediction.async_reload()

    assert (refused.status, refused.error) == ("failed", MUSICGEN_NO_MELODY_ERROR)
    assert (unreadable.status, unreadable.error) == ("failed", UNREADABLE_AUDIO_ERROR)
    assert fine.status == "succeeded"


async def test_the_standin_refuses_a_model_version_musicgen_does_not_have(official_api: Client) -> None:
    api = official_api
    with pytest.raises(ReplicateError) as caught:
        await api.predictions.async_create(
            version=MUSICGEN.version, input={"prompt": "x", "model_version": "stereo-melody-huge"}
        )
    assert caught.value.status == 422 and "must be one of" in str(caught.value.detail)


@pytest.mark.parametrize("model", [ACE_STEP, ACE_STEP_15, STABLE_AUDIO_OPEN], ids=lambda m: m.info.id)
async def test_models_without_a_melody_input_refuse_a_reference_without_calling_replicate(
    engine: ReplicateEngine, replicate_standin: ReplicateStandIn, model: ReplicateModel
) -> None:
    assert not model.info.capabilities.reference_audio
    request = GenerationRequest(prompt="x", duration=2.0, model=model.info.id, reference_audio=tone_wav(1.0, 32_000))
    with pytest.raises(EngineRejected):
        await engine.generate(request)
    assert not replicate_standin.creates and not replicate_standin.uploaded


async def test_a_reference_and_a_continuation_together_are_refused(
    engine: ReplicateEngine, replicate_standin: ReplicateStandIn
) -> None:
    clip = tone_wav(1.0, 32_000)
    with pytest.raises(EngineRejected):
        await engine.generate(GenerationRequest(prompt="x", duration=2.0, continue_from=clip, reference_audio=clip))
    assert not replicate_standin.creates


async def test_an_unreadable_reference_is_rejected_and_nothing_is_left_uploaded(
    engine: ReplicateEngine, replicate_standin: ReplicateStandIn
) -> None:
    with pytest.raises(EngineRejected):
        await engine.generate(GenerationRequest(prompt="x", duration=2.0, reference_audio=b"not audio at all"))
    assert not replicate_standin.creates and not replicate_standin.uploads


def test_only_musicgen_takes_reference_audio() -> None:
    engine = ReplicateEngine()
    assert engine.capabilities("meta/musicgen").reference_audio is True
    assert [m.id for m in engine.models() if m.capabilities.reference_audio] == ["meta/musicgen"]

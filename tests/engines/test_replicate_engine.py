"""The replicate engine against a loopback Replicate stand-in: mapping, polling, failures, cancellation.

The ``replicate_standin`` fixture comes from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator

import numpy as np
import pytest
from replicate import Client
from replicate.exceptions import ReplicateError

from engines.base import (
    Engine,
    EngineOptions,
    EngineRejected,
    EngineTimedOut,
    EngineUnavailable,
    GenerationRequest,
)
from engines.replicate_engine import NO_TOKEN, ReplicateEngine, honoured_seed
from engines.replicate_models import ACE_STEP, ACE_STEP_15, MUSICGEN, STABLE_AUDIO_OPEN
from standin.replicate_standin import (
    CRASH_ERROR,
    INVALID_INPUT_ERROR,
    NSFW_ERROR,
    ReplicateStandIn,
    tone_wav,
)

FAST = {"poll_interval_s": 0.01, "timeout_s": 2.0}


def make_engine(standin: ReplicateStandIn, *, token: str | None = "", **options: float) -> ReplicateEngine:
    """An engine pointed at the stand-in, with the stand-in's token unless ``token`` is given (None: no token)."""
    settings = {**FAST, **options}
    return ReplicateEngine(
        EngineOptions(
            replicate_api_token=standin.token if token == "" else token,
            replicate_base_url=standin.base_url,
            timeout_s=settings["timeout_s"],
            poll_interval_s=settings["poll_interval_s"],
        ),
        create_retry_backoff_s=(0.01, 0.01),
    )


@pytest.fixture
async def engine(replicate_standin: ReplicateStandIn) -> AsyncIterator[ReplicateEngine]:
    """The engine under test; closed after the test."""
    engine = make_engine(replicate_standin)
    yield engine
    await engine.aclose()


# --- success and input mapping ----------------------------------------------------------------------------


async def test_musicgen_track_has_duration_rate_noncommercial_licence_and_cost(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("succeeded", polls=2, predict_time=4.0)
    request = GenerationRequest(prompt="dreamy synthwave", duration=1.0, seed=7, bpm=120, key="A minor")

    track = await engine.generate(request)

    assert track.engine == "replicate" and track.model == "meta/musicgen"
    assert track.sample_rate == 32_000 and track.channels == 2
    assert abs(track.duration - 1.0) <= 0.05
    assert track.license.id == "CC-BY-NC-4.0" and track.commercial_use is False
    assert track.cost_usd == pytest.approx(4.0 * 0.0014)
    assert track.seed == 7 and track.bpm == 120 and track.key == "A minor"
    assert track.seconds_taken > 0
    assert float(abs(track.samples).max()) <= 1.0


async def test_musicgen_receives_pinned_version_and_schema_inputs(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    request = GenerationRequest(
        prompt="dreamy synthwave", duration=1.0, seed=7, bpm=120, key="A minor", genre="synthwave", mood="calm"
    )
    await engine.generate(request)

    (create,) = replicate_standin.creates
    assert create.json["version"] == MUSICGEN.version
    sent = create.json["input"]
    assert "dreamy synthwave" in sent["prompt"] and "120 BPM" in sent["prompt"] and "A minor" in sent["prompt"]
    assert "calm" in sent["prompt"] and "synthwave" in sent["prompt"]
    assert sent["duration"] == 1 and isinstance(sent["duration"], int)
    assert sent["model_version"] == "stereo-melody-large"
    assert sent["output_format"] == "wav" and sent["normalization_strategy"] == "loudness"
    assert sent["seed"] == 7
    assert (sent["top_k"], sent["top_p"], sent["temperature"], sent["classifier_free_guidance"]) == (250, 0, 1, 3)
    assert "input_audio" not in sent and "continuation" not in sent


async def test_fractional_duration_asks_next_whole_second_and_trims(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    track = await engine.generate(GenerationRequest(prompt="lofi", duration=1.3))

    assert replicate_standin.created_inputs[0]["duration"] == 2
    assert track.samples.shape[0] == round(1.3 * 32_000)


async def test_missing_seed_is_chosen_sent_and_reported(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    track = await engine.generate(GenerationRequest(prompt="lofi", duration=1.0))

    sent_seed = replicate_standin.created_inputs[0]["seed"]
    assert isinstance(sent_seed, int) and sent_seed >= 1
    assert track.seed == sent_seed


async def test_seed_zero_which_musicgen_takes_as_random_is_never_sent_or_shown(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    track = await engine.generate(GenerationRequest(prompt="lofi", duration=1.0, seed=0))

    sent_seed = replicate_standin.created_inputs[0]["seed"]
    assert sent_seed >= 1 and track.seed == sent_seed


def test_chosen_seeds_are_always_ones_musicgen_honours() -> None:
    seeds = {honoured_seed(None) for _ in range(2000)} | {honoured_seed(0), honoured_seed(-1)}
    assert min(seeds) >= 1 and max(seeds) < 2**31 and len(seeds) > 1900
    assert honoured_seed(1) == 1 and honoured_seed(42) == 42


async def test_ace_step_maps_to_tags_and_is_commercial(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("succeeded", model="lucataco/ace-step", predict_time=3.0)
    request = GenerationRequest(
        prompt="epic trailer", duration=1.5, seed=3, bpm=90, key="D minor", genre="cinematic", model=ACE_STEP.info.id
    )

    track = await engine.generate(request)

    (create,) = replicate_standin.creates
    assert create.json["version"] == ACE_STEP.version
    sent = create.json["input"]
    assert "epic trailer" in sent["tags"] and "90 BPM" in sent["tags"] and "D minor" in sent["tags"]
    assert "cinematic" in sent["tags"]
    assert sent["lyrics"] == "[instrumental]" and sent["duration"] == 1.5 and sent["seed"] == 3
    assert track.model == "lucataco/ace-step" and track.sample_rate == 48_000
    assert track.license.id == "Apache-2.0" and track.commercial_use is True
    assert track.cost_usd == pytest.approx(3.0 * 0.000975)
    assert abs(track.duration - 1.5) <= 0.05


LYRICS = "[verse]\nWalking down the Tagus at night,  \nlights on the water\n\n[chorus]\nAdeus, Lisboa — adeus!\n"


async def test_pasted_lyrics_reach_the_ace_step_15_prediction_unchanged(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    request = GenerationRequest(
        prompt="bittersweet fado pop", duration=20.4, bpm=84, key="E minor", model=ACE_STEP_15.info.id, lyrics=LYRICS
    )

    track = await engine.generate(request)

    (create,) = replicate_standin.creates
    assert create.json["version"] == ACE_STEP_15.version
    sent = create.json["input"]
    assert sent["lyrics"] == LYRICS  # byte for byte: section tags, blank lines and trailing spaces kept
    assert "bittersweet fado pop" in sent["caption"] and "84 BPM" in sent["caption"] and "E minor" in sent["caption"]
    assert sent["duration"] == 21 and sent["batch_size"] == 1 and "seed" not in sent  # the schema has no seed
    assert track.model == "visoar/ace-step-1.5" and track.license.id == "MIT" and track.commercial_use is True
    assert track.lyrics == LYRICS  # goes on to the MP3's USLT frame
    assert abs(track.duration - 20.4) <= 0.05


async def test_ace_step_15_without_lyrics_is_asked_for_an_instrumental(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    await engine.generate(GenerationRequest(prompt="ambient piano", duration=5.0, model=ACE_STEP_15.info.id))

    (create,) = replicate_standin.creates
    assert create.json["input"]["lyrics"] == "[instrumental]"


async def test_ace_step_v1_sings_the_users_lyrics_instead_of_forcing_instrumental(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    await engine.generate(GenerationRequest(prompt="rock", duration=2.0, model=ACE_STEP.info.id, lyrics=LYRICS))

    (create,) = replicate_standin.creates
    assert create.json["input"]["lyrics"] == LYRICS


async def test_an_instrumental_only_model_refuses_lyrics_without_calling_replicate(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    with pytest.raises(EngineRejected) as caught:
        await engine.generate(GenerationRequest(prompt="lofi", duration=2.0, model=MUSICGEN.info.id, lyrics=LYRICS))

    assert caught.value.key == "engine.instrumental_only"
    assert replicate_standin.creates == []


async def test_the_standin_refuses_an_ace_step_15_input_beyond_its_schema_bounds(official_api: Client) -> None:
    # Bounds are enforced like Replicate's (422), so an engine asking for 601 s or 5 takes fails a test.
    api = official_api  # the official client, as a caller that ignores the capabilities would
    good = {"caption": "pop", "lyrics": LYRICS, "duration": 600, "batch_size": 4}
    version = ACE_STEP_15.version
    assert version is not None

    for bad in ({"duration": 601}, {"batch_size": 5}, {"seed": 7}):
        with pytest.raises(ReplicateError) as caught:
            await api.predictions.async_create(version=version, input={**good, **bad})
        assert caught.value.status == 422
    created = await api.predictions.async_create(version=version, input=good)

    assert created.status == "starting"


async def test_stable_audio_maps_prompt_and_seconds_total(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    request = GenerationRequest(
        prompt="rain texture", duration=2.0, seed=5, mood="dark", model="stackadoc/stable-audio-open-1.0"
    )

    track = await engine.generate(request)

    (create,) = replicate_standin.creates
    assert create.json["version"] == STABLE_AUDIO_OPEN.version
    sent = create.json["input"]
    assert "rain texture" in sent["prompt"] and "dark" in sent["prompt"]
    assert sent["seconds_total"] == 2 and sent["seconds_start"] == 0 and sent["seed"] == 5
    assert track.sample_rate == 44_100 and track.commercial_use is True
    assert track.license.id == "LicenseRef-Stability-AI-Community"


async def test_list_output_is_downloaded(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("succeeded", output_as_list=True)

    track = await engine.generate(GenerationRequest(prompt="lofi", duration=1.0))

    assert abs(track.duration - 1.0) <= 0.05
    assert len(replicate_standin.calls("GET", "/files/")) == 1


async def test_download_goes_without_the_api_token(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    await engine.generate(GenerationRequest(prompt="lofi", duration=1.0))

    (download,) = replicate_standin.calls("GET", "/files/")
    assert download.authorization is None


async def test_continuation_uploads_the_audio_through_the_files_api_and_returns_only_new_audio(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    previous = tone_wav(1.0, 32_000)
    request = GenerationRequest(prompt="keep going", duration=1.0, seed=1, continue_from=previous)

    track = await engine.generate(request)

    sent = replicate_standin.created_inputs[0]
    assert sent["continuation"] is True and sent["continuation_start"] == 0
    assert len(replicate_standin.calls("POST", "/v1/files")) == 1
    (file_id,) = replicate_standin.deleted_uploads  # deleted once the prediction ended
    assert sent["input_audio"] == f"{replicate_standin.base_url}/v1/files/{file_id}"
    assert sent["duration"] == 2  # MusicGen's output includes the 1 s it continues
    assert abs(track.duration - 1.0) <= 0.05
    # the stand-in echoes the prompt as 1 s of silence: the track must start after it, with the new tone
    assert float(np.abs(track.samples[:3200]).max()) > 0.1


async def test_a_long_track_to_extend_goes_up_as_its_last_ten_seconds_never_as_a_data_uri(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    previous = tone_wav(30.0, 44_100)  # a delivered track's WAV: about 5 MB, a 7 MB data URI
    assert len(previous) > 5_000_000

    track = await engine.generate(GenerationRequest(prompt="more", duration=2.0, continue_from=previous))

    sent = replicate_standin.created_inputs[0]
    assert not any(isinstance(value, str) and value.startswith("data:") for value in sent.values())
    assert sent["continuation_start"] == 0 and sent["duration"] == 12  # 10 s of prompt audio + 2 s
    assert abs(track.duration - 2.0) <= 0.05
    assert float(np.abs(track.samples[:3200]).max()) > 0.1


async def test_the_standin_refuses_a_data_uri_over_256_kb_like_replicate(official_api: Client) -> None:
    big = "data:audio/wav;base64," + base64.b64encode(tone_wav(3.0, 32_000)).decode()
    small = "data:audio/wav;base64," + base64.b64encode(tone_wav(0.5, 8_000, channels=1)).decode()
    assert len(big) > 256 * 1024 > len(small)
    api = official_api  # the official client, as a caller that ignores the guidance would use it
    inputs = {"prompt": "x", "duration": 1, "continuation": True}

    with pytest.raises(ReplicateError) as caught:
        await api.predictions.async_create(version=MUSICGEN.version, input={**inputs, "input_audio": big})
    created = await api.predictions.async_create(version=MUSICGEN.version, input={**inputs, "input_audio": small})

    assert caught.value.status == 422 and "256kb" in str(caught.value.detail)
    assert created.status == "starting"


# --- requests the engine refuses before any network ---------------------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        GenerationRequest(prompt="x", duration=1.0, model="nobody/nothing"),
        GenerationRequest(prompt="x", duration=31.0),
        GenerationRequest(prompt="x", duration=1.0, model="lucataco/ace-step", continue_from=b"RIFF"),
        GenerationRequest(prompt="x", duration=1.0, loop=True),
        GenerationRequest(prompt="x", duration=1.0, stems=True),
        GenerationRequest(prompt="  ", duration=1.0),
    ],
    ids=["unknown-model", "too-long", "cannot-continue", "cannot-loop", "no-stems", "empty-prompt"],
)
async def test_impossible_requests_are_rejected_without_calling_replicate(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
    request_: GenerationRequest,
) -> None:
    with pytest.raises(EngineRejected):
        await engine.generate(request_)
    assert replicate_standin.requests == []


async def test_unreadable_continue_from_is_rejected(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    with pytest.raises(EngineRejected):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0, continue_from=b"not audio at all"))
    assert replicate_standin.calls("POST") == []


async def test_unknown_model_error_lists_known_models(engine: ReplicateEngine) -> None:
    with pytest.raises(EngineRejected, match="meta/musicgen"):
        engine.capabilities("nobody/nothing")


def test_models_and_capabilities_describe_each_licence() -> None:
    engine = ReplicateEngine()
    ids = [m.id for m in engine.models()]
    assert ids == ["meta/musicgen", "lucataco/ace-step", "stackadoc/stable-audio-open-1.0", "visoar/ace-step-1.5"]
    assert engine.capabilities() == engine.capabilities("meta/musicgen")
    assert engine.capabilities().commercial_use is False and engine.capabilities().can_continue is True
    assert engine.capabilities("lucataco/ace-step").commercial_use is True
    assert engine.capabilities("lucataco/ace-step").max_duration == 240.0
    assert engine.capabilities("stackadoc/stable-audio-open-1.0").max_duration == 47.0
    assert isinstance(engine, Engine)


# --- failures -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [(CRASH_ERROR, EngineUnavailable), (NSFW_ERROR, EngineRejected), (INVALID_INPUT_ERROR, EngineRejected)],
    ids=["crash", "nsfw", "invalid-input"],
)
async def test_failed_prediction_maps_by_error_kind(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
    error: str,
    expected: type[Exception],
) -> None:
    replicate_standin.set_scenario("failed", error=error, polls=2)

    with pytest.raises(expected) as caught:
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    assert type(caught.value) is expected
    assert replicate_standin.canceled_ids == []  # it had already ended


async def test_canceled_prediction_is_unavailable(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("canceled")

    with pytest.raises(EngineUnavailable):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))


async def test_an_aborted_prediction_is_a_clean_unavailable_error_not_a_validation_error(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("aborted", polls=2)

    with pytest.raises(EngineUnavailable, match="aborted"):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    assert replicate_standin.canceled_ids == []  # it had already ended: nothing to cancel


async def test_deadline_cancels_the_prediction_and_times_out(
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("slow")
    engine = make_engine(replicate_standin, timeout_s=0.3)

    with pytest.raises(EngineTimedOut):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    await engine.aclose()

    assert len(replicate_standin.creates) == 1
    assert len(replicate_standin.calls("GET", "/v1/predictions/")) >= 2  # it did poll
    assert len(replicate_standin.canceled_ids) == 1
    assert replicate_standin.calls("POST", f"/v1/predictions/{replicate_standin.canceled_ids[0]}/cancel")


async def test_deadline_during_a_slow_create_still_cancels_what_it_creates(
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("slow", create_delay_s=0.3)
    engine = make_engine(replicate_standin, timeout_s=0.1)

    with pytest.raises(EngineTimedOut):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    await engine.aclose()  # waits for the background cancel

    assert replicate_standin.canceled_ids == ["standin0001"]


async def test_cancelling_the_task_cancels_the_prediction(
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("slow")
    engine = make_engine(replicate_standin, timeout_s=30.0)
    task = asyncio.create_task(engine.generate(GenerationRequest(prompt="x", duration=1.0)))
    for _ in range(200):  # until the engine is polling
        if replicate_standin.calls("GET", "/v1/predictions/"):
            break
        await asyncio.sleep(0.01)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await engine.aclose()

    assert replicate_standin.canceled_ids == ["standin0001"]


async def test_a_few_failed_polls_are_tolerated(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("succeeded", poll_errors=2)

    track = await engine.generate(GenerationRequest(prompt="x", duration=1.0))

    assert abs(track.duration - 1.0) <= 0.05
    assert replicate_standin.canceled_ids == []


async def test_polls_that_keep_failing_give_up_and_cancel(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("succeeded", poll_errors=100)

    with pytest.raises(EngineUnavailable):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))

    assert len(replicate_standin.calls("GET", "/v1/predictions/")) == 3
    assert replicate_standin.canceled_ids == ["standin0001"]


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error_on_create_is_unavailable_and_not_retried(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
    status: int,
) -> None:
    replicate_standin.set_scenario("succeeded", create_status=status)

    with pytest.raises(EngineUnavailable):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    assert len(replicate_standin.creates) == 1  # a POST may have created one: no retry


async def test_persistent_rate_limit_is_unavailable_after_bounded_retries(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("succeeded", create_status=429)

    with pytest.raises(EngineUnavailable):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    assert len(replicate_standin.creates) == 3  # first try + two retries


async def test_brief_rate_limit_is_retried_to_success(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    replicate_standin.set_scenario("succeeded", create_status=429, create_failures=1)

    track = await engine.generate(GenerationRequest(prompt="x", duration=1.0))

    assert abs(track.duration - 1.0) <= 0.05
    assert len(replicate_standin.creates) == 2


async def test_bad_token_is_unavailable_and_logged_without_the_token(
    replicate_standin: ReplicateStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine(replicate_standin, token="r8_wrong_secret_value")
    caplog.set_level(logging.ERROR, logger="engines.replicate_engine")

    with pytest.raises(EngineUnavailable):
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    health = await engine.health()
    await engine.aclose()

    assert "REPLICATE_API_TOKEN" in caplog.text
    assert "r8_wrong_secret_value" not in caplog.text
    assert health.ok is False and "401" in health.detail
    assert "r8_wrong_secret_value" not in health.detail


async def test_without_token_health_fails_and_generate_is_refused(
    replicate_standin: ReplicateStandIn,
) -> None:
    engine = make_engine(replicate_standin, token=None)

    health = await engine.health()
    with pytest.raises(EngineUnavailable) as caught:
        await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    await engine.aclose()

    assert health.ok is False and health.detail == NO_TOKEN
    assert caught.value.key == "engine.unavailable"  # the user sees the generic "busy" text, not the token
    assert replicate_standin.requests == []


async def test_health_is_ok_with_a_good_token(
    engine: ReplicateEngine,
    replicate_standin: ReplicateStandIn,
) -> None:
    health = await engine.health()

    assert health.ok is True and "standin" in health.detail
    assert [r.path for r in replicate_standin.requests] == ["/v1/account"]


async def test_aclose_twice_is_safe(engine: ReplicateEngine) -> None:
    await engine.generate(GenerationRequest(prompt="x", duration=1.0))
    await engine.aclose()
    await engine.aclose()


# --- the lyric writer -----------------------------------------------------------------------------------------


async def test_the_lyric_writer_joins_the_llm_tokens_into_plain_text(
    engine: ReplicateEngine, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("succeeded", model="ibm-granite/granite-3.3-8b-instruct")

    lyrics = await engine.write_lyrics("leaving Lisbon, bittersweet", seed=5)

    assert lyrics == "[verse]\nCity lights are fading\n\n[chorus]\nAdeus, adeus"
    (create,) = replicate_standin.creates
    assert create.json["version"] == "8afd11cc386bd05622227e71b208b9ecc000b946d84d373be96090f38ec91bdf"
    sent = create.json["input"]
    assert "leaving Lisbon, bittersweet" in sent["prompt"] and "[verse]" in sent["system_prompt"]
    assert sent["seed"] == 5 and sent["max_tokens"] == 700


async def test_the_lyric_writer_output_is_length_limited_and_stripped_of_control_characters(
    engine: ReplicateEngine, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("succeeded", model="ibm-granite/granite-3.3-8b-instruct", text="la\x1b[31m " * 2000)

    lyrics = await engine.write_lyrics("anything", max_chars=300)

    assert len(lyrics) <= 300 and "\x1b" not in lyrics and lyrics.startswith("la[31m la")


async def test_a_failing_lyric_writer_is_unavailable(
    engine: ReplicateEngine, replicate_standin: ReplicateStandIn
) -> None:
    replicate_standin.set_scenario("failed", model="ibm-granite/granite-3.3-8b-instruct")

    with pytest.raises(EngineUnavailable):
        await engine.write_lyrics("anything")

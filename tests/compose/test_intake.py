"""Prompt intake: parameters read out of free text, and every kind of bad input refused with its text key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compose.intake import MAX_PROMPT_CHARS, IntakeError, check, normalize_key, parse
from engines.base import Capabilities
from engines.synth.engine import CAPABILITIES as SYNTH

CAPS = Capabilities(max_duration=120, can_continue=False, can_loop=False, commercial_use=True)


def test_parameters_are_read_and_removed_from_the_prompt() -> None:
    intake = parse('dark techno bpm=128 key="F# minor" 45 sec seed=42 loop')
    assert intake.prompt == "dark techno"
    assert (intake.bpm, intake.key, intake.duration, intake.seed, intake.loop) == (128.0, "F# minor", 45.0, 42, True)
    assert intake.params() == {"duration": 45.0, "loop": True, "bpm": 128.0, "key": "F# minor", "seed": 42}


def test_a_tempo_in_words_becomes_the_bpm_and_stays_in_the_prompt() -> None:
    intake = parse("dark techno 128 bpm, 2 min")
    assert (intake.prompt, intake.bpm, intake.duration) == ("dark techno 128 bpm,", 128.0, 120.0)
    assert parse("house 124bpm bpm=120").bpm == 120.0, "an explicit parameter wins"


@pytest.mark.parametrize(
    ("raw", "key"),
    [("Am", "A minor"), ("F#", "F# major"), ("eb minor", "Eb minor"), ("C maj", "C major"), ("B♭m", "Bb minor")],
)
def test_keys_are_normalised(raw: str, key: str) -> None:
    assert normalize_key(raw) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "intake.empty"),
        ("   ", "intake.empty"),
        ("x" * (MAX_PROMPT_CHARS + 1), "intake.too_long"),
        ("beat\x00drop", "intake.control_chars"),
        ("techno speed=3", "intake.unknown_param"),
        ("bpm=120 seed=1", "intake.only_params"),
        ("techno bpm=12", "intake.bad_bpm"),
        ("techno 300 bpm", "intake.bad_bpm"),
        ("techno seed=abc", "intake.bad_seed"),
        ("techno key=Q", "intake.bad_key"),
        ("techno duration=soon", "intake.bad_duration"),
        ("techno loop=maybe", "intake.bad_loop"),
    ],
)
def test_bad_input_names_its_problem(text: str, key: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse(text)
    assert caught.value.key == key


def test_the_engine_limits_are_checked_before_spending() -> None:
    with pytest.raises(IntakeError) as caught:
        check(parse("ambient 3 min"), CAPS)
    assert caught.value.key == "intake.too_long_duration" and caught.value.values["limit"] == "120"
    with pytest.raises(IntakeError) as caught:
        check(parse("ambient loop"), CAPS)
    assert caught.value.key == "intake.no_loop"


@given(st.text(max_size=600))
def test_any_text_is_either_a_request_or_a_clear_refusal(text: str) -> None:
    try:
        intake = parse(text)
    except IntakeError as exc:
        assert exc.key.startswith("intake.")
    else:
        assert intake.prompt.strip() and intake.duration > 0 and len(intake.prompt) <= MAX_PROMPT_CHARS


@pytest.mark.parametrize("text", ["ambient 2s", "ambient 4.5 sec", "ambient duration=2"])
def test_a_length_under_the_engines_minimum_is_refused_before_spending(text: str) -> None:
    with pytest.raises(IntakeError) as caught:
        check(parse(text), SYNTH)
    assert caught.value.key == "intake.too_short_duration"
    assert caught.value.values["limit"] == f"{SYNTH.min_duration:g}"
    assert check(parse("ambient 5s"), SYNTH).duration == 5.0


@pytest.mark.parametrize("text", ["ambient -5s", "ambient -0.5 min", "ambient duration=-5s"])
def test_a_negative_length_is_refused_not_read_as_positive(text: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse(text)
    assert caught.value.key == "intake.bad_duration"

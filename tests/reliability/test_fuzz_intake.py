"""Property tests of the prompt parser beyond tests/scheduler/test_intake.py: whatever comes in, a valid request
or a clear refusal naming a user text — never another exception, never a request the engine cannot take."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compose.intake import MAX_PROMPT_CHARS, IntakeError, parse

CATALOG = json.loads((Path(__file__).resolve().parents[2] / "bot" / "locales" / "en.json").read_text())
WORDS = st.sampled_from(["techno", "lofi", "dark", "128", "bpm", "2", "min", "30s", "loop", "é", "🎵", "‮", "\u200b"])
PARAMS = st.sampled_from(["bpm=", "key=", "seed=", "duration=", "loop=", "tempo=", 'key="', "="])
PIECES = st.lists(st.one_of(WORDS, PARAMS, st.text(max_size=8)), max_size=30).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(PIECES, st.text(max_size=MAX_PROMPT_CHARS + 20)))
def test_any_text_becomes_a_sane_request_or_a_refusal_with_a_known_message(text: str) -> None:
    try:
        intake = parse(text)
    except IntakeError as error:
        assert error.key in CATALOG, f"refusal {error.key!r} has no sentence in the catalog"
        return
    assert intake.prompt and intake.prompt == " ".join(intake.prompt.split())
    assert len(intake.prompt) <= MAX_PROMPT_CHARS
    assert 0 < intake.duration < float("inf")
    assert intake.bpm is None or 0 < intake.bpm < float("inf")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=9999), st.sampled_from(["s", "sec", "seconds", "min", "m"]))
def test_a_length_is_read_in_seconds_whatever_the_unit(number: int, unit: str) -> None:
    try:
        intake = parse(f"ambient pads {number}{unit}")
    except IntakeError as error:
        assert error.key in CATALOG
        return
    factor = 60 if unit in ("min", "m") else 1
    assert intake.duration == number * factor

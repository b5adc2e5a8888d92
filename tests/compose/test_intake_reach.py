"""Intake polish: a parameter given twice is refused; an emoji-only prompt is read for its mood or refused."""

from __future__ import annotations

import pytest

from bot.texts import default_texts
from compose.intake import IntakeError, parse


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("techno bpm=120 bpm=130", "bpm"),
        ("techno seed=1 SEED=2", "seed"),
        ('ambient key=Am key="C major"', "key"),
        ("ambient 30s and 45s", "duration"),
        ("ambient duration=30 45s", "duration"),
    ],
)
def test_a_parameter_given_twice_is_refused_with_its_name(text: str, name: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse(text)
    assert caught.value.key == "intake.duplicate_param" and caught.value.values["name"] == name
    answer = default_texts().get("en", caught.value.key, **caught.value.values)
    assert name in answer and "more than once" in answer


def test_a_parameter_given_once_still_works() -> None:
    intake = parse("dark techno bpm=128 45s seed=7")
    assert (intake.bpm, intake.duration, intake.seed) == (128.0, 45.0, 7)


@pytest.mark.parametrize(
    ("text", "mood"),
    [("🔥", "energetic"), ("🌧", "melancholic"), ("🌧️🌧️", "melancholic"), ("🔥 🌙 30s", "energetic")],
)
def test_an_emoji_only_prompt_is_read_for_its_mood(text: str, mood: str) -> None:
    intake = parse(text)
    assert intake.mood == mood and intake.prompt.startswith(mood)
    assert any(ch.isalpha() for ch in intake.prompt), "never a blank prompt"


@pytest.mark.parametrize("text", ["🦄", "🍕🍕", "🧩 ⬛"])
def test_an_emoji_only_prompt_without_a_known_mood_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse(text)
    assert caught.value.key == "intake.emoji_only"
    assert "🔥 energetic house" in default_texts().get("en", "intake.emoji_only")


def test_emoji_beside_words_change_nothing() -> None:
    intake = parse("🔥 dark techno")
    assert intake.mood is None and intake.prompt == "🔥 dark techno"

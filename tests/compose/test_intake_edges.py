"""Sharp edges of prompt intake: numbers int() refuses and prompts made only of invisible characters."""

from __future__ import annotations

import pytest

from compose.intake import IntakeError, parse


@pytest.mark.parametrize("seed", ["²", "¹²³", "-1", "4294967296", "1e3"])
def test_a_seed_int_refuses_is_a_clear_bad_seed_not_a_crash(seed: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse(f"techno seed={seed}")
    assert caught.value.key == "intake.bad_seed"


@pytest.mark.parametrize(
    "text", ["\u200b", "\u200b\u200c\u200d", " \u2060 \ufeff ", "\u3164\u3164", "\u2800", "\u200b\n\u200b"]
)
def test_a_prompt_of_only_invisible_characters_is_refused(text: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse(text)
    assert caught.value.key == "intake.invisible"


def test_invisible_characters_left_after_the_parameters_are_not_a_prompt() -> None:
    with pytest.raises(IntakeError) as caught:
        parse("bpm=120 \u200b\u200b")
    assert caught.value.key == "intake.only_params"
    assert parse("lo\u200bfi beat").prompt == "lo\u200bfi beat", "a zero-width character inside words is kept"

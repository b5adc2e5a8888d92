"""The analysis caption is rendered in the person's language: reasons and labels come from catalog keys."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.handlers.listen import describe, label_key, render_reason, render_value
from bot.locales_check import placeholders
from bot.texts import Texts
from engines.recommend import GENRES, MOODS, REASONS, Reason, recommend
from tests.engines.test_recommend import CLIP

TEXTS = Texts.load()
LABELS = {
    "genre": GENRES,
    "mood": MOODS,
    "energy": ("low", "medium", "high"),
    "feel": ("low", "medium", "high"),
    "shape": ("steady", "rising", "falling"),
    "brightness": ("dark", "warm", "bright"),
    "mode": ("major", "minor"),
}


def test_every_reason_code_has_a_sentence_with_exactly_its_values_and_every_label_a_key() -> None:
    english = TEXTS.keys("en")
    for code, names in REASONS.items():
        key = f"listen.reason.{code}"
        assert key in english, key
        assert placeholders(TEXTS.get("en", key)) == set(names), key
    for kind, codes in LABELS.items():
        for code in codes:
            assert label_key(kind, code) in english, (kind, code)
    for language in TEXTS.languages:  # bot.locales_check keeps the others equal to English
        assert TEXTS.keys(language) >= {k for k in english if k.startswith("listen.")}, language


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "124 BPM liegen im Bereich von House (118–135)"),
        ("ru", "124 BPM — в диапазоне жанра «хаус» (118–135)"),
        ("en", "124 BPM sits in house's range (118–135)"),
    ],
)
def test_a_genre_reason_reads_in_the_persons_language(language: str, expected: str) -> None:
    assert render_reason(TEXTS, language, recommend(CLIP).reasons["genre"]) == expected


def test_keys_and_labels_inside_a_reason_are_translated_too() -> None:
    mood = recommend(CLIP).reasons["mood"]  # A minor, warm
    assert render_reason(TEXTS, "de", mood) == "A-Moll, warm"
    assert render_reason(TEXTS, "pt", Reason("mood.low", {"mode": "minor"})) == "pouca energia num tom menor"
    assert render_value(TEXTS, "es", "key", "F# major") == "F# mayor"
    assert render_value(TEXTS, "de", "seconds", 17.4) == "17.4" and render_value(TEXTS, "de", "bpm", 124.0) == "124"


def test_the_one_line_summary_is_in_the_persons_language() -> None:
    rising = replace(CLIP, energy_shape="rising", brightness="bright")
    assert describe(TEXTS, "de", rising) == "≈124 BPM, A-Moll, energiegeladen, hell, ansteigend"
    assert describe(TEXTS, "en", CLIP) == "≈124 BPM, A minor, energetic, warm"

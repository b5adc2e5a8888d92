"""Recommendations follow the features: tempo → genre, energy and key → mood, a video's length → the track's."""

from __future__ import annotations

from dataclasses import replace

from engines.analysis import Features
from engines.recommend import GENRES, MOODS, REASONS, Reason, Recommendation, playable_bpm, recommend

CLIP = Features(
    duration=42.4,
    analysed_seconds=42.4,
    has_video=False,
    bpm=124.0,
    tempo_confidence=0.6,
    key="A minor",
    key_confidence=0.8,
    lufs=-9.0,
    energy="high",
    onset_rate=6.0,
    energy_shape="steady",
    energy_curve=(0.5, 1.0),
    brightness_hz=1800,
    brightness="warm",
    description="≈124 BPM, A minor, energetic, warm",
)


def test_a_124_bpm_minor_clip_gets_dark_house_at_its_tempo_key_and_length_with_a_reason_each() -> None:
    advice = recommend(CLIP)
    assert (advice.genre, advice.mood, advice.intensity) == ("house", "dark", "high")
    assert (advice.bpm, advice.key, advice.duration, advice.fade_out) == (124.0, "A minor", 42.0, False)
    assert set(advice.reasons) == {"genre", "mood", "intensity", "tempo", "length"}
    assert advice.reasons["genre"] == Reason(
        "genre.range", {"bpm": 124.0, "genre": "house", "low": 118.0, "high": 135.0}
    )
    assert advice.reasons["mood"] == Reason("mood.minor", {"key": "A minor", "brightness": "warm"})
    assert advice.reasons["length"] == Reason("length.clip", {"seconds": 42.0})
    assert advice.prompt == "dark house, high intensity"
    assert Recommendation.from_dict(advice.as_dict()) == advice


def test_a_video_gets_exactly_its_length_and_a_fade_out() -> None:
    advice = recommend(replace(CLIP, has_video=True, duration=17.36))
    assert advice.duration == 17.36 and advice.fade_out and "fade out" in advice.prompt
    assert recommend(replace(CLIP, has_video=True, duration=900.0), max_duration=300.0).duration == 300.0


def test_tempo_picks_the_genre_and_low_energy_calms_the_mood() -> None:
    assert recommend(replace(CLIP, bpm=172.0)).genre == "drum and bass"
    assert recommend(replace(CLIP, bpm=124.0, brightness="dark")).genre == "techno"
    calm = recommend(replace(CLIP, bpm=70.0, energy="low", key="C major"))
    assert (calm.genre, calm.mood, calm.intensity) == ("ambient", "calm", "low")
    assert recommend(replace(CLIP, energy_shape="rising")).mood == "epic"
    assert recommend(replace(CLIP, duration=6.0)).duration == 30.0, "a short clip gets a standard length"


def test_tempos_outside_what_engines_take_move_by_octaves() -> None:
    assert playable_bpm(236.0) == 118.0 and playable_bpm(35.0) == 70.0 and playable_bpm(128.0) == 128.0


def test_reasons_are_codes_with_values_no_sentences_so_the_chat_can_translate_them() -> None:
    variants = [
        CLIP,
        replace(CLIP, bpm=172.0),
        replace(CLIP, bpm=124.0, brightness="dark"),
        replace(CLIP, bpm=70.0, energy="low", key="C major"),
        replace(CLIP, bpm=88.0, energy="low", brightness="dark"),
        replace(CLIP, energy_shape="rising"),
        replace(CLIP, key="C major", energy="medium"),
        replace(CLIP, bpm=236.0),
        replace(CLIP, has_video=True, duration=17.36),
        replace(CLIP, duration=6.0),
    ]
    seen: set[str] = set()
    for features in variants:
        advice = recommend(features)
        assert advice.genre in GENRES and advice.mood in MOODS
        for reason in advice.reasons.values():
            assert reason.code in REASONS, reason
            assert tuple(reason.values) == REASONS[reason.code], reason
            assert all(isinstance(v, float) or v in (*GENRES, "minor", "major", "low", "medium", "high",
                                                      "dark", "warm", "bright") or v.endswith(("major", "minor"))
                       for v in reason.values.values()), reason  # fmt: skip
            seen.add(reason.code)
        assert Recommendation.from_dict(advice.as_dict()) == advice
    assert seen == set(REASONS), f"never produced: {set(REASONS) - seen}"


def test_an_analysis_stored_with_sentence_reasons_still_composes() -> None:
    stored = {**recommend(CLIP).as_dict(), "reasons": {"genre": "124 BPM sits in house's range (118–135)"}}
    assert Recommendation.from_dict(stored).reasons == {} and Recommendation.from_dict(stored).bpm == 124.0

"""The offer of several engines side by side: ENGINES, MODEL_COSTS and TAKES_PER_PROMPT read into a catalogue."""

from __future__ import annotations

import pytest

from engines.base import Engine
from engines.catalogue import CatalogueError, build_catalogue, extendable
from engines.mock import MockEngine
from engines.replicate_engine import ReplicateEngine


@pytest.fixture
def engines() -> dict[str, Engine]:
    return {"mock": MockEngine(), "replicate": ReplicateEngine()}


def test_engines_lists_models_side_by_side_with_the_default_engine_first(engines: dict[str, Engine]) -> None:
    catalogue = build_catalogue(
        "replicate:ace-step-1.5,mock,replicate:musicgen", engines, default_engine="mock", costs="ace-step-1.5=2"
    )

    assert [o.key for o in catalogue] == ["mock", "ace-step-1.5", "musicgen"]
    assert catalogue.default.engine == "mock"
    song = catalogue.find("ace-step-1.5")
    assert song is not None and song.model_id == "visoar/ace-step-1.5" and song.cost == 2
    assert song.capabilities.vocals and song.license.commercial_use
    musicgen = catalogue.find("replicate:musicgen")
    assert musicgen is not None and musicgen.cost == 1 and not musicgen.license.commercial_use
    assert [o.key for o in catalogue.vocal] == ["ace-step-1.5"]


def test_local_engines_make_two_takes_and_hosted_ones_one_unless_configured(engines: dict[str, Engine]) -> None:
    catalogue = build_catalogue("mock,replicate:ace-step-1.5,replicate:musicgen", engines, default_engine="mock")
    assert {o.key: o.takes for o in catalogue} == {"mock": 2, "ace-step-1.5": 1, "musicgen": 1}

    configured = build_catalogue("mock,replicate:musicgen", engines, default_engine="mock", takes="mock=1,musicgen=2")
    assert {o.key: o.takes for o in configured} == {"mock": 1, "musicgen": 2}


def test_without_engines_the_catalogue_is_the_default_engine_alone(engines: dict[str, Engine]) -> None:
    catalogue = build_catalogue(None, engines, default_engine="mock")
    assert [(o.key, o.cost) for o in catalogue] == [("mock", 1)]


@pytest.mark.parametrize(
    ("entries", "costs", "takes", "message"),
    [
        ("mock,nothing", "", "", "engine 'nothing' is not built"),
        ("replicate:suno-v9", "", "", "has no model 'suno-v9'"),
        ("mock", "mock=0", "", "must cost 1 to 100"),
        ("mock", "mock=two", "", "expected name=number"),
        ("mock", "", "mock=9", "must make 1 to 4 takes"),
        ("mock,mock", "", "", "listed twice"),
    ],
    ids=["unknown-engine", "unknown-model", "free-model", "bad-price", "too-many-takes", "twice"],
)
def test_a_bad_setting_is_refused_with_what_is_wrong(
    engines: dict[str, Engine], entries: str, costs: str, takes: str, message: str
) -> None:
    with pytest.raises(CatalogueError, match=message):
        build_catalogue(entries, engines, default_engine="mock", costs=costs, takes=takes)


def test_a_song_goes_to_the_users_default_when_it_sings_else_the_first_vocal_model(engines: dict[str, Engine]) -> None:
    catalogue = build_catalogue("mock,replicate:ace-step,replicate:ace-step-1.5", engines, default_engine="mock")

    assert [o.key for o in catalogue.vocal] == ["ace-step", "ace-step-1.5"]
    assert (catalogue.singer("ace-step-1.5") or catalogue.default).key == "ace-step-1.5"
    assert (catalogue.singer("mock") or catalogue.default).key == "ace-step", "mock cannot sing"
    assert (catalogue.singer(None) or catalogue.default).key == "ace-step"
    assert build_catalogue("mock", engines, default_engine="mock").singer("mock") is None


def test_extend_is_a_capability_of_the_model_a_track_was_made_with(engines: dict[str, Engine]) -> None:
    catalogue = build_catalogue("mock,replicate:ace-step-1.5", engines, default_engine="mock")
    can_extend = extendable(catalogue, engines)

    assert can_extend("mock", None)
    assert can_extend("replicate", None), "the Replicate engine's default model, MusicGen, continues audio"
    assert not can_extend("replicate", "visoar/ace-step-1.5")
    assert not can_extend("replicate", "nobody/unknown") and not can_extend("gone", None)
    offer = catalogue.offer_for("replicate", "visoar/ace-step-1.5")
    assert offer is not None and offer.key == "ace-step-1.5"

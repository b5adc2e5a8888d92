"""Engine errors name their user text by catalog key (issue 14 item 2): every key an engine raises is in every
catalog, and the English sentences the engines used to carry themselves are gone."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.texts import Texts
from engines.base import EngineError, EngineRejected, EngineTimedOut, EngineUnavailable

ENGINES = Path(__file__).resolve().parents[2] / "engines"


def raised_keys() -> set[str]:
    """Every ``key="engine.…"`` argument and class-level ``key = "engine.…"`` in engines/."""
    keys = set()
    for path in ENGINES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            value = None
            if (isinstance(node, ast.keyword) and node.arg == "key") or (
                isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["key"]
            ):
                value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.startswith("engine."):
                keys.add(value.value)
    return keys


def test_every_key_an_engine_raises_is_in_every_catalog() -> None:
    texts, keys = Texts.load(), raised_keys()
    assert {"engine.failed", "engine.unavailable", "engine.too_long", "engine.bpm_range"} <= keys
    for language in ("en", "pt", "es", "ru", "de"):
        for key in keys:
            assert texts.get(language, key, max=10, low=1, high=2, model="m")


def test_an_engine_error_carries_its_key_and_values_not_a_sentence() -> None:
    assert [cls().key for cls in (EngineError, EngineUnavailable, EngineRejected, EngineTimedOut)] == [
        "engine.failed",
        "engine.unavailable",
        "engine.rejected",
        "engine.timed_out",
    ]
    refused = EngineRejected("duration 400", key="engine.too_long", max="300")
    assert (refused.key, refused.values, str(refused)) == ("engine.too_long", {"max": "300"}, "duration 400")
    assert not hasattr(refused, "user_message")


def test_no_engine_writes_a_user_sentence_of_its_own() -> None:
    """``user_message=`` would be taken as a placeholder value and the text lost: name a key instead."""
    offenders = [str(p.relative_to(ENGINES)) for p in ENGINES.rglob("*.py") if "user_message" in p.read_text()]
    assert offenders == []

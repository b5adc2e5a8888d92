"""The catalogs: every language has English's keys and placeholders, and nothing a user reads lives outside them."""

from __future__ import annotations

import ast
from pathlib import Path

from bot import locales_check
from bot.texts import default_texts

LANGUAGES = {"en", "pt", "es", "ru", "de"}


def test_every_shipped_language_has_a_catalog() -> None:
    assert set(default_texts().languages) >= LANGUAGES


def test_every_catalog_has_exactly_the_english_keys_and_placeholders() -> None:
    reports = locales_check.compare(locales_check.load_catalogs())
    assert {r.language for r in reports} >= LANGUAGES - {"en"}
    problems = {r.language: (r.missing, r.extra, r.placeholder_mismatches) for r in reports if not r.clean}
    assert not problems, f"run `python -m bot.locales_check` to list them: {problems}"


def test_the_checker_lists_a_missing_key_and_a_changed_placeholder() -> None:
    catalogs = {"en": {"a": "Hi {name}", "b": "Bye"}, "pt": {"a": "Oi {nome}"}}
    [report] = locales_check.compare(catalogs)
    assert report.missing == ["b"] and report.placeholder_mismatches == {"a": (["name"], ["nome"])}
    assert not report.clean


def test_the_checker_exits_zero_on_the_shipped_catalogs(capsys: object) -> None:
    assert locales_check.main([]) == 0


def test_regional_variants_fall_back_to_the_base_language_then_english() -> None:
    texts = default_texts()
    assert texts.language_for("pt-br") == "pt"
    assert texts.language_for("es-419") == "es"
    assert texts.language_for("ru") == "ru"
    assert texts.language_for("de-AT") == "de"
    assert texts.language_for("ja") == "en"
    assert "português" in texts.get("pt-br", "language.set")


def test_translations_are_translated_not_copied() -> None:
    """Long sentences must differ from English in every language (short labels such as "WAV" may match)."""
    texts = default_texts()
    english = locales_check.load_catalogs()["en"]
    for language in LANGUAGES - {"en"}:
        catalog = locales_check.load_catalogs()[language]
        copied = [k for k, v in english.items() if len(v) > 40 and catalog.get(k) == v and "{" not in v[:2]]
        assert not copied, f"{language}: {copied} are still English"
    assert texts.get("ru", "cancel.none") != texts.get("en", "cancel.none")


# Methods whose positional or keyword text reaches a person.
_SENDERS = {"reply_text", "send_message", "edit_message_text", "answer", "send_audio", "edit_message_caption"}
_TEXT_KEYWORDS = {"text", "caption", "title", "description"}


def _literal_text(node: ast.expr) -> str | None:
    """A user-visible literal: a string (or f-string part) with a letter in it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if any(ch.isalpha() for ch in node.value) else None
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        joined = "".join(parts)
        return joined if any(ch.isalpha() for ch in joined) else None
    return None


def test_no_user_visible_literal_is_passed_to_a_send_call_in_the_handlers() -> None:
    root = Path(__file__).resolve().parents[2] / "bot"
    offenders = []
    for path in [
        *sorted((root / "handlers").glob("*.py")),
        root / "delivery.py",
        root / "outbox.py",
        root / "teaser_words.py",
    ]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            if call.func.attr == "InlineKeyboardButton" or call.func.attr not in _SENDERS:
                continue
            texts = [*call.args, *(k.value for k in call.keywords if k.arg in _TEXT_KEYWORDS)]
            for arg in texts:
                literal = _literal_text(arg)
                if literal is not None:
                    offenders.append(f"{path.name}:{call.lineno}: {literal!r}")
    assert not offenders, "user-visible sentences belong in bot/locales/*.json: " + "; ".join(offenders)


def test_no_button_label_is_an_english_literal() -> None:
    """Button labels are user-visible too: only catalog texts, emoji/digits or names built from them."""
    root = Path(__file__).resolve().parents[2] / "bot"
    offenders = []
    for path in sorted((root / "handlers").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "InlineKeyboardButton" and call.args:
                literal = _literal_text(call.args[0])
                if literal is not None and literal.strip() not in {"WAV"}:
                    offenders.append(f"{path.name}:{call.lineno}: {literal!r}")
    assert not offenders, "button labels belong in bot/locales/*.json: " + "; ".join(offenders)

"""The web pages' texts by language: a page's keys in one language, and a browser's Accept-Language read."""

from __future__ import annotations

import pytest

from bot.texts import Texts, default_texts


def test_a_pages_strings_come_in_the_language_with_english_for_a_missing_key() -> None:
    texts = Texts({"en": {"p.a": "Hello", "p.b": "Bye", "q.c": "Other"}, "pt": {"p.a": "Olá"}})
    assert texts.page_strings("pt-br", "p.") == {"p.a": "Olá", "p.b": "Bye"}
    assert texts.page_strings("ja", "p.") == {"p.a": "Hello", "p.b": "Bye"}
    assert default_texts().page_strings("ru", "sandbox.page.")["sandbox.page.send"] == "Отправить"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", "pt"),
        ("ja, es;q=0.5, de;q=0.8", "de"),  # no Japanese catalog: the next best by q-value
        ("en-GB,en;q=0.9,ru;q=0.8", "en"),  # English asked for first wins over a later catalog
        ("fr;q=1, ru;q=0", "en"),  # q=0 means "not this one"
        ("es;q=bad, ru", "ru"),  # a malformed entry is skipped, not a crash
        ("", "en"),
        (None, "en"),
        ("*", "en"),
    ],
)
def test_accept_language_picks_the_first_catalog_the_browser_asks_for(header: str | None, language: str) -> None:
    assert default_texts().language_for_header(header) == language

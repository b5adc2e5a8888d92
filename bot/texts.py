"""Every sentence a user can see, looked up by a stable key in the user's language.

Catalogs are data: ``bot/locales/<language>.json``. A language without a catalog, or a key missing from it, falls
back to English, so adding a language never breaks a conversation.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "en"


class Texts:
    """The catalogs, loaded once."""

    def __init__(self, catalogs: dict[str, dict[str, str]]) -> None:
        if DEFAULT_LANGUAGE not in catalogs:
            raise ValueError("the English catalog is required")
        self._catalogs = catalogs

    @classmethod
    def load(cls) -> Texts:
        """Load every ``locales/*.json`` shipped with the bot package."""
        catalogs: dict[str, dict[str, str]] = {}
        for entry in resources.files("bot").joinpath("locales").iterdir():
            if entry.name.endswith(".json"):
                catalogs[entry.name.removesuffix(".json")] = json.loads(entry.read_text(encoding="utf-8"))
        return cls(catalogs)

    @property
    def languages(self) -> list[str]:
        """Languages with a catalog."""
        return sorted(self._catalogs)

    def language_for(self, language_code: str | None) -> str:
        """The catalog to use for a Telegram ``language_code`` such as ``pt-br``."""
        if not language_code:
            return DEFAULT_LANGUAGE
        code = language_code.lower()
        if code in self._catalogs:
            return code
        base = code.split("-")[0]
        return base if base in self._catalogs else DEFAULT_LANGUAGE

    def get(self, language: str | None, key: str, /, **values: Any) -> str:
        """The sentence ``key`` in ``language`` (falling back to English), with ``values`` filled in."""
        catalog = self._catalogs.get(self.language_for(language), {})
        template = catalog.get(key) or self._catalogs[DEFAULT_LANGUAGE].get(key)
        if template is None:
            raise KeyError(f"no text for {key!r}")
        return template.format(**values) if values else template

    def keys(self, language: str = DEFAULT_LANGUAGE) -> set[str]:
        """Every key of one catalog."""
        return set(self._catalogs[language])

    def page_strings(self, language: str | None, prefix: str) -> dict[str, str]:
        """Every text under ``prefix`` (a web page's strings, e.g. ``sandbox.page.``) in ``language``, unfilled.

        A key missing from the language's catalog comes in English, so a page never shows a bare key.
        """
        english = self._catalogs[DEFAULT_LANGUAGE]
        catalog = self._catalogs.get(self.language_for(language), {})
        return {key: catalog.get(key) or text for key, text in english.items() if key.startswith(prefix)}

    def language_for_header(self, accept_language: str | None) -> str:
        """The catalog a browser's ``Accept-Language`` header asks for first (by q-value), else English."""
        wanted: list[tuple[float, int, str]] = []
        for position, part in enumerate((accept_language or "")[:500].split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    continue
            if tag and tag != "*" and quality > 0:
                wanted.append((-quality, position, tag))
        for _, _, tag in sorted(wanted):
            language = self.language_for(tag)
            if language != DEFAULT_LANGUAGE or tag.lower().split("-")[0] == DEFAULT_LANGUAGE:
                return language
        return DEFAULT_LANGUAGE


@cache
def default_texts() -> Texts:
    """The shipped catalogs (cached)."""
    return Texts.load()

"""The web pages' own words (the sandbox chat and the studio) live in the catalogs, in every language.

The pages mark each visible text with ``data-i18n="<key>"`` (their text) or ``data-i18n-<attribute>="<key>"`` (an
``aria-label``, ``placeholder`` or ``title``), and their scripts write texts only through ``t("<key>", ...)``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot import locales_check

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "standin" / "static"
STUDIO = ROOT / "bot" / "studio" / "static"
SANDBOX_WEB = ROOT / "standin" / "web"
PAGES = {  # page → (its HTML, its scripts, the prefix its keys carry in the catalogs)
    "sandbox": (SANDBOX / "index.html", [SANDBOX / "app.js", SANDBOX / "studio-panel.js"], "sandbox.page."),
    "studio": (STUDIO / "index.html", [STUDIO / "studio.js"], "studio.page."),
}
#: Server modules whose error answers name a page text (``error_key``) for the page to show.
SERVERS = {"sandbox": [SANDBOX_WEB / "api.py", SANDBOX_WEB / "upload.py"], "studio": []}
LANGUAGES = ["en", "pt", "es", "ru", "de"]
TRANSLATED_ATTRIBUTES = ("aria-label", "placeholder", "title")
#: Names and symbols that read the same in every language (the product's name, units, formats).
SAME_EVERYWHERE = {"CloudMusic", "CloudMusic Studio", "🎵 CloudMusic Studio", "MP3", "WAV", "Am", "ABCD-2345"}
_T_CALL = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")


class _PageText(HTMLParser):
    """Collects the page's data-i18n keys, visible texts with no key, and inline scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.keys: list[str] = []
        self.untranslated: list[str] = []
        self.inline_scripts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, whether the element's text comes from a key)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-i18n" in found:
            self.keys.append(str(found["data-i18n"]))
        for name in TRANSLATED_ATTRIBUTES:
            if f"data-i18n-{name}" in found:
                self.keys.append(str(found[f"data-i18n-{name}"]))
            elif _wordy(found.get(name)) and found.get(name) not in SAME_EVERYWHERE:
                self.untranslated.append(f'<{tag} {name}="{found[name]}">')
        if tag == "script" and not found.get("src"):
            self.inline_scripts.append("<script> without src")
        self.inline_scripts += [f"<{tag} {name}=...>" for name in found if name.startswith("on")]
        if tag not in ("meta", "link", "img", "input", "br"):
            self._stack.append((tag, "data-i18n" in found))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        keyed = bool(self._stack) and self._stack[-1][1]
        if _wordy(text) and not keyed and text not in SAME_EVERYWHERE:
            self.untranslated.append(text)


def _wordy(text: str | None) -> bool:
    return bool(text) and any(ch.isalpha() for ch in str(text))


def _read(path: Path) -> _PageText:
    parser = _PageText()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _script_keys(script: Path, prefix: str) -> set[str]:
    """Every key a script passes to ``t(...)``, with the page's prefix (the studio's script leaves it out)."""
    return {key if key.startswith(prefix) else prefix + key for key in _T_CALL.findall(script.read_text("utf-8"))}


def _server_keys(module: Path, prefix: str) -> set[str]:
    """Every page key a server module names in a string literal."""
    return set(re.findall(rf"""["']({re.escape(prefix)}\w+)["']""", module.read_text("utf-8")))


def _code(script: str) -> str:
    """The script without its comments (whole-line ``//`` comments and trailing `` // `` ones)."""
    lines = (line.split(" // ", 1)[0] for line in script.splitlines())
    return "\n".join(line for line in lines if not line.lstrip().startswith(("//", "/*", "*")))


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_string_key_exists_in_every_catalog(page: str) -> None:
    html, scripts, prefix = PAGES[page]
    keys = set(_read(html).keys) | set().union(*(_script_keys(script, prefix) for script in scripts))
    keys |= set().union(set(), *(_server_keys(module, prefix) for module in SERVERS[page]))
    assert len(keys) > 20 and all(key.startswith(prefix) for key in keys), sorted(keys)
    catalogs = locales_check.load_catalogs()
    missing = {language: sorted(keys - set(catalogs[language])) for language in LANGUAGES}
    assert not any(missing.values()), f"page keys missing from bot/locales: {missing}"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_visible_text_of_the_page_comes_from_a_catalog_key(page: str) -> None:
    html, _, _ = PAGES[page]
    assert not _read(html).untranslated, "give these a data-i18n key in bot/locales/*.json"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_scripts_write_no_english_sentence_outside_the_catalogs(page: str) -> None:
    """A quoted literal that reads as words (two or more, starting with a capital) belongs in the catalogs."""
    _, scripts, _ = PAGES[page]
    sentence = re.compile(r"""(["'`])([A-Z][a-z]+(?: [a-z]+)+[^"'`]*)\1""")
    offenders = [f"{s.name}: {m.group(2)!r}" for s in scripts for m in sentence.finditer(_code(s.read_text("utf-8")))]
    assert not offenders, offenders


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_page_runs_no_inline_script(page: str) -> None:
    """Both pages are served with a CSP that allows scripts only from files (``script-src 'self'``)."""
    html, _, _ = PAGES[page]
    assert not _read(html).inline_scripts
    assert "javascript:" not in html.read_text(encoding="utf-8")


def test_the_key_scanner_catches_a_missing_key_and_a_bare_text() -> None:
    parser = _PageText()
    parser.feed('<p data-i18n="sandbox.page.nope">Hi</p><button aria-label="Close it">✕</button><b>Loose text</b>')
    assert parser.keys == ["sandbox.page.nope"]
    assert parser.untranslated == ['<button aria-label="Close it">', "Loose text"]
    parser.feed('<script>alert(1)</script><a onclick="x()">y</a>')
    assert parser.inline_scripts == ["<script> without src", "<a onclick=...>"]

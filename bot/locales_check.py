"""Compare every catalog in ``bot/locales`` with English: missing keys, extra keys and placeholder mismatches.

Run ``python -m bot.locales_check`` (``--json`` for a machine-readable listing, with the English text of each
missing key, ready to translate). Exits 1 when any catalog differs from English.
"""

from __future__ import annotations

import json
import string
import sys
from dataclasses import dataclass, field
from importlib import resources

DEFAULT_LANGUAGE = "en"


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@dataclass
class CatalogReport:
    """How one catalog differs from English."""

    language: str
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    placeholder_mismatches: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        """True when the catalog has English's keys and placeholders exactly."""
        return not (self.missing or self.extra or self.placeholder_mismatches)


def load_catalogs() -> dict[str, dict[str, str]]:
    """Every shipped catalog by language."""
    catalogs: dict[str, dict[str, str]] = {}
    for entry in resources.files("bot").joinpath("locales").iterdir():
        if entry.name.endswith(".json"):
            catalogs[entry.name.removesuffix(".json")] = json.loads(entry.read_text(encoding="utf-8"))
    return catalogs


def compare(catalogs: dict[str, dict[str, str]]) -> list[CatalogReport]:
    """One report per non-English catalog, in language order."""
    english = catalogs[DEFAULT_LANGUAGE]
    reports = []
    for language in sorted(set(catalogs) - {DEFAULT_LANGUAGE}):
        catalog = catalogs[language]
        report = CatalogReport(
            language, missing=sorted(set(english) - set(catalog)), extra=sorted(set(catalog) - set(english))
        )
        for key in sorted(set(english) & set(catalog)):
            want, got = placeholders(english[key]), placeholders(catalog[key])
            if want != got:
                report.placeholder_mismatches[key] = (sorted(want), sorted(got))
        reports.append(report)
    return reports


def main(argv: list[str] | None = None) -> int:
    """Print the differences; 0 when every catalog matches English."""
    args = sys.argv[1:] if argv is None else argv
    catalogs = load_catalogs()
    reports = compare(catalogs)
    if "--json" in args:
        english = catalogs[DEFAULT_LANGUAGE]
        listing = {r.language: {key: english[key] for key in r.missing} for r in reports}
        print(json.dumps(listing, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            status = "ok" if report.clean else "DIFFERS"
            print(f"[{report.language}] {status}: {len(report.missing)} missing, {len(report.extra)} extra")
            for key in report.missing:
                print(f"  missing  {key}")
            for key in report.extra:
                print(f"  extra    {key}")
            for key, (want, got) in report.placeholder_mismatches.items():
                print(f"  placeholders {key}: English {want}, here {got}")
    return 0 if all(r.clean for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())

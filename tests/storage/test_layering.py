"""The layers hold: no database driver import and no SQL statement outside ``storage/``, and imports between the
project's packages point one way only::

    bot → compose → scheduler → billing → storage        (and compose, scheduler → engines)
    bot → standin                                        (sandbox mode starts the stand-ins)

``engines``, ``storage`` and ``standin`` know none of the others; only ``bot`` imports ``telegram``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "compose", "billing", "scheduler", "engines", "standin")
DRIVERS = {"aiosqlite", "sqlite3", "psycopg", "psycopg_pool", "psycopg2", "asyncpg"}
# A string literal that starts like a statement: SELECT … FROM, INSERT INTO, UPDATE … SET, DELETE FROM.
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+TABLE\s|PRAGMA\s)",
    re.DOTALL,  # case-sensitive: the project writes SQL keywords in capitals, prose is not SQL
)


#: The project's packages each package may import (directly); anything else of ours is a wrong-way import.
MAY_IMPORT: dict[str, set[str]] = {
    "bot": {"compose", "scheduler", "billing", "storage", "engines", "standin"},
    "compose": {"scheduler", "billing", "storage", "engines"},
    "scheduler": {"billing", "storage", "engines"},
    "billing": {"storage"},
    "storage": set(),
    "engines": set(),
    "standin": set(),  # the stand-ins play Telegram, Replicate and Stripe: they know nothing of the bot
}
OURS = set(MAY_IMPORT) | {"telegram"}


def _sources(packages: tuple[str, ...] = PACKAGES) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _sql_literals(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.append(node.value.strip().splitlines()[0])
        elif isinstance(node, ast.JoinedStr):
            head = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if SQL.match(head):
                found.append(head.strip().splitlines()[0])
    return found


def test_no_database_driver_is_imported_outside_storage() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(ast.parse(path.read_text())) & DRIVERS) for path in _sources()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_sql_statement_is_written_outside_storage() -> None:
    offenders = {str(path.relative_to(ROOT)): _sql_literals(ast.parse(path.read_text())) for path in _sources()}
    assert {k: v for k, v in offenders.items() if v} == {}


def _wrong_way(package: str, imported: set[str]) -> list[str]:
    """The project packages (and ``telegram``) among ``imported`` that ``package`` must not import."""
    allowed = MAY_IMPORT[package] | {package} | ({"telegram"} if package == "bot" else set())
    return sorted((imported & OURS) - allowed)


def test_imports_between_packages_point_one_way() -> None:
    offenders = {}
    for package in MAY_IMPORT:
        for path in _sources((package,)):
            wrong = _wrong_way(package, _imports(ast.parse(path.read_text())))
            if wrong:
                offenders[str(path.relative_to(ROOT))] = wrong
    assert offenders == {}


def test_the_direction_rule_refuses_an_upward_import() -> None:
    """The rule is not vacuous: scheduler importing compose or bot, or compose importing telegram, is caught."""
    assert _wrong_way("scheduler", {"compose", "billing", "bot"}) == ["bot", "compose"]
    assert _wrong_way("compose", {"telegram", "scheduler"}) == ["telegram"]
    assert _wrong_way("bot", {"telegram", "compose", "asyncio"}) == []
    assert _wrong_way("standin", {"bot", "aiohttp", "stripe"}) == ["bot"]


def test_the_scan_recognises_what_it_forbids() -> None:
    """The scanners are not vacuous: they find a driver import and SQL statements in a sample."""
    sample = ast.parse(
        'import sqlite3\nfrom psycopg import sql\nQ = "SELECT id FROM jobs WHERE id = ?"\n'
        'def f(t):\n    return f"UPDATE jobs SET {t} = ?"\nD = """\n  DELETE FROM users"""\n'
        'T = "Select a pack from the list"\n'
    )
    assert _imports(sample) & DRIVERS == {"sqlite3", "psycopg"}
    found = set(_sql_literals(sample))
    assert {"SELECT id FROM jobs WHERE id = ?", "DELETE FROM users"} < found
    assert any(f.startswith("UPDATE jobs SET") for f in found)
    assert not any(f.startswith("Select") for f in found)

"""The storage seam holds: no database driver import and no SQL statement outside ``storage/``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "billing", "scheduler", "engines")
DRIVERS = {"aiosqlite", "sqlite3", "psycopg", "psycopg_pool", "psycopg2", "asyncpg"}
# A string literal that starts like a statement: SELECT … FROM, INSERT INTO, UPDATE … SET, DELETE FROM.
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+TABLE\s|PRAGMA\s)",
    re.DOTALL,  # case-sensitive: the project writes SQL keywords in capitals, prose is not SQL
)


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


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

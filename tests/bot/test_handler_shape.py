"""Handlers translate (issue 14, items 1 and 2): read from the source of ``bot/handlers/*.py`` with ``ast``.

- No handler catches a service error (an exception class defined in compose/, scheduler/, billing/, storage/ or
  engines/): the one error map, ``bot/errors_map.py``, answers those.
- No handler function (one that takes the ``update``: a registered handler or a helper it hands the update to) is
  longer than 15 lines, its docstring aside, unless its ``def`` line says why with a ``# long: <reason>`` comment.
  Render helpers (keyboards, captions) take no update and are not counted.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

HANDLERS = Path(__file__).resolve().parents[2] / "bot" / "handlers"
SERVICE_PACKAGES = ("compose", "scheduler", "billing", "storage", "engines")
MAX_LINES = 15
#: Handler modules not measured yet: none (the admin commands now call scheduler.admin.AdminDesk).
NOT_YET: set[str] = set()


def service_errors() -> set[type[BaseException]]:
    """Every exception class defined in a service package (imported, so re-exports resolve to one class)."""
    found: set[type[BaseException]] = set()
    for package_name in SERVICE_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if info.name.endswith(".__main__"):  # a command line, not a module: importing it runs it
                continue
            try:
                module = importlib.import_module(info.name)
            except ImportError:  # an optional engine whose library is not installed defines nothing we import
                continue
            for value in vars(module).values():
                is_error = isinstance(value, type) and issubclass(value, BaseException)
                if is_error and value.__module__.split(".")[0] in SERVICE_PACKAGES:
                    found.add(value)
    return found


def handler_files() -> list[Path]:
    return sorted(p for p in HANDLERS.glob("*.py") if p.name != "__init__.py")


def caught(node: ast.ExceptHandler) -> list[ast.expr]:
    """The class expressions an ``except`` names (one, or each of a tuple)."""
    if node.type is None:
        return []
    return list(node.type.elts) if isinstance(node.type, ast.Tuple) else [node.type]


def resolve(module: object, expr: ast.expr) -> object:
    """The object a name or dotted name in a handler module stands for."""
    if isinstance(expr, ast.Name):
        return getattr(module, expr.id, None)
    if isinstance(expr, ast.Attribute):
        return getattr(resolve(module, expr.value), expr.attr, None)
    return None


def excepts_of(source: str, namespace: object, errors: set[type[BaseException]]) -> list[str]:
    """``line except X`` for each ``except`` in ``source`` naming one of ``errors`` (names resolved in
    ``namespace``, the module the source belongs to)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler):
            for expr in caught(node):
                if resolve(namespace, expr) in errors:
                    found.append(f"{node.lineno} except {ast.unparse(expr)}")
    return found


def service_excepts() -> list[str]:
    errors = service_errors()
    found = []
    for path in handler_files():
        module = importlib.import_module(f"bot.handlers.{path.stem}")
        found += [f"{path.name}:{hit}" for hit in excepts_of(path.read_text(), module, errors)]
    return found


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the function."""
    body = node.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        if len(body) == 1:
            return 0
        first = body[1]
    assert node.end_lineno is not None
    return node.end_lineno - first.lineno + 1


def is_handler(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function that takes the update."""
    return any(a.arg == "update" for a in node.args.args)


def overlong(source: str) -> list[str]:
    """``line name (n lines)`` for each function in ``source`` that takes the update, is longer than
    ``MAX_LINES`` and has no ``# long: <reason>`` on its ``def`` line(s)."""
    lines, found = source.splitlines(), []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_handler(node):
            header = lines[node.lineno - 1 : node.body[0].lineno - 1]  # a def may span lines
            if body_lines(node) > MAX_LINES and not any("# long: " in line for line in header):
                found.append(f"{node.lineno} {node.name} ({body_lines(node)} lines)")
    return found


def long_functions() -> list[str]:
    found = []
    for path in handler_files():
        if path.name not in NOT_YET:
            found += [f"{path.name}:{hit}" for hit in overlong(path.read_text())]
    return found


def test_the_walk_sees_the_service_errors_handlers_could_catch() -> None:
    from billing import PaymentError
    from compose.intake import IntakeError
    from compose.studio import Gone

    assert {IntakeError, PaymentError, Gone} <= service_errors()
    assert ValueError not in service_errors()


def test_no_handler_catches_a_service_error() -> None:
    assert service_excepts() == [], "answer these through bot/errors_map.py instead"


def test_no_handler_is_over_15_lines_without_a_reason_beside_it() -> None:
    assert long_functions() == [], "move the logic into a service, or say why on the def line: # long: <reason>"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("async def f(update, context):\n    '''Doc.'''\n" + "    x = 1\n" * 16, ["1 f (16 lines)"]),
        ("async def f(update, context):  # long: a table\n" + "    x = 1\n" * 16, []),
        ("async def f(update, context):\n" + "    x = 1\n" * 15, []),
        ("def keyboard(texts, language):\n" + "    x = 1\n" * 20, []),  # a render helper: no update
    ],
)
def test_the_length_rule_counts_after_the_docstring_and_honours_a_reason(source: str, expected: list[str]) -> None:
    assert overlong(source) == expected


def test_the_except_walk_finds_a_service_error_by_any_name_it_is_imported_under() -> None:
    import compose.intake
    from compose.intake import IntakeError

    source = (
        "try:\n    pass\nexcept (ValueError, Refused):\n    pass\n"
        "try:\n    pass\nexcept intake.IntakeError:\n    pass\nexcept KeyError:\n    pass\n"
    )
    namespace = type("M", (), {"Refused": IntakeError, "intake": compose.intake, "ValueError": ValueError})
    assert excepts_of(source, namespace, service_errors()) == ["3 except Refused", "7 except intake.IntakeError"]

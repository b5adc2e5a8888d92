"""Engines by name: a read-only, lazy view of the ``cloudmusic.engines`` entry-point group.

Built-in engines (mock, synth, replicate) are declared in pyproject.toml exactly as a third-party package
would declare its own::

    [project.entry-points."cloudmusic.engines"]
    mock = "engines.mock:MockEngine"

Nothing is imported until an engine is chosen: listing names reads only package metadata. An engine class
is called as ``cls(options)`` with an :class:`EngineOptions` or None and must satisfy
:class:`engines.base.Engine`.

Errors::

    UnknownEngine (KeyError)        no engine has that name; the message lists the known ones
    EngineLoadError (ImportError)   registered, but cannot be imported or is no Engine; with an install hint
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

from engines.base import Engine, EngineOptions

GROUP = "cloudmusic.engines"

#: What an entry point must name: a class (or factory) called with the options.
EngineFactory = Callable[[EngineOptions | None], Engine]


class UnknownEngine(KeyError):
    """No engine is registered under this name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        known = ", ".join(self.known) or "none"
        return f"unknown engine {self.name!r}; known engines: {known}"


class EngineLoadError(ImportError):
    """The engine is registered but its code (or a package it needs) cannot be imported, or is no Engine."""


@functools.cache
def _entry_points() -> Mapping[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUP):
        found.setdefault(point.name, point)  # the first distribution on sys.path wins, as with imports
    return MappingProxyType(dict(sorted(found.items())))


def available_engines() -> list[str]:
    """Return the names of every registered engine, sorted; imports none of them."""
    return list(_entry_points())


def engine_class(name: str) -> EngineFactory:
    """Import and return the class registered as ``name``; UnknownEngine or EngineLoadError otherwise."""
    points = _entry_points()
    point = points.get(name)
    if point is None:
        raise UnknownEngine(name, list(points))
    try:
        loaded = point.load()
    except ImportError as exc:
        raise EngineLoadError(_import_hint(name, point, exc), name=exc.name) from exc
    except AttributeError as exc:  # the module is there but does not define the named class
        raise EngineLoadError(f"engine {name!r} is registered as {point.value!r}, which does not exist") from exc
    if not callable(loaded):
        raise EngineLoadError(f"engine {name!r} points at {point.value!r}, which is not a class")
    factory: EngineFactory = loaded
    return factory


def get_engine(name: str, options: EngineOptions | None = None) -> Engine:
    """Return a new instance of the engine registered as ``name``, built with ``options``."""
    engine = engine_class(name)(options)
    if not isinstance(engine, Engine):
        raise EngineLoadError(f"engine {name!r} ({_entry_points()[name].value}) does not implement Engine")
    return engine


def _import_hint(name: str, point: EntryPoint, exc: ImportError) -> str:
    missing = exc.name or ""
    own_module = point.module
    if missing and (own_module == missing or own_module.startswith(missing + ".")):
        return f"engine {name!r} is registered as {point.value!r}, but that module is not installed"
    owner = point.dist.name if point.dist is not None else "its package"
    package = missing.split(".")[0] or "a package it needs"
    return (
        f"engine {name!r} needs {package!r}, which is not installed: "
        f"`pip install {package}` (or reinstall {owner} with its dependencies)"
    )

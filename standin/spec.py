"""The official Bot API description (``telegram-bot-api.json``), loaded once and read through typed views.

The JSON file is the machine-readable Bot API schema (see ``telegram-bot-api.LICENSE``): every method with its
parameters, every type with its fields, and abstract types listing their ``subtypes``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Field:
    """One parameter of a method or one field of a type; ``constant`` is a fixed discriminator value."""

    name: str
    types: tuple[str, ...]
    required: bool
    constant: str | None = None


@dataclass(frozen=True)
class TypeSpec:
    """An object type: its fields, or the concrete ``subtypes`` an abstract type stands for."""

    name: str
    fields: tuple[Field, ...]
    subtypes: tuple[str, ...]


@dataclass(frozen=True)
class MethodSpec:
    """A Bot API method: its parameters and what it returns."""

    name: str
    fields: tuple[Field, ...]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class ApiSpec:
    """The whole Bot API: methods and types by name, and the version string it describes."""

    version: str
    methods: dict[str, MethodSpec]
    types: dict[str, TypeSpec]


# Subtypes are told apart by a field documented as 'Scope type, must be chat' or '..., always "paid"'.
_CONSTANT = re.compile(r', (?:must be|always) "?([a-z_]+)"?$')


def _field(raw: dict[str, Any]) -> Field:
    constant = _CONSTANT.search(str(raw.get("description", ""))) if raw["types"] == ["String"] else None
    return Field(
        name=raw["name"],
        types=tuple(raw["types"]),
        required=bool(raw["required"]),
        constant=constant.group(1) if constant else None,
    )


def _fields(raw: dict[str, Any]) -> tuple[Field, ...]:
    return tuple(_field(f) for f in raw.get("fields", []))


def parse_spec(raw: dict[str, Any]) -> ApiSpec:
    """Return the typed view of a decoded ``telegram-bot-api.json`` document."""
    methods = {
        name: MethodSpec(name=name, fields=_fields(m), returns=tuple(m.get("returns", [])))
        for name, m in raw["methods"].items()
    }
    types = {
        name: TypeSpec(name=name, fields=_fields(t), subtypes=tuple(t.get("subtypes", [])))
        for name, t in raw["types"].items()
    }
    return ApiSpec(version=str(raw["version"]), methods=methods, types=types)


@cache
def load_spec() -> ApiSpec:
    """Return the Bot API description shipped next to this module (parsed once per process)."""
    text = resources.files("standin").joinpath("telegram-bot-api.json").read_text(encoding="utf-8")
    return parse_spec(json.loads(text))

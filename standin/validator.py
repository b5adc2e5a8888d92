"""Checks every Bot API call against the official description before the stand-in acts on it.

A call arrives as form fields (PTB: strings, non-strings JSON-encoded), multipart parts (uploads) or a
JSON body. ``Validator.check`` decodes each parameter by its declared types (``Integer``, ``Float``,
``Boolean``, ``String``, ``InputFile``, ``Array of X`` and object types, recursively, trying every alternative
of a union and every subtype of an abstract type) and lists each problem in words; the server turns problems
into a ``Violation`` and an HTTP 400 answer, as Telegram would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from standin.spec import ApiSpec, Field, load_spec

_INTEGER = re.compile(r"-?\d+")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_ATTACH = "attach://"


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart request: part name, the client's filename and content type, the bytes."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Violation:
    """A call Telegram would reject: which method, what is wrong (in words) and the parameters as received."""

    method: str
    problem: str
    params: Mapping[str, object]


@dataclass
class CheckedCall:
    """The outcome of checking one call: the decoded parameters and the problems found (empty when valid)."""

    method: str
    params: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the call is valid."""
        return not self.problems


class _Decoder:
    """Decodes one call's values, remembering the uploads that ``attach://`` references may point at."""

    def __init__(self, spec: ApiSpec, uploads: Mapping[str, Upload]) -> None:
        self._spec = spec
        self._uploads = uploads
        self._wrong_subtype: set[str] = set()  # problems saying a discriminator (``type``) does not match

    def value(self, raw: object, types: tuple[str, ...], path: str, top: bool) -> tuple[Any, list[str]]:
        """Return ``raw`` decoded as the first of ``types`` it fits, or the problems of the closest fit."""
        if "InputFile" in types and isinstance(raw, str) and raw.startswith(_ATTACH):
            upload = self._uploads.get(raw.removeprefix(_ATTACH))
            if upload is None:
                return raw, [f"{path}: {raw!r} names no uploaded part"]
            return upload, []
        closest: list[str] | None = None
        for type_name in types:
            decoded, problems, shape_fits = self._one(raw, type_name, path, top)
            if not problems:
                return decoded, []
            if shape_fits and (closest is None or self._rank(problems) < self._rank(closest)):
                closest = problems
        if closest is not None:
            return raw, closest
        return raw, [f"{path} must be {' or '.join(types)}, got {_show(raw)}"]

    def _rank(self, problems: list[str]) -> tuple[bool, int]:
        """Order candidate types: a subtype whose discriminator matched explains the problem best."""
        return any(p in self._wrong_subtype for p in problems), len(problems)

    def _one(self, raw: object, type_name: str, path: str, top: bool) -> tuple[Any, list[str], bool]:
        """Decode ``raw`` as one type; the flag tells whether its shape fit (so its problems are telling)."""
        if type_name.startswith("Array of "):
            items, problems = self._json(raw, path, top, "array")
            if problems or not isinstance(items, list):
                return raw, problems or ["wrong kind"], bool(problems)
            element = type_name.removeprefix("Array of ")
            decoded: list[Any] = []
            for index, item in enumerate(items):
                value, item_problems = self.value(item, (element,), f"{path}[{index}]", top=False)
                decoded.append(value)
                problems.extend(item_problems)
            return decoded, problems, True
        scalar = _SCALARS.get(type_name)
        if scalar is not None:
            value = scalar(raw, top)
            return (raw, ["wrong kind"], False) if value is _NO else (value, [], True)
        if type_name == "InputFile":
            return raw, [] if isinstance(raw, Upload) else ["wrong kind"], False
        type_spec = self._spec.types.get(type_name)
        if type_spec is None:
            return raw, [f"{path}: the description has no type {type_name}"], True
        obj, problems = self._json(raw, path, top, "object")
        if problems or not isinstance(obj, dict):
            return raw, problems or ["wrong kind"], bool(problems)
        if type_spec.subtypes:
            value, problems = self.value(obj, type_spec.subtypes, path, top=False)
            return value, problems, True
        return obj, self.fields(obj, type_spec.fields, path, what=f"field of {type_name}"), True

    def fields(self, given: dict[str, Any], fields: tuple[Field, ...], path: str, what: str) -> list[str]:
        """Decode ``given`` in place against ``fields``; return unknown, missing and mistyped names."""
        known = {f.name for f in fields}
        problems = [f"{_join(path, name)}: unknown {what}" for name in given if name not in known]
        for spec_field in fields:
            where = _join(path, spec_field.name)
            if spec_field.name not in given:
                if spec_field.required:
                    problems.append(f"{where}: required {what} is missing")
                continue
            value, field_problems = self.value(given[spec_field.name], spec_field.types, where, top=not path)
            given[spec_field.name] = value
            problems.extend(field_problems)
            if spec_field.constant is not None and not field_problems and value != spec_field.constant:
                problems.append(f"{where} must be {spec_field.constant!r}, got {_show(value)}")
                self._wrong_subtype.add(problems[-1])
        return problems

    @staticmethod
    def _json(raw: object, path: str, top: bool, kind: str) -> tuple[object, list[str]]:
        """At the top level a string stands for JSON (form fields); nested values are already decoded."""
        if top and isinstance(raw, str):
            try:
                return json.loads(raw), []
            except ValueError:
                return raw, [f"{path}: can't parse JSON {kind} {_show(raw)}"]
        return raw, []


_NO = object()


def _integer(raw: object, top: bool) -> object:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    return int(raw) if top and isinstance(raw, str) and _INTEGER.fullmatch(raw) else _NO


def _float(raw: object, top: bool) -> object:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if top and isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            return _NO
    return _NO


def _boolean(raw: object, top: bool) -> object:
    if isinstance(raw, bool):
        return raw
    return _BOOLEANS.get(raw.lower(), _NO) if top and isinstance(raw, str) else _NO


def _string(raw: object, top: bool) -> object:
    return raw if isinstance(raw, str) else _NO


_SCALARS = {"Integer": _integer, "Float": _float, "Boolean": _boolean, "String": _string}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _show(raw: object) -> str:
    text = repr(raw) if not isinstance(raw, Upload) else f"an uploaded file {raw.filename!r}"
    return text if len(text) <= 60 else text[:57] + "..."


class Validator:
    """Checks calls against the Bot API description; one instance serves a whole stand-in."""

    def __init__(self, spec: ApiSpec | None = None) -> None:
        self.spec = spec or load_spec()

    def check(self, method: str, raw: Mapping[str, object], uploads: Mapping[str, Upload]) -> CheckedCall:
        """Return the call with its parameters decoded, plus every problem Telegram would reject it for."""
        method_spec = self.spec.methods.get(method)
        if method_spec is None:
            return CheckedCall(method, dict(raw), [f"unknown method {method!r}"])
        names = {f.name for f in method_spec.fields}
        given: dict[str, Any] = dict(raw)
        for name, upload in uploads.items():
            if name in names:  # a file sent under its parameter's own name; other parts are attach:// targets
                given.setdefault(name, upload)
        decoder = _Decoder(self.spec, uploads)
        problems = decoder.fields(given, method_spec.fields, "", what="parameter")
        chat_id = given.get("chat_id")
        if isinstance(chat_id, str) and not chat_id.startswith("@"):
            problems.append(f"chat_id must be an Integer or an @username, got {chat_id!r}")
        return CheckedCall(method, given, problems)

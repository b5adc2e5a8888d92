"""The OpenAPI 3.1 document of the studio API, generated from the same endpoint table and pydantic models that
route and validate the requests (request bodies in validation mode, answers in serialization mode)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema


class Operation(Protocol):
    """What the document needs to know of one endpoint."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def answer(self) -> type[BaseModel] | None: ...
    @property
    def status(self) -> int: ...
    @property
    def body(self) -> type[BaseModel] | None: ...
    @property
    def query(self) -> tuple[tuple[str, str, str], ...]: ...
    @property
    def media(self) -> str: ...


def openapi_document(
    endpoints: Sequence[Operation], *, base: str, problem: type[BaseModel], cookie: str
) -> dict[str, Any]:
    """The document for ``endpoints`` mounted under ``base``; errors answer with ``problem``."""
    modes: dict[type[BaseModel], JsonSchemaMode] = {problem: "serialization"}
    for e in endpoints:
        if e.body is not None:
            modes[e.body] = "validation"
        if e.answer is not None:
            modes.setdefault(e.answer, "serialization")
    _, defs = models_json_schema(list(modes.items()), ref_template="#/components/schemas/{model}")

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    failure = {"content": {"application/json": {"schema": ref(problem)}}}
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        op: dict[str, Any] = {"summary": e.summary, "security": [{"tma": []}, {"apiKey": []}, {"session": []}]}
        params: list[dict[str, Any]] = []
        if "{id}" in e.path:
            params.append({"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}})
        params += [
            {"name": n, "in": "query", "required": False, "description": d, "schema": {"type": t}}
            for n, t, d in e.query
        ]
        if params:
            op["parameters"] = params
        if e.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(e.body)}}}
        binary = {"type": "string", "format": "binary"}
        ok = {"description": "OK", "content": {e.media: {"schema": ref(e.answer) if e.answer else binary}}}
        op["responses"] = {str(e.status): ok} | {
            str(code): {"description": why, **failure}
            for code, why in (
                (401, "Missing, forged, altered or stale credentials"),
                (404, "No such track of yours"),
                (422, "Bad input; the message says what to fix"),
                (429, "Too many requests; see Retry-After"),
            )
        }
        if e.body is not None:
            op["responses"] |= {
                "402": {"description": "Free tracks and credits are spent", **failure},
                "409": {"description": "A track of yours is already in the works", **failure},
            }
        paths.setdefault(base + e.path, {})[e.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "CloudMusic API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {
                "tma": {"type": "apiKey", "in": "header", "name": "Authorization",
                        "description": "tma <Telegram Mini App initData>"},
                "apiKey": {"type": "http", "scheme": "bearer", "description": "A key from an admin's /apikey"},
                "session": {"type": "apiKey", "in": "cookie", "name": cookie,
                            "description": "Anonymous web visitors; POSTs also need X-CSRF-Token from GET /me"},
            },
        },
    }  # fmt: skip

"""What the API answers when it does not serve a request, and the small request/answer helpers every route shares.

Errors::

    ApiError    any answer other than success: HTTP status, a stable code and the text key of its message
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, ValidationError

MAX_BODY = 16 * 1024
M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An answer other than success: HTTP status, stable code, and the text key (with values) of its message."""

    def __init__(self, status: int, code: str, key: str, /, **values: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.key, self.values = status, code, key, values


def invalid(details: str) -> ApiError:
    """422 ``invalid`` saying what is wrong."""
    return ApiError(422, "invalid", "api.invalid", details=details)


def rate_limited(wait: float) -> ApiError:
    """429 with the whole seconds to wait (rounded up, at least 1) for ``Retry-After``."""
    return ApiError(429, "rate_limited", "api.rate_limited", retry_after=max(1, int(wait + 0.999)))


async def read_body(request: web.Request, model: type[M]) -> M:
    """The JSON body as ``model``: 413 when too big, 422 (saying what is wrong) when it does not fit."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, "too_large", "api.too_large", limit=MAX_BODY)
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise ApiError(413, "too_large", "api.too_large", limit=MAX_BODY)
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise invalid(describe(exc)) from None


def describe(error: ValidationError) -> str:
    """Pydantic's complaints as one readable line: ``bpm: Input should be less than or equal to 220``."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def file_answer(path: Path, content_type: str, download_name: str | None = None) -> web.FileResponse:
    """The file at ``path`` with its type, offered for download as ``download_name`` when given."""
    answer = web.FileResponse(path, headers={"Content-Type": content_type})
    if download_name is not None:
        answer.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(download_name, safe='')}"
    return answer


def bytes_answer(data: bytes, content_type: str, download_name: str | None = None) -> web.Response:
    """``data`` (a file read from object storage) with its type, offered for download as ``download_name``."""
    answer = web.Response(body=data, headers={"Content-Type": content_type})
    if download_name is not None:
        answer.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(download_name, safe='')}"
    return answer

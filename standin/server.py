"""The HTTP face of the stand-in: Bot API calls at ``/bot<token>/<method>``, downloads at ``/file/bot<token>/...``.

Every call is parsed (form, multipart or JSON, plus the query string), matched against injected faults,
validated against the Bot API description and dispatched to a handler. Every answer is recorded as a ``Call``;
every 400 is also recorded as a ``Violation``. Errors are always non-2xx (PTB trusts any 2xx), an unknown
method is a 400 (a 404 would read as a bad token to PTB and silently stop its polling), a wrong token a 401.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from standin.faults import FaultPlan
from standin.flood import FloodLimit
from standin.methods import Handler
from standin.records import ApiError, Call
from standin.validator import Upload, Validator, Violation
from standin.world import World

_MAX_BODY = 60 * 2**20  # Telegram accepts 50 MB uploads; aiohttp's default cap is 1 MB


class StandInServer:
    """An aiohttp application serving one bot token on 127.0.0.1."""

    def __init__(self, world: World, validator: Validator, handlers: Mapping[str, Handler], faults: FaultPlan):
        self.world = world
        self.validator = validator
        self.handlers = dict(handlers)
        self.faults = faults
        self.calls: list[Call] = []
        self.violations: list[Violation] = []
        self._canonical = {name.lower(): name for name in validator.spec.methods}
        self.app = web.Application(client_max_size=_MAX_BODY)
        self.app.router.add_route("*", "/bot{token}/{method}", self._api)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.flood: FloodLimit | None = None  # Telegram's flood control, when a test or bench turns it on

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: any free port); return the port."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        """Stop listening; held long polls are answered first."""
        self.world.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.token:
            return _answer(401, "Unauthorized")
        name = request.match_info["method"]
        method = self._canonical.get(name.lower(), name)
        try:
            raw, uploads = await _read_params(request)
        except ValueError as error:
            return self._reject(method, {}, f"can't parse request body: {error}")
        summary = _summarise(raw, uploads)
        fault = self.faults.take(method, raw)
        if fault is not None and fault.kind == "drop":
            self._record(method, summary, 0, "connection dropped (injected)")
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        elif fault is not None and fault.kind != "drop_after":
            status, body = fault.answer()
            self._record(method, summary, status, f"{body['description']} (injected)")
            return web.json_response(body, status=status)
        checked = self.validator.check(method, raw, uploads)
        if not checked.ok:
            return self._reject(method, summary, "; ".join(checked.problems))
        handler = self.handlers.get(method)
        if handler is None:
            return self._reject(method, summary, f"method {method} is not supported by the stand-in")
        if self.flood is not None and not self.flood.admit(method):
            description = f"Too Many Requests: retry after {self.flood.retry_after}"
            self._record(method, summary, 429, description)
            body = {"ok": False, "error_code": 429, "description": description}
            return web.json_response({**body, "parameters": {"retry_after": self.flood.retry_after}}, status=429)
        try:
            result = await handler(checked.params)
        except ApiError as error:
            if error.status == 400 and error.violation:
                self.violations.append(Violation(method, error.description.removeprefix("Bad Request: "), summary))
            self._record(method, summary, error.status, error.description)
            return _answer(error.status, error.description)
        if fault is not None and fault.kind == "drop_after":  # processed, but the answer never reaches the bot
            self._record(method, summary, 0, "connection dropped after processing (injected)")
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        self._record(method, summary, 200, None)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.token:
            return _answer(401, "Unauthorized")
        stored = self.world.file_at(request.match_info["path"])
        if stored is None:
            return _answer(404, "Not Found")
        return web.Response(body=stored.data, content_type=stored.mime_type)

    def _reject(self, method: str, summary: dict[str, Any], problem: str) -> web.Response:
        self.violations.append(Violation(method, problem, summary))
        self._record(method, summary, 400, f"Bad Request: {problem}")
        return _answer(400, f"Bad Request: {problem}")

    def _record(self, method: str, params: dict[str, Any], status: int, description: str | None) -> None:
        self.calls.append(Call(method, params, status, time.time(), description))


async def _read_params(request: web.Request) -> tuple[dict[str, object], dict[str, Upload]]:
    """The call's parameters (strings from forms, decoded values from JSON) and its uploaded files."""
    raw: dict[str, object] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json":
        body = await request.json(loads=json.loads) if request.can_read_body else {}
        if not isinstance(body, dict):
            raise ValueError("a JSON body must be an object")
        raw.update(body)
    elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(key, value.filename, value.content_type, value.file.read())
            elif isinstance(value, bytes | bytearray):
                uploads[key] = Upload(key, "", "application/octet-stream", bytes(value))
            else:
                raw[key] = value
    return raw, uploads


def _summarise(raw: Mapping[str, object], uploads: Mapping[str, Upload]) -> dict[str, Any]:
    """Parameters as recorded: uploads shown by name and size, never their bytes."""
    summary = dict(raw)
    for name, upload in uploads.items():
        summary[name] = f"<upload {upload.filename or name!r}, {len(upload.data)} bytes>"
    return summary


def _answer(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)

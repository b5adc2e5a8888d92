"""Server-sent events for the page: a snapshot of the watched chats, then every change to them as it happens.

One subscription to the stand-in's event bus per connected page. The stream ends when the client goes away (seen
within a tick, or at the next write), when the server shuts down (``close_all``), and never blocks the stand-in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from aiohttp import web

from standin.records import JSON
from standin.standin import TelegramStandIn
from standin.web.views import message_view

KEEP_ALIVE_S = 15.0
_TICK_S = 0.5  # how often a quiet stream checks for a departed client or a shutdown


class EventStream:
    """Serves ``text/event-stream`` responses fed by ``standin.subscribe()``."""

    def __init__(self, standin: TelegramStandIn, keep_alive_s: float = KEEP_ALIVE_S) -> None:
        self._standin = standin
        self._keep_alive_s = keep_alive_s
        self._closing = False
        self.open_streams = 0

    def close_all(self) -> None:
        """End every open stream within a tick (called when the HTTP server shuts down)."""
        self._closing = True

    def snapshot(self, chats: Iterable[int]) -> JSON:
        """Every watched chat's transcript as message views, keyed by chat id."""
        return {str(chat): [message_view(m) for m in self._standin.transcript(chat)] for chat in chats}

    async def serve(self, request: web.Request, chats: frozenset[int]) -> web.StreamResponse:
        """Stream ``snapshot`` once, then ``message``/``edit``/``delete``/``payment``/``refund`` for ``chats``."""
        response = web.StreamResponse(headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        response.content_type = "text/event-stream"
        response.charset = "utf-8"
        await response.prepare(request)
        subscription = self._standin.subscribe()  # before the snapshot, so nothing falls between the two
        self.open_streams += 1
        try:
            await _send(response, "snapshot", {"chats": self.snapshot(chats)})
            last_write = time.monotonic()
            while not self._closing and not _gone(request):
                try:
                    event = await subscription.get(within=_TICK_S)
                except TimeoutError:
                    if time.monotonic() - last_write >= self._keep_alive_s:
                        await response.write(b": keep-alive\n\n")
                        last_write = time.monotonic()
                    continue
                if event.chat_id in chats:
                    await _send(response, event.kind, {"message": message_view(event.message)})
                    last_write = time.monotonic()
        except ConnectionError:  # the client went away mid-write (aiohttp's ClientConnectionResetError)
            pass
        finally:
            subscription.close()
            self.open_streams -= 1
        return response


async def _send(response: web.StreamResponse, kind: str, data: JSON) -> None:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    await response.write(f"event: {kind}\ndata: {payload}\n\n".encode())


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()

"""``POST /sandbox/api/send_file``: the page's person attaches a file (a clip to analyse) and sends it to the bot.

A multipart form with ``user_id`` and ``file`` (the browser's ``FormData``). The kind of message follows the
file's type as a Telegram client would send it: ``audio/*`` → an audio message, ``video/*`` → a video, anything
else → a document. The body is read as a stream with its own cap, so the bot's HTTP app keeps its small default
body limit for everything else; the cap is Telegram's 20 MB bot download limit plus room, so the page can also
show the bot's answer to a file that is too big.
"""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from standin.incoming import IncomingKind
from standin.standin import TelegramStandIn
from standin.web.api import BadInput, guarded
from standin.web.cast import Cast

MAX_UPLOAD = 24 * 2**20  # above the 20 MB a bot may download, so "too big" can be tried from the page
_CHUNK = 256 * 1024


class FileUpload:
    """The page's file attachments, sent through the stand-in's people-side API."""

    def __init__(self, standin: TelegramStandIn, cast: Cast) -> None:
        self._standin = standin
        self._cast = cast

    def routes(self) -> list[web.RouteDef]:
        """The upload route."""
        return [web.post("/sandbox/api/send_file", guarded(self.send_file))]

    async def send_file(self, request: web.Request) -> web.Response:
        """``user_id`` + ``file``: the person sends the file; 413 beyond MAX_UPLOAD, 400 for a bad form."""
        if not request.content_type.startswith("multipart/"):
            raise BadInput("send a multipart form with user_id and file")
        reader = await request.multipart()
        user_id: int | None = None
        name, mime, data = "", "", b""
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadInput("nested multipart forms are not accepted")
            if part.name == "user_id":
                raw = (await part.text()).strip()
                if not raw.lstrip("-").isdigit() or len(raw) > 20:
                    raise BadInput("user_id must be an integer")
                user_id = int(raw)
            elif part.name == "file":
                name, mime = part.filename or "file", part.headers.get("Content-Type", "application/octet-stream")
                data = await _read_capped(part)
        if user_id is None or self._cast.person(user_id) is None:
            raise BadInput(f"unknown user {user_id}; the sandbox has {[p.user_id for p in self._cast.people]}")
        if not data:
            raise BadInput("file is missing or empty", "sandbox.page.error_file_empty")
        kind: IncomingKind = "document"
        if mime.startswith(("audio/", "video/")):
            kind = "audio" if mime.startswith("audio/") else "video"
        raw_message = await self._standin.send_file(user_id, kind, data, file_name=name, mime_type=mime)
        return web.json_response({"message_id": raw_message["message_id"], "kind": kind})


async def _read_capped(part: BodyPartReader) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > MAX_UPLOAD:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPLOAD, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)

"""sendAudio, sendDocument, sendPhoto and getFile: uploads kept in memory, re-sends by file_id, thumbnails.

A file arrives as a multipart part (an ``Upload``; 413 over Telegram's 50 MB, see ``limits.MAX_UPLOAD``) or as a
String: the file_id of a file sent before (400 "wrong file identifier" once forgotten, see ``Media.forget``), or an
HTTP URL (kept as an empty placeholder: the stand-in never fetches). A thumbnail must be an upload, normally
referenced as ``attach://<part>``; a String thumbnail is ignored, as Telegram does.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, UnidentifiedImageError

from standin import limits
from standin.records import JSON, ApiError, StoredFile, bad_request
from standin.validator import Upload
from standin.world import World

MAX_DOWNLOAD = 20 * 2**20


class Media:
    """Handlers for the media methods used by the bot."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._audio: dict[str, JSON] = {}  # file_id → its Audio object, reused when re-sent by file_id

    async def send_audio(self, p: dict[str, Any]) -> JSON:
        """Post an audio message (music player); a re-sent file_id keeps its title, performer and thumbnail."""
        stored, thumb = self._file(p, "audio"), self._thumbnail(p)
        audio: JSON = {**self._audio.get(stored.file_id, {"duration": 0}), **_describe(stored)}
        audio.update({k: p[k] for k in ("duration", "performer", "title") if k in p})
        if thumb is not None:
            audio["thumbnail"] = _photo_size(thumb)
        elif "thumbnail" in audio:
            thumb = self.world.files.get(audio["thumbnail"]["file_id"])
        self._audio[stored.file_id] = audio
        fields = {k: audio.get(k) for k in ("title", "performer", "duration")}
        return self._post(p, "audio", audio, stored, thumb, fields)

    async def send_document(self, p: dict[str, Any]) -> JSON:
        """Post a document message with optional thumbnail."""
        stored, thumb = self._file(p, "document"), self._thumbnail(p)
        document = _describe(stored)
        if thumb is not None:
            document["thumbnail"] = _photo_size(thumb)
        return self._post(p, "document", document, stored, thumb, {})

    async def send_photo(self, p: dict[str, Any]) -> JSON:
        """Post a photo message (one PhotoSize, the image's own size)."""
        stored = self._file(p, "photo")
        return self._post(p, "photo", [_photo_size(stored)], stored, None, {})

    async def get_file(self, p: dict[str, Any]) -> JSON:
        """The File object with the path to download it from ``/file/bot<token>/<file_path>``."""
        stored = self.world.files.get(p["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD:  # getFile: "bots can download files of up to 20MB in size" (Bot API JSON)
            # Not the bot's mistake when the message left file_size out (it is optional): no violation.
            raise ApiError(400, "Bad Request: file is too big", violation=False)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _post(
        self,
        p: dict[str, Any],
        kind: str,
        payload: Any,
        stored: StoredFile,
        thumb: StoredFile | None,
        fields: JSON,
    ) -> JSON:
        chat = self.world.writable_chat(p["chat_id"])
        caption = limits.caption(p.get("caption"), p.get("parse_mode"))
        markup = p.get("reply_markup")
        limits.inline_keyboard(markup)
        content: JSON = {kind: payload}
        if caption:
            content["caption"] = caption
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        message = self.world.post(
            chat["id"],
            True,
            content,
            kind=kind,
            caption=caption,
            reply_markup=markup,
            file=stored,
            thumbnail=thumb,
            **fields,
        )
        return message.raw

    def forget(self, file_id: str) -> bool:
        """Make Telegram forget a file_id (as when it expires or belongs to another bot): sending it again is then
        answered 400 "Bad Request: wrong file identifier/HTTP URL specified", as Telegram does. True if it was known.
        """
        self._audio.pop(file_id, None)
        return self.world.files.pop(file_id, None) is not None

    def _file(self, p: dict[str, Any], kind: str) -> StoredFile:
        value = p[kind]
        if isinstance(value, Upload):
            limits.upload_size(kind, len(value.data))
            return self.world.store_file(value, kind)
        if value in self.world.files:
            return self.world.files[value]
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or kind
            return self.world.store_file(Upload(kind, name, "", b""), kind)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _thumbnail(self, p: dict[str, Any]) -> StoredFile | None:
        value = p.get("thumbnail")
        return self.world.store_file(value, "thumbnail") if isinstance(value, Upload) else None


def _describe(stored: StoredFile) -> JSON:
    described: JSON = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if stored.file_name:
        described["file_name"] = stored.file_name
    return {**described, "mime_type": stored.mime_type, "file_size": stored.size}


def _photo_size(stored: StoredFile) -> JSON:
    width, height = _image_size(stored.data)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": stored.size,
    }


def _image_size(data: bytes) -> tuple[int, int]:
    """The image's pixel size; 320×320 when the bytes are not an image Pillow reads (e.g. test bytes)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return 320, 320

"""Files people send the bot: audio, voice notes, videos, video notes and documents, shaped as Telegram shapes them.

The message carries the media object the Bot API defines for its kind (``Audio``, ``Voice``, ``Video``,
``VideoNote``, ``Document`` in ``telegram-bot-api.json``; ``duration`` is required on the first four, ``width``/
``height`` on a video, ``length`` on a video note). The bytes are kept by the world, so the bot can fetch them with
``getFile`` and a download from ``/file/bot<token>/<file_path>``, as with the real Bot API.
"""

from __future__ import annotations

from typing import Literal

from standin.records import JSON
from standin.validator import Upload
from standin.world import World

IncomingKind = Literal["audio", "voice", "video", "video_note", "document"]
_DEFAULT_MIME = {"audio": "audio/mpeg", "voice": "audio/ogg", "video": "video/mp4", "video_note": "video/mp4"}


def send_file(
    world: World,
    user_id: int,
    kind: IncomingKind,
    data: bytes,
    *,
    file_name: str = "",
    mime_type: str | None = None,
    duration: int = 0,
    size: tuple[int, int] = (640, 360),
    declare_size: bool = True,
) -> JSON:
    """The person sends ``data`` as a ``kind`` message; queues the update and returns the Message JSON.

    ``declare_size=False`` leaves ``file_size`` out, as the Bot API may (the field is optional).
    """
    if user_id not in world.users:
        raise AssertionError(f"no user {user_id}; call add_user({user_id}, ...) first")
    world.blocked.discard(user_id)  # writing to a bot unblocks it
    mime = mime_type or _DEFAULT_MIME.get(kind, "application/octet-stream")
    stored = world.store_file(Upload(kind, file_name, mime, data), kind)
    media: JSON = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if declare_size:
        media["file_size"] = stored.size
    if kind != "document":
        media["duration"] = duration
    if kind in ("audio", "video", "document"):
        media["mime_type"] = mime
        if file_name:
            media["file_name"] = file_name
    if kind == "voice":
        media["mime_type"] = mime
    if kind == "video":
        media["width"], media["height"] = size
    if kind == "video_note":
        media["length"] = size[0]
    message = world.post(user_id, False, {kind: media}, kind=kind, file=stored, duration=duration or None)
    world.updates.put("message", message.raw)
    return message.raw

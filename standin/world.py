"""Everything the stand-in's Telegram knows: the bot, people, chats, their messages and the uploaded files.

Message ids increase per chat and are shared by both sides, as in Telegram. Every change (new message, edit,
deletion) gets a global sequence number and is published on the event bus.
"""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import time
from dataclasses import replace
from typing import Any

from standin.events import EventBus
from standin.records import JSON, ApiError, ChatMessage, Event, EventKind, StoredFile, bad_request
from standin.updates import UpdateQueue
from standin.validator import Upload

_FOLDERS = {"audio": "music", "document": "documents", "photo": "photos", "thumbnail": "thumbnails"}


class World:
    """The in-memory state of one fake Telegram serving one bot."""

    def __init__(self, token: str, bot_username: str, bot_name: str) -> None:
        bot_id, _, _ = token.partition(":")
        self.token = token
        self.bot_user: JSON = {
            "id": int(bot_id) if bot_id.isascii() and bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, JSON] = {}
        self.blocked: set[int] = set()
        self.updates = UpdateQueue()
        self.events = EventBus()
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._messages: dict[int, dict[int, ChatMessage]] = {}
        self._last_message_id: dict[int, int] = {}
        self._seq = itertools.count(1)
        self._file_numbers = itertools.count()
        self.last_seq = 0
        self.user_seq: dict[int, int] = {}  # per chat: the sequence number of the person's latest action
        self.inline_mode = False  # @BotFather's /setinline: getMe's supports_inline_queries, inline queries allowed

    def add_user(self, user_id: int, first_name: str, language_code: str | None, username: str | None) -> JSON:
        """Register a person (and their private chat with the bot); return the User JSON."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        chat = {k: v for k, v in user.items() if k in ("id", "first_name", "username")}
        self.chats[user_id] = {**chat, "type": "private"}
        return user

    def add_channel(self, chat_id: int, username: str | None, title: str) -> JSON:
        """Register a channel the bot may post to; return the Chat JSON."""
        chat: JSON = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int | str) -> JSON:
        """Return the chat for an id or ``@username``; 400 "chat not found" otherwise."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            found = [c for c in self.chats.values() if str(c.get("username", "")).lower() == name]
            if found:
                return found[0]
        elif chat_id in self.chats:
            return self.chats[chat_id]
        raise bad_request("chat not found")

    def writable_chat(self, chat_id: int | str) -> JSON:
        """Return the chat the bot is about to write to; 403 if the person blocked the bot."""
        chat = self.chat(chat_id)
        if chat["id"] in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def post(self, chat_id: int, from_bot: bool, content: JSON, **fields: Any) -> ChatMessage:
        """Add a message to a chat; ``content`` is its Bot API payload (``text``, ``audio``...)."""
        chat = self.chats[chat_id]
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        raw: JSON = {"message_id": message_id, "date": int(time.time()), "chat": chat}
        if chat["type"] == "channel":
            raw["sender_chat"] = chat
        else:
            raw["from"] = self.bot_user if from_bot else self.users[chat_id]
        raw.update(content)
        message = ChatMessage(
            chat_id=chat_id,
            message_id=message_id,
            from_bot=from_bot,
            date=raw["date"],
            seq=self._next_seq(),
            raw=raw,
            **fields,
        )
        self._messages.setdefault(chat_id, {})[message_id] = message
        if not from_bot:
            self.user_seq[chat_id] = message.seq
        self.events.publish(Event(_event_kind(message), chat_id, message))
        return message

    def edit(self, message: ChatMessage, content: JSON, **changes: Any) -> ChatMessage:
        """Replace a message's content (edits applied in place in the transcript); return the new version."""
        raw = {**message.raw, **content, "edit_date": int(time.time())}
        raw = {k: v for k, v in raw.items() if v is not None}
        edited = replace(message, raw=raw, seq=self._next_seq(), edited=True, **changes)
        self._messages[message.chat_id][message.message_id] = edited
        self.events.publish(Event("edit", message.chat_id, edited))
        return edited

    def delete(self, message: ChatMessage) -> None:
        """Mark a message deleted (it stays in the transcript, flagged)."""
        deleted = replace(message, seq=self._next_seq(), deleted=True)
        self._messages[message.chat_id][message.message_id] = deleted
        self.events.publish(Event("delete", message.chat_id, deleted))

    def message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        """Return a message that exists and is not deleted, else None."""
        message = self._messages.get(chat_id, {}).get(message_id)
        return None if message is None or message.deleted else message

    def transcript(self, chat_id: int) -> list[ChatMessage]:
        """Return both sides of a chat in order, edits applied, deletions flagged."""
        return list(self._messages.get(chat_id, {}).values())

    def store_file(self, upload: Upload, kind: str) -> StoredFile:
        """Keep an uploaded file; return it with fresh ids and a download path."""
        mime_type = upload.content_type or mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        extension = (mimetypes.guess_extension(mime_type) or "").lstrip(".") or "bin"
        if "." in upload.filename:
            extension = upload.filename.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}{secrets.token_urlsafe(24)}",
            file_unique_id=secrets.token_urlsafe(9),
            data=upload.data,
            file_name=upload.filename or None,
            mime_type=mime_type,
            file_path=f"{_FOLDERS.get(kind, kind)}/file_{next(self._file_numbers)}.{extension}",
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def file_at(self, file_path: str) -> StoredFile | None:
        """Return the file downloadable at ``file_path``."""
        return self._files_by_path.get(file_path)

    def _next_seq(self) -> int:
        self.last_seq = next(self._seq)
        return self.last_seq


def _event_kind(message: ChatMessage) -> EventKind:
    service = message.service or {}
    if "successful_payment" in service:
        return "payment"
    if "refunded_payment" in service:
        return "refund"
    return "message"

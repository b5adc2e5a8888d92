"""Inline mode and the bot's profile texts: ``inline_query`` updates from people, ``answerInlineQuery``,
``setMyDescription`` / ``setMyShortDescription`` (and their getters) per ``language_code``.

Rules checked here come from the official Bot API description (/work/shared/telegram-bot-api.json, Bot API 10.x):
- InlineQuery: ``query`` is "up to 256 characters"; ``offset`` is required (empty for the first page).
- answerInlineQuery: "No more than 50 results per query are allowed"; ``next_offset`` "can't exceed 64 bytes";
  a result ``id`` is "1-64 bytes" (and unique in one answer); InlineQueryResultCachedAudio's ``audio_file_id`` is
  "a valid file identifier for the audio file"; an InlineQueryResultsButton needs "exactly one of the optional
  fields", and ``start_parameter`` is "1-64 characters, only A-Z, a-z, 0-9, _ and - are allowed".
- setMyDescription: "0-512 characters"; setMyShortDescription: "0-120 characters"; ``language_code`` is
  "a two-letter ISO 639-1 language code".
An inline query can be answered once; Telegram refuses a late or repeated answer with "query is too old".
Inline mode must be switched on with @BotFather (/setinline); until then clients send no inline queries.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from standin import limits
from standin.records import JSON, bad_request
from standin.world import World

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
MAX_QUERY = 256
MAX_RESULTS = 50
MAX_OFFSET_BYTES = 64
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LANGUAGE = re.compile(r"[a-z]{2}")


class InlineMode:
    """People's inline queries, the bot's answers to them, and the bot's per-language descriptions."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.descriptions: dict[str, str] = {}  # language code ("" = default) → description
        self.short_descriptions: dict[str, str] = {}
        self._answers: dict[str, asyncio.Future[JSON]] = {}

    @property
    def enabled(self) -> bool:
        """Whether inline mode is on (@BotFather /setinline); getMe reports the same flag."""
        return self.world.inline_mode

    @enabled.setter
    def enabled(self, on: bool) -> None:
        self.world.inline_mode = on

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by Bot API method name."""
        return {
            "answerInlineQuery": self.answer_inline_query,
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
        }

    async def ask(
        self,
        user_id: int,
        query: str,
        offset: str = "",
        chat_type: str = "sender",
        patience: float = 10.0,
    ) -> JSON:
        """The person types ``@bot <query>`` (scrolling to ``offset``); return the bot's answer parameters."""
        if not self.enabled:
            raise AssertionError("inline mode is off: enable it with @BotFather /setinline (standin.enable_inline())")
        user = self.world.users.get(user_id)
        if user is None:
            raise AssertionError(f"no person {user_id}")
        query_id = str(secrets.randbits(63))
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._answers[query_id] = future
        # Clients cut the query at 256 characters (InlineQuery.query: "up to 256 characters").
        update = {"id": query_id, "from": user, "query": query[:MAX_QUERY], "offset": offset, "chat_type": chat_type}
        self.world.updates.put("inline_query", update)
        try:
            return await asyncio.wait_for(asyncio.shield(future), patience)
        except TimeoutError as exc:
            raise AssertionError(f"the bot did not answer inline query {query!r} within {patience:g} s") from exc

    async def answer_inline_query(self, p: dict[str, Any]) -> bool:
        """Check and record the answer to a pending inline query."""
        future = self._answers.get(p["inline_query_id"])
        if future is None or future.done():
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        results = p["results"]
        if len(results) > MAX_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        if len(p.get("next_offset", "").encode()) > MAX_OFFSET_BYTES:
            raise bad_request("NEXT_OFFSET_INVALID")
        ids = [str(r.get("id", "")) for r in results]
        if any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise bad_request("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        for result in results:
            self._check_result(result)
        button = p.get("button")
        if button is not None:
            actions = [k for k in ("web_app", "start_parameter") if k in button]
            if len(actions) != 1:
                raise bad_request("BUTTON_TYPE_INVALID")
            if "start_parameter" in button and not _START_PARAMETER.fullmatch(button["start_parameter"]):
                raise bad_request("START_PARAM_INVALID")
        future.set_result(p)
        return True

    def _check_result(self, result: JSON) -> None:
        if result.get("type") == "audio" and "audio_file_id" in result:
            stored = self.world.files.get(result["audio_file_id"])
            if stored is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if not stored.file_id.startswith("AU"):
                raise bad_request("wrong file type: an audio result needs an audio file")
        limits.caption(result.get("caption"), result.get("parse_mode"))
        limits.inline_keyboard(result.get("reply_markup"))

    async def set_my_description(self, p: dict[str, Any]) -> bool:
        """Store (or, with an empty text, remove) the description for a language."""
        return self._set(self.descriptions, p.get("description", ""), p, MAX_DESCRIPTION, "description")

    async def get_my_description(self, p: dict[str, Any]) -> JSON:
        """The description for a language (falling back to the default one)."""
        return {"description": self._get(self.descriptions, p)}

    async def set_my_short_description(self, p: dict[str, Any]) -> bool:
        """Store (or remove) the short description for a language."""
        text = p.get("short_description", "")
        return self._set(self.short_descriptions, text, p, MAX_SHORT_DESCRIPTION, "short description")

    async def get_my_short_description(self, p: dict[str, Any]) -> JSON:
        """The short description for a language (falling back to the default one)."""
        return {"short_description": self._get(self.short_descriptions, p)}

    @staticmethod
    def _set(store: dict[str, str], text: str, p: dict[str, Any], limit: int, what: str) -> bool:
        language = _language(p)
        if len(text) > limit:
            raise bad_request(f"{what} is too long: {len(text)} characters, at most {limit}")
        if text:
            store[language] = text
        else:
            store.pop(language, None)
        return True

    @staticmethod
    def _get(store: dict[str, str], p: dict[str, Any]) -> str:
        language = _language(p)
        return store.get(language) or store.get("", "")


def _language(p: dict[str, Any]) -> str:
    code = p.get("language_code", "")
    if code and not _LANGUAGE.fullmatch(code):
        raise bad_request("language_code must be a two-letter ISO 639-1 code")
    return str(code)

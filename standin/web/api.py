"""The page's JSON API under ``/sandbox/api/``: act as a person (send, press, pay), read chats, fetch files.

Every request is checked before it reaches the stand-in: an unknown person or chat, a missing or mistyped field,
an empty or over-long text, or a body that is not a JSON object is a 400 ``{"error": ...}``, never a crash.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import NoReturn, Protocol
from urllib.parse import quote

from aiohttp import web

from standin.limits import MAX_TEXT
from standin.records import JSON
from standin.standin import TelegramStandIn
from standin.web.cast import Cast
from standin.web.views import message_view

CALLBACK_WAIT_S = 3.0  # how long a press waits for the bot's answerCallbackQuery (its toast) before returning
INLINE_WAIT_S = 5.0  # how long an inline query waits for the bot's answerInlineQuery
#: The Telegram app languages the page offers per person (the bot has catalogs for these).
LANGUAGES = ["en", "pt-br", "es", "ru", "de"]
PAGE_KEYS = "sandbox.page."  # the catalogs' keys for the page's own words
PAYMENT_WAIT_S = 10.0  # Telegram gives the bot 10 s to answer a pre-checkout query

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PageTexts(Protocol):
    """The page's own words in each app language: the bot's catalogs, handed in (the stand-in knows no bot)."""

    def language_for(self, language_code: str | None) -> str:
        """The catalog language for a Telegram ``language_code`` (English when there is none for it)."""
        ...

    def page_strings(self, language: str | None, prefix: str) -> dict[str, str]:
        """Every text whose key starts with ``prefix`` in ``language``, English where the language lacks one."""
        ...


class BadInput(ValueError):
    """The request cannot be acted on; the message says why and is safe to show.

    ``key`` and ``values``: for a problem a person can meet through the page, the catalog text (``sandbox.page.*``)
    the page shows instead, in the person's language; the answer carries them as ``error_key``/``error_values``.
    """

    def __init__(self, problem: str, key: str | None = None, **values: str | int) -> None:
        super().__init__(problem)
        self.key = key
        self.values = values


class SandboxApi:
    """Handlers for ``/sandbox/api/...``; each acts through the stand-in's people-side API."""

    def __init__(self, standin: TelegramStandIn, cast: Cast, texts: PageTexts) -> None:
        self._standin = standin
        self._cast = cast
        self._texts = texts

    def routes(self) -> list[web.RouteDef]:
        """The API's routes."""
        return [
            web.get("/sandbox/api/users", guarded(self.users)),
            web.get("/sandbox/api/transcript", guarded(self.transcript)),
            web.post("/sandbox/api/send", guarded(self.send)),
            web.post("/sandbox/api/press", guarded(self.press)),
            web.post("/sandbox/api/pay", guarded(self.pay)),
            web.get("/sandbox/api/files/{file_id}", guarded(self.file)),
            web.post("/sandbox/api/language", guarded(self.language)),
            web.post("/sandbox/api/inline", guarded(self.inline)),
            web.get("/sandbox/api/strings", guarded(self.strings)),
        ]

    async def users(self, request: web.Request) -> web.Response:
        """The bot, the people the page can talk as, the channel and the bot's command menu."""
        commands = await self._standin.messaging.get_my_commands({})
        channel = self._cast.channel
        return web.json_response(
            {
                "bot": {"name": self._standin.bot_user["first_name"], "username": self._standin.bot_user["username"]},
                "people": [
                    {"id": p.user_id, "name": p.name, "admin": p.admin, "language": self._language_of(p.user_id)}
                    for p in self._cast.people
                ],
                "languages": LANGUAGES,
                "channel": {"id": channel.chat_id, "username": channel.username, "title": channel.title},
                "commands": [{"command": c["command"], "description": c["description"]} for c in commands],
            }
        )

    async def transcript(self, request: web.Request) -> web.Response:
        """``?chat=<id>``: the chat's messages as the page draws them."""
        chat = self.chat_param(request)
        messages = [message_view(m) for m in self._standin.transcript(chat)]
        return web.json_response({"chat_id": chat, "messages": messages})

    async def send(self, request: web.Request) -> web.Response:
        """``{user_id, text, reply_to?}``: the person writes ``text`` (1-4096 characters), maybe replying to a message.

        ``reply_to`` is the id of one of the bot's messages in that chat (how an admin answers a support message).
        """
        body = await _body(request)
        user_id = self._person(body)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            _reject("text must be a non-empty string", "sandbox.page.error_text_empty")
        if len(text) > MAX_TEXT:
            _reject(
                f"text is {len(text)} characters long; Telegram allows at most {MAX_TEXT}",
                "sandbox.page.error_text_long",
                length=len(text),
                limit=MAX_TEXT,
            )
        reply_to = _int(body, "reply_to") if "reply_to" in body else None
        try:
            raw = await self._standin.send_text(user_id, text, reply_to)
        except AssertionError as exc:  # the stand-in's way of saying "no such bot message"
            _reject(str(exc), "sandbox.page.error_message_gone")
        return web.json_response({"message_id": raw["message_id"]})

    async def press(self, request: web.Request) -> web.Response:
        """``{user_id, message_id, callback_data}``: press an inline button; answers with the bot's toast, if any."""
        body = await _body(request)
        user_id = self._person(body)
        message_id, data = _int(body, "message_id"), body.get("callback_data")
        if not isinstance(data, str) or not data:
            _reject("callback_data must be a non-empty string")
        try:
            query_id = await self._standin.press_button(user_id, message_id, data)
        except AssertionError as exc:  # the stand-in's way of saying "no such message or button"
            _reject(str(exc), "sandbox.page.error_button_gone")
        answer = await self._callback_answer(query_id)
        toast = None
        if answer is not None:
            toast = {"text": answer.get("text"), "show_alert": bool(answer.get("show_alert"))}
        return web.json_response({"callback_query_id": query_id, "answered": answer is not None, "toast": toast})

    async def pay(self, request: web.Request) -> web.Response:
        """``{user_id, message_id}``: pay a Stars invoice; answers how it ended (approved, or the bot's reason)."""
        body = await _body(request)
        user_id = self._person(body)
        message_id = _int(body, "message_id")
        try:
            outcome = await self._standin.pay_invoice(user_id, message_id, timeout=PAYMENT_WAIT_S)
        except AssertionError as exc:  # not an invoice, or no such message
            _reject(str(exc), "sandbox.page.error_message_gone")
        return web.json_response(
            {
                "approved": outcome.approved,
                "error_message": outcome.error_message,
                "total_amount": outcome.total_amount,
                "charge_id": outcome.charge_id,
            }
        )

    async def file(self, request: web.Request) -> web.Response:
        """A stored file's bytes with its content type (``?download=1``: as an attachment); byte ranges work."""
        stored = self._standin.file(request.match_info["file_id"])
        if stored is None:
            return web.json_response({"error": "no such file"}, status=404)
        name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        disposition = "attachment" if request.query.get("download") else "inline"
        headers = {
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
            "Accept-Ranges": "bytes",
            "Cache-Control": "private, max-age=3600",
        }
        span = _byte_range(request.headers.get("Range"), stored.size)
        if span is None:
            return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)
        start, end = span
        headers["Content-Range"] = f"bytes {start}-{end}/{stored.size}"
        return web.Response(
            status=206, body=stored.data[start : end + 1], content_type=stored.mime_type, headers=headers
        )

    def chat_param(self, request: web.Request) -> int:
        """The ``chat`` query parameter: a person's id or the channel's; 400 otherwise."""
        chats = self.chat_params(request)
        if len(chats) != 1:
            _reject("give exactly one chat")
        return next(iter(chats))

    def chat_params(self, request: web.Request) -> frozenset[int]:
        """Every ``chat`` query parameter (at least one), each a person's id or the channel's; 400 otherwise."""
        known = {p.user_id for p in self._cast.people} | {self._cast.channel.chat_id}
        values = request.query.getall("chat", [])
        if not values:
            _reject("chat is required")
        chats: set[int] = set()
        for value in values:
            chat = _number(value) if len(value) <= 20 else None
            if chat is None or chat not in known:
                _reject(f"unknown chat {value[:40]!r}")
            chats.add(chat)
        return frozenset(chats)

    async def language(self, request: web.Request) -> web.Response:
        """``{user_id, language_code}``: the person's Telegram app now runs in that language."""
        body = await _body(request)
        user_id, code = self._person(body), body.get("language_code")
        if code not in LANGUAGES:
            _reject(f"language_code must be one of {LANGUAGES}")
        self._standin.set_language(user_id, code)
        return web.json_response({"user_id": user_id, "language_code": code})

    async def inline(self, request: web.Request) -> web.Response:
        """``{user_id, query, offset}``: the person types ``@bot <query>``; answers with the bot's results."""
        body = await _body(request)
        user_id, query, offset = self._person(body), body.get("query", ""), body.get("offset", "")
        if not isinstance(query, str) or len(query) > 256 or not isinstance(offset, str) or len(offset) > 64:
            _reject(
                "query must be text of at most 256 characters and offset at most 64",
                "sandbox.page.error_inline_long",
                limit=256,
            )
        try:
            answer = await self._standin.ask_inline(user_id, query, offset, timeout=INLINE_WAIT_S)
        except AssertionError as exc:  # the bot did not answer in time
            _reject(str(exc), "sandbox.page.error_inline_timeout")
        results = [
            {"id": r.get("id"), "file_id": r.get("audio_file_id"), "caption": r.get("caption", "")}
            for r in answer.get("results", [])
        ]
        return web.json_response(
            {"results": results, "next_offset": answer.get("next_offset", ""), "button": answer.get("button")}
        )

    async def strings(self, request: web.Request) -> web.Response:
        """``?language=<code>``: the page's texts and the bot's command menu in that app language.

        Texts are the catalogs' ``sandbox.page.*`` keys (English where a catalog lacks one); commands are those the
        bot published for the language with setMyCommands, else its default list, as a Telegram app shows them.
        """
        code = request.query.get("language", "")
        if len(code) > 35:
            _reject("language is at most 35 characters")
        texts = self._texts
        language = texts.language_for(code)
        base = code.lower().split("-")[0]
        messaging = self._standin.messaging
        commands = (await messaging.get_my_commands({"language_code": base}) if base else []) or (
            await messaging.get_my_commands({})
        )
        return web.json_response(
            {
                "language": language,
                "strings": texts.page_strings(language, PAGE_KEYS),
                "commands": [{"command": c["command"], "description": c["description"]} for c in commands],
            }
        )

    def _language_of(self, user_id: int) -> str | None:
        code = self._standin.world.users.get(user_id, {}).get("language_code")
        return None if code is None else str(code)

    def _person(self, body: JSON) -> int:
        user_id = _int(body, "user_id")
        if self._cast.person(user_id) is None:
            _reject(f"unknown user {user_id}; the sandbox has {[p.user_id for p in self._cast.people]}")
        return user_id

    async def _callback_answer(self, query_id: str) -> JSON | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CALLBACK_WAIT_S
        # The stand-in records callback answers without publishing an event, so there is nothing to await.
        while (answer := self._standin.callback_answer(query_id)) is None and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return answer


def guarded(handler: Handler) -> Handler:
    """``handler`` with ``BadInput`` answered as a 400 ``{"error": ...}`` (plus ``error_key``/``error_values``)."""

    async def checked(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadInput as exc:
            answer: JSON = {"error": str(exc)}
            if exc.key is not None:
                answer |= {"error_key": exc.key, "error_values": exc.values}
            return web.json_response(answer, status=400)

    return checked


async def _body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        _reject("the body must be JSON")
    if not isinstance(body, dict):
        _reject("the body must be a JSON object")
    return body


def _int(body: JSON, name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        _reject(f"{name} must be an integer")
    return value


def _reject(problem: str, key: str | None = None, **values: str | int) -> NoReturn:
    raise BadInput(problem, key, **values)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one ``bytes=a-b`` range asked for, clamped to the file; None for no (or an unusable) range."""
    if not header or not header.startswith("bytes=") or "," in header or size == 0:
        return None
    first_text, _, last_text = header.removeprefix("bytes=").strip().partition("-")
    first, last = _number(first_text), _number(last_text)
    if (first is not None and first < 0) or (last is not None and last < 0):
        return None
    if first is None:  # a suffix: the last N bytes
        return None if last is None else (max(0, size - last), size - 1)
    end = min(last, size - 1) if last is not None else size - 1
    return (first, end) if first <= end else None


def _number(text: str) -> int | None:
    """ASCII digits (with an optional leading minus) as an int, else None ("²".isdigit() is True; int("²") raises)."""
    digits = text.removeprefix("-")
    return int(text) if digits.isascii() and digits.isdigit() else None

"""``TelegramStandIn``: a fake Telegram Bot API server for one bot, and the people who talk to it.

Use it from a test running in the same event loop as the bot::

    async with TelegramStandIn(token="123456:TEST-TOKEN", bot_username="CloudMusicBot") as standin:
        builder = ApplicationBuilder().token(standin.token).base_url(standin.base_url)
        app = builder.base_file_url(standin.file_base_url).build()
        ...  # add handlers; start the app and its updater's polling
        standin.add_user(1001, "Ada")
        await standin.send_text(1001, "/start")
        reply = await standin.wait_for(1001, lambda m: "Welcome" in m.content)
        assert not standin.violations
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from standin.commerce import Commerce
from standin.events import Subscription
from standin.faults import Fault, FaultKind, FaultPlan
from standin.flood import FloodLimit
from standin.incoming import IncomingKind
from standin.inline import InlineMode
from standin.methods import Messaging
from standin.people import People
from standin.records import JSON, Call, ChatMessage, PaymentOutcome, StoredFile, render_transcript
from standin.server import StandInServer
from standin.validator import Validator, Violation
from standin.world import World


class TelegramStandIn:
    """A Bot API server on 127.0.0.1 that PTB talks to unmodified, with simulated people and fault injection."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "CloudMusicBot",
        bot_name: str = "CloudMusic",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        inline_mode: bool = False,
    ) -> None:
        """``inline_mode``: the bot has inline mode on from the start (as after @BotFather's /setinline)."""
        self.token = token
        self.host = host
        self.world = World(token, bot_username, bot_name)
        self.world.inline_mode = inline_mode
        self.messaging = Messaging(self.world)
        self.commerce = Commerce(self.world)
        self.people = People(self.world, self.messaging, self.commerce)
        self.faults = FaultPlan()
        self.inline = InlineMode(self.world)
        handlers = {**self.messaging.handlers(), **self.commerce.handlers(), **self.inline.handlers()}
        self.server = StandInServer(self.world, Validator(), handlers, self.faults)
        self._port = port

    async def start(self) -> None:
        """Start serving (on an ephemeral port unless one was given)."""
        self._port = await self.server.start(self.host, self._port)

    async def stop(self) -> None:
        """Stop serving; held getUpdates calls are answered first."""
        await self.server.stop()

    async def restart(self, down_for: float = 0.0) -> None:
        """Stop the HTTP listener (held polls are answered), stay down ``down_for`` s, listen again on the same port.

        Everything the stand-in knows (people, chats, pending updates, files) survives, as it does when
        Telegram's front end restarts; the bot sees refused connections while it is down.
        """
        await self.go_down()
        await asyncio.sleep(down_for)
        await self.come_back()

    async def go_down(self) -> None:
        """Stop listening until :meth:`come_back`: the bot's connections are refused, as when Telegram is down."""
        await self.server.stop()

    async def come_back(self) -> None:
        """Listen again on the same port after :meth:`go_down`; everything the stand-in knew is still there."""
        self.world.updates.reopen()
        self._port = await self.server.start(self.host, self._port)

    def limit_rate(self, per_second: int | None, retry_after: int = 1) -> FloodLimit | None:
        """Enforce Telegram's flood control: over ``per_second`` messages in a second → 429 (None: no limit)."""
        self.server.flood = None if per_second is None else FloodLimit(per_second, retry_after)
        return self.server.flood

    async def __aenter__(self) -> TelegramStandIn:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The Bot API base URL in PTB's shape (PTB appends the token): ``http://127.0.0.1:PORT/bot``."""
        return f"http://{self.host}:{self._port}/bot"

    @property
    def file_base_url(self) -> str:
        """The file download base URL in PTB's shape: ``http://127.0.0.1:PORT/file/bot``."""
        return f"http://{self.host}:{self._port}/file/bot"

    @property
    def bot_user(self) -> JSON:
        """The bot's User JSON as getMe returns it (without the capability flags)."""
        return self.world.bot_user

    @property
    def calls(self) -> list[Call]:
        """Every HTTP call the bot made, in order, with its answer status."""
        return self.server.calls

    @property
    def violations(self) -> list[Violation]:
        """Every call Telegram would have rejected with 400, in order."""
        return self.server.violations

    def add_user(
        self, user_id: int, first_name: str = "Ada", language_code: str | None = "en", username: str | None = None
    ) -> JSON:
        """Register a person who has started the bot; return the User JSON."""
        return self.people.add_user(user_id, first_name, language_code, username)

    def add_users(self, user_ids: Iterable[int], language_code: str | None = "en") -> list[JSON]:
        """Register many people at once (named ``User <id>``); return their User JSON in order."""
        return [self.people.add_user(uid, f"User {uid}", language_code, None) for uid in user_ids]

    def push_update(self, kind: str, payload: JSON) -> JSON:
        """Queue a raw update of ``kind`` (``message``, ``callback_query``…) exactly as given, unchecked.

        For fuzzing the bot with payloads the people API would never produce; returns the update.
        """
        return self.world.updates.put(kind, payload)

    def add_channel(self, chat_id: int, username: str | None = None, title: str = "Channel") -> JSON:
        """Register a channel the bot may post to (by id or ``@username``); return the Chat JSON."""
        return self.world.add_channel(chat_id, username, title)

    async def send_text(self, user_id: int, text: str, reply_to: int | None = None) -> JSON:
        """The person writes ``text`` in their private chat (replying to bot message ``reply_to``); their Message."""
        return await self.people.send_text(user_id, text, reply_to)

    async def send_file(self, user_id: int, kind: IncomingKind, data: bytes, **details: Any) -> JSON:
        """The person sends a file of ``kind`` (audio, voice, video, video_note, document); return the Message JSON.

        ``details``: ``file_name``, ``mime_type``, ``duration`` (s), ``size`` ((width, height) of a video).
        """
        return await self.people.send_file(user_id, kind, data, **details)

    async def press_button(self, user_id: int, message_id: int, callback_data: str) -> str:
        """The person presses an inline button of a bot message; return the callback query id."""
        return await self.people.press_button(user_id, message_id, callback_data)

    def callback_answer(self, callback_query_id: str) -> JSON | None:
        """The bot's answerCallbackQuery parameters for a press (None while unanswered)."""
        return self.messaging.callback_answers.get(callback_query_id)

    async def pay_invoice(
        self,
        user_id: int,
        message_id: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - how long the person waits for the bot, not an I/O deadline
    ) -> PaymentOutcome:
        """The person pays a Stars invoice message; the bot has ``timeout`` s to answer the pre-checkout."""
        return await self.people.pay_invoice(user_id, message_id, timeout)

    async def pay_invoice_link(
        self,
        user_id: int,
        link: str,
        timeout: float = 10.0,  # noqa: ASYNC109 - how long the person waits for the bot, not an I/O deadline
    ) -> PaymentOutcome:
        """The person pays an invoice link the bot made with createInvoiceLink."""
        return await self.people.pay_invoice_link(user_id, link, timeout)

    def set_language(self, user_id: int, language_code: str | None) -> JSON:
        """The person switches their Telegram app's language; later updates carry the new ``language_code``."""
        user = self.world.users[user_id]
        user.pop("language_code", None)
        if language_code:
            user["language_code"] = language_code
        return user

    def enable_inline(self) -> None:
        """Switch inline mode on, as @BotFather's /setinline does (getMe then reports supports_inline_queries)."""
        self.inline.enabled = True

    async def ask_inline(
        self,
        user_id: int,
        query: str,
        offset: str = "",
        timeout: float = 10.0,  # noqa: ASYNC109 - how long the person waits for the bot, not an I/O deadline
    ) -> JSON:
        """The person types ``@bot <query>`` in a chat; return the bot's answerInlineQuery parameters."""
        return await self.inline.ask(user_id, query, offset, patience=timeout)

    def redeliver(self, message: ChatMessage) -> None:
        """Queue a person's message update again, as Telegram does when the bot did not confirm it in time."""
        self.world.updates.put("message", message.raw)

    def block_bot(self, user_id: int) -> None:
        """The person blocks the bot; its calls to that chat answer 403 until the person writes again."""
        self.people.block_bot(user_id)

    def transcript(self, chat_id: int) -> list[ChatMessage]:
        """Both sides of a chat in order, edits applied, deletions flagged."""
        return self.world.transcript(chat_id)

    def forget_file(self, file_id: str) -> bool:
        """Telegram forgets ``file_id``: a send by it then answers "wrong file identifier"; True if it was known."""
        return self.messaging.media.forget(file_id)

    def file(self, file_id: str) -> StoredFile | None:
        """A file the bot uploaded (or a person's), by file_id."""
        return self.world.files.get(file_id)

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued for the bot and not yet confirmed by a getUpdates offset."""
        return self.world.updates.pending

    def subscribe(self) -> Subscription:
        """A stream of events (message, edit, delete, payment, refund) from now on; close it when done."""
        return self.world.events.subscribe()

    def inject_fault(
        self,
        method: str | None = None,
        kind: FaultKind = "500",
        times: int = 1,
        retry_after: int = 1,
        delay: float = 2.0,
        chat_id: int | str | None = None,
    ) -> Fault:
        """Make the next ``times`` matching calls fail (``method`` None: any method except getUpdates)."""
        return self.faults.add(Fault(kind, method, times, retry_after, delay, chat_id))

    async def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[ChatMessage], bool] = lambda message: True,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API's name for how long to wait
        since: int | None = None,
    ) -> ChatMessage:
        """Wait for a bot message or edit in the chat matching ``predicate``; AssertionError with the transcript.

        Only bot messages changed after ``since`` (a ``seq``; default: the person's latest action in this
        chat) count, so waiting right after ``send_text`` finds the bot's reaction, not an older message.
        """
        after = self.world.user_seq.get(chat_id, 0) if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with_events = self.world.events.subscribe()
        try:
            while True:
                for message in self.world.transcript(chat_id):
                    if message.from_bot and not message.deleted and message.seq > after and predicate(message):
                        return message
                if loop.time() >= deadline:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(with_events.queue.get(), deadline - loop.time())
        finally:
            with_events.close()
        recent = self.calls[-5:]
        raise AssertionError(
            f"no matching bot message in chat {chat_id} within {timeout:g} s. Transcript:\n"
            f"{render_transcript(self.world.transcript(chat_id))}\n"
            f"Violations: {self.violations}\nLast calls: {[(c.method, c.status, c.description) for c in recent]}"
        )

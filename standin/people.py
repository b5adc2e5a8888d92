"""The people side: users who write to the bot, press its buttons, pay its invoices and block it.

Each action adds what the person did to the chat and queues the update the bot will receive from getUpdates,
shaped as Telegram shapes it (a ``bot_command`` entity for a leading /command, ``chat_instance`` on callback
queries, ``pre_checkout_query`` then ``successful_payment`` for payments).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from standin.commerce import Commerce
from standin.incoming import IncomingKind, send_file
from standin.methods import Messaging
from standin.records import JSON, ChatMessage, PaymentOutcome
from standin.world import World

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")


class People:
    """Simulated Telegram users talking to the bot in private chats."""

    def __init__(self, world: World, messaging: Messaging, commerce: Commerce) -> None:
        self.world = world
        self.messaging = messaging
        self.commerce = commerce

    def add_user(self, user_id: int, first_name: str, language_code: str | None, username: str | None) -> JSON:
        """Register a person who has started the bot; return the User JSON."""
        return self.world.add_user(user_id, first_name, language_code, username)

    async def send_text(self, user_id: int, text: str, reply_to: int | None = None) -> JSON:
        """The person writes ``text`` (unblocking the bot, as writing does); return their Message JSON.

        ``reply_to``: the id of a bot message in the chat this one replies to. Telegram then includes that message
        as ``reply_to_message`` (without its own ``reply_to_message``: Bot API, Message.reply_to_message).
        """
        self._user(user_id)
        self.world.blocked.discard(user_id)
        content: JSON = {"text": text}
        if reply_to is not None:
            replied = dict(self._bot_message(user_id, reply_to).raw)
            replied.pop("reply_to_message", None)
            content["reply_to_message"] = replied
        command = _COMMAND.match(text)
        if command:
            length = len(command.group(0).encode("utf-16-le")) // 2
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        message = self.world.post(user_id, False, content, kind="text", text=text)
        self.world.updates.put("message", message.raw)
        return message.raw

    async def send_file(self, user_id: int, kind: IncomingKind, data: bytes, **details: Any) -> JSON:
        """The person sends a file (audio, voice, video, video_note, document); see :func:`incoming.send_file`."""
        return send_file(self.world, user_id, kind, data, **details)

    async def press_button(self, user_id: int, message_id: int, callback_data: str) -> str:
        """The person presses the inline button carrying ``callback_data``; return the callback query id."""
        message = self._bot_message(user_id, message_id)
        if callback_data not in [b.callback_data for b in message.buttons]:
            raise AssertionError(
                f"message {message_id} in chat {user_id} has no button with callback_data {callback_data!r}; "
                f"its buttons: {[(b.text, b.callback_data) for b in message.buttons]}"
            )
        query_id = str(secrets.randbits(63))
        self.messaging.callback_answers[query_id] = None
        self.world.user_seq[user_id] = self.world.last_seq
        query = {
            "id": query_id,
            "from": self.world.users[user_id],
            "message": message.raw,
            "chat_instance": _chat_instance(self.world.token, user_id),
            "data": callback_data,
        }
        self.world.updates.put("callback_query", query)
        return query_id

    async def pay_invoice(self, user_id: int, message_id: int, patience: float = 10.0) -> PaymentOutcome:
        """The person pays invoice message ``message_id`` (once: then it is a receipt); ``patience`` s to approve."""
        message = self._bot_message(user_id, message_id)
        if message.kind != "invoice" or message.invoice is None:
            raise AssertionError(f"message {message_id} in chat {user_id} is a {message.kind}, not an invoice")
        self.world.user_seq[user_id] = self.world.last_seq
        return await self.commerce.pay(user_id, message.invoice, patience, invoice=(user_id, message_id))

    async def pay_invoice_link(self, user_id: int, link: str, patience: float = 10.0) -> PaymentOutcome:
        """The person pays an invoice link made by createInvoiceLink."""
        self._user(user_id)
        terms = self.commerce.links.get(link.rsplit("$", 1)[-1])
        if terms is None:
            raise AssertionError(f"{link!r} is not an invoice link the bot created")
        self.world.user_seq[user_id] = self.world.last_seq
        return await self.commerce.pay(user_id, terms, patience)

    def block_bot(self, user_id: int) -> None:
        """The person blocks the bot: its later calls to that chat answer 403."""
        self._user(user_id)
        self.world.blocked.add(user_id)

    def _user(self, user_id: int) -> JSON:
        if user_id not in self.world.users:
            raise AssertionError(f"no user {user_id}; call add_user({user_id}, ...) first")
        return self.world.users[user_id]

    def _bot_message(self, user_id: int, message_id: int) -> ChatMessage:
        self._user(user_id)
        message = self.world.message(user_id, message_id)
        if message is None or not message.from_bot:
            raise AssertionError(f"chat {user_id} has no bot message {message_id}")
        return message


def _chat_instance(token: str, chat_id: int) -> str:
    """A stable opaque id of the (bot, chat) pair, as Telegram gives in callback queries."""
    return str(int(hashlib.sha256(f"{token}:{chat_id}".encode()).hexdigest()[:15], 16))

"""The Bot API methods about the bot itself, updates and messages, acting on the ``World``.

Each handler takes the validated, decoded parameters and returns the ``result`` Telegram would send, or
raises ``ApiError``. Payment methods live in ``commerce.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from standin import limits
from standin.media import Media
from standin.records import JSON, ApiError, ChatMessage, bad_request
from standin.world import World

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)


class Messaging:
    """Handlers for getMe, updates, webhooks, commands, sending, editing and deleting messages, files."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.media = Media(world)
        self.webhook: JSON = {"url": "", "has_custom_certificate": False}
        self.commands: dict[str, list[JSON]] = {}
        self.callback_answers: dict[str, JSON | None] = {}  # query id → the bot's answer (None: not yet)
        self.menu_buttons: dict[int | None, JSON] = {}  # chat id (None: the default) → its menu button

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by Bot API method name."""
        return {
            "getMe": self.get_me,
            "logOut": self.nothing,
            "close": self.nothing,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendMessage": self.send_message,
            "sendChatAction": self.send_chat_action,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendAudio": self.media.send_audio,
            "sendDocument": self.media.send_document,
            "sendPhoto": self.media.send_photo,
            "getFile": self.media.get_file,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
        }

    async def get_me(self, p: dict[str, Any]) -> JSON:
        """The bot's User, with the capability flags getMe adds.

        ``supports_inline_queries`` is true once inline mode is on (Bot API, User.supports_inline_queries: "True, if
        the bot supports inline queries. Returned only in getMe"; Telegram turns it on with @BotFather /setinline).
        """
        flags = ("can_read_all_group_messages", "can_connect_to_business")
        return {
            **self.world.bot_user,
            "can_join_groups": True,
            **dict.fromkeys(flags, False),
            "supports_inline_queries": self.world.inline_mode,
        }

    async def nothing(self, p: dict[str, Any]) -> bool:
        """Accepted and ignored (logOut, close)."""
        return True

    async def get_updates(self, p: dict[str, Any]) -> list[JSON]:
        """Pending updates from ``offset``, held up to ``timeout`` s; 409 while a webhook is set."""
        if self.webhook["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook")
        return await self.world.updates.poll(
            offset=p.get("offset", 0),
            limit=p.get("limit", 100),
            wait=p.get("timeout", 0),
            allowed=p.get("allowed_updates"),
        )

    async def set_webhook(self, p: dict[str, Any]) -> bool:
        """Remember the webhook (updates are not pushed to it; getUpdates answers 409 meanwhile)."""
        if p.get("drop_pending_updates"):
            self.world.updates.drop_pending()
        self.webhook = {"url": p["url"], "has_custom_certificate": "certificate" in p}
        if "allowed_updates" in p:
            self.webhook["allowed_updates"] = p["allowed_updates"]
        return True

    async def delete_webhook(self, p: dict[str, Any]) -> bool:
        """Forget the webhook; optionally drop pending updates."""
        if p.get("drop_pending_updates"):
            self.world.updates.drop_pending()
        self.webhook = {"url": "", "has_custom_certificate": False}
        return True

    async def get_webhook_info(self, p: dict[str, Any]) -> JSON:
        """The webhook and the number of pending updates."""
        return {**self.webhook, "pending_update_count": len(self.world.updates.pending)}

    async def set_my_commands(self, p: dict[str, Any]) -> bool:
        """Store the command list for a scope and language."""
        limits.commands(p["commands"])
        self.commands[_commands_key(p)] = p["commands"]
        return True

    async def set_chat_menu_button(self, p: dict[str, Any]) -> bool:
        """Store a chat's (or the default) menu button. The Bot API JSON: MenuButtonWebApp's ``web_app`` is a
        WebAppInfo whose ``url`` is "An HTTPS URL of a Web App"; ``menu_button`` defaults to MenuButtonDefault."""
        button = p.get("menu_button") or {"type": "default"}
        if button.get("type") not in ("commands", "web_app", "default"):
            raise bad_request("unsupported menu button type")
        if button["type"] == "web_app":
            url = str((button.get("web_app") or {}).get("url", ""))
            if not url.startswith("https://"):
                raise bad_request("BUTTON_URL_INVALID")
            if not 1 <= len(str(button.get("text", ""))) <= 64:
                raise bad_request("BUTTON_TEXT_INVALID")
        self.menu_buttons[p.get("chat_id")] = button
        return True

    async def get_chat_menu_button(self, p: dict[str, Any]) -> JSON:
        """The chat's menu button, else the default one, else MenuButtonDefault."""
        chat = p.get("chat_id")
        return self.menu_buttons.get(chat) or self.menu_buttons.get(None) or {"type": "default"}

    async def get_my_commands(self, p: dict[str, Any]) -> list[JSON]:
        """The command list stored for a scope and language."""
        return self.commands.get(_commands_key(p), [])

    async def delete_my_commands(self, p: dict[str, Any]) -> bool:
        """Forget the command list for a scope and language."""
        self.commands.pop(_commands_key(p), None)
        return True

    async def send_message(self, p: dict[str, Any]) -> JSON:
        """Post a text message from the bot; return the Message."""
        chat = self.world.writable_chat(p["chat_id"])
        text = limits.message_text(p.get("text"), p.get("parse_mode"))
        markup = p.get("reply_markup")
        limits.inline_keyboard(markup)
        content = {"text": text, **_inline_only(markup), **self.reply_to(chat["id"], p)}
        return self.world.post(chat["id"], True, content, kind="text", text=text, reply_markup=markup).raw

    async def send_chat_action(self, p: dict[str, Any]) -> bool:
        """Accept a chat action ("typing"...) for a chat the bot may write to."""
        self.world.writable_chat(p["chat_id"])
        limits.chat_action(p["action"])
        return True

    async def edit_message_text(self, p: dict[str, Any]) -> JSON:
        """Replace a bot text message's text and keyboard; 400 when nothing changes."""
        message = self.editable(p)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = limits.message_text(p.get("text"), p.get("parse_mode"))
        markup = p.get("reply_markup")
        limits.inline_keyboard(markup)
        if text == message.text and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        content = {"text": text, "reply_markup": markup}
        return self.world.edit(message, content, text=text, reply_markup=markup).raw

    async def edit_message_caption(self, p: dict[str, Any]) -> JSON:
        """Replace a bot media message's caption and keyboard; 400 when nothing changes."""
        message = self.editable(p)
        if message.kind not in ("audio", "document", "photo"):
            raise bad_request("there is no caption in the message to edit")
        caption = limits.caption(p.get("caption"), p.get("parse_mode"))
        markup = p.get("reply_markup")
        limits.inline_keyboard(markup)
        if caption == message.caption and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        content = {"caption": caption, "reply_markup": markup}
        return self.world.edit(message, content, caption=caption, reply_markup=markup).raw

    async def edit_message_reply_markup(self, p: dict[str, Any]) -> JSON:
        """Replace (or remove) a bot message's inline keyboard; 400 when nothing changes."""
        message = self.editable(p)
        markup = p.get("reply_markup")
        limits.inline_keyboard(markup)
        if markup == message.reply_markup or (not markup and not message.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        return self.world.edit(message, {"reply_markup": markup}, reply_markup=markup).raw

    async def delete_message(self, p: dict[str, Any]) -> bool:
        """Delete a bot message, or a person's message in a private chat."""
        chat = self.world.chat(p["chat_id"])
        message = self.world.message(chat["id"], p["message_id"])
        if message is None:
            raise bad_request("message to delete not found")
        if not message.from_bot and chat["type"] != "private":
            raise bad_request("message can't be deleted")
        self.world.delete(message)
        return True

    async def answer_callback_query(self, p: dict[str, Any]) -> bool:
        """Record the bot's answer to a button press; 400 for unknown or already answered queries."""
        query_id = p["callback_query_id"]
        if query_id not in self.callback_answers or self.callback_answers[query_id] is not None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if len(p.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = p
        return True

    def editable(self, p: dict[str, Any]) -> ChatMessage:
        """The bot message an edit call points at (chat_id + message_id); 400 otherwise."""
        if "inline_message_id" in p:
            raise bad_request("inline messages are not supported by the stand-in")
        if "chat_id" not in p or "message_id" not in p:
            raise bad_request("chat_id and message_id are required unless inline_message_id is given")
        chat = self.world.writable_chat(p["chat_id"])
        message = self.world.message(chat["id"], p["message_id"])
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def reply_to(self, chat_id: int, p: dict[str, Any]) -> JSON:
        """The ``reply_to_message`` a send call asks for (checked to exist), as Message content."""
        reply = p.get("reply_parameters")
        if not reply:
            return {}
        target = self.world.message(chat_id, reply["message_id"])
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return {}
            raise bad_request("message to be replied not found")
        return {"reply_to_message": {k: v for k, v in target.raw.items() if k != "reply_to_message"}}


def _inline_only(markup: JSON | None) -> JSON:
    """Messages carry only inline keyboards; reply keyboards live in the client."""
    return {"reply_markup": markup} if markup and "inline_keyboard" in markup else {}


def _commands_key(p: dict[str, Any]) -> str:
    scope = p.get("scope") or {"type": "default"}
    return f"{sorted(scope.items())}|{p.get('language_code', '')}"

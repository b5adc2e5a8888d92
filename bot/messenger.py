"""The Telegram side of the scheduler's ``Messenger`` (used by broadcasts): Bot API errors mapped to its terms."""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter

from scheduler.broadcast import RateLimited, RecipientBlocked


class TelegramMessenger:
    """Sends plain text; 403 → RecipientBlocked, 429 → RateLimited, "chat not found" → RecipientBlocked."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_text(self, chat_id: int, text: str) -> None:
        """Send ``text`` to ``chat_id`` without link previews."""
        try:
            await self._bot.send_message(chat_id, text, disable_web_page_preview=True)
        except Forbidden as exc:
            raise RecipientBlocked(str(exc)) from exc
        except RetryAfter as exc:
            retry = exc.retry_after
            raise RateLimited(retry if isinstance(retry, int | float) else retry.total_seconds()) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise RecipientBlocked(str(exc)) from exc
            raise

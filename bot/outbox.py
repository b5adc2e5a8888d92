"""``TelegramOutbox``: the scheduler's one outbound seam (:class:`scheduler.outbox.Outbox`) over the Bot API."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from scheduler.outbox import AudioPost, PostReceipt, RecipientBlocked, SendRejected, SendRetryable, SendUncertain
from scheduler.tracks import UPLOAD_LIMIT


class TelegramOutbox:
    """Audio posts with sendAudio (title, performer, duration, cover thumbnail, HTML caption, URL buttons) and texts
    with sendMessage; Telegram's errors become the :class:`scheduler.outbox.OutboxError` the seam documents."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def publish(self, destination: str, post: AudioPost) -> PostReceipt:
        """Post to a channel id or ``@username``; returns the message id and the audio's file id."""
        markup = None
        if post.links:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(link.text, url=link.url)] for link in post.links])
        if len(post.audio) + len(post.cover or b"") > UPLOAD_LIMIT:  # Telegram would answer 413, every time
            raise SendRejected(f"the audio is {len(post.audio)} bytes, over Telegram's upload limit for bots")
        try:
            message = await self._bot.send_audio(
                _chat(destination),
                audio=InputFile(post.audio, filename=post.filename),
                title=post.title,
                performer=post.performer,
                duration=post.duration,
                thumbnail=InputFile(post.cover, filename="cover.jpg") if post.cover else None,
                caption=post.caption_html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except TelegramError as exc:
            raise _outbox_error(exc) from exc
        return PostReceipt(message.message_id, message.audio.file_id if message.audio else None)

    async def send_text(self, chat_id: int | str, text: str, *, html: bool = False) -> PostReceipt:
        """A text message, without link previews; 403 or "chat not found" → RecipientBlocked."""
        try:
            message = await self._bot.send_message(
                _chat(str(chat_id)),
                text,
                parse_mode=ParseMode.HTML if html else None,
                disable_web_page_preview=True,
            )
        except TelegramError as exc:
            raise _outbox_error(exc) from exc
        return PostReceipt(message.message_id)


def _outbox_error(exc: TelegramError) -> Exception:
    """The OutboxError a Bot API error means: whether it may have been sent, may be retried, or never will be."""
    if isinstance(exc, RetryAfter):  # still flooded after the rate limiter's own retries
        return SendRetryable(str(exc), retry_after=_seconds(exc))
    if isinstance(exc, TimedOut):  # the request may have reached Telegram
        return SendUncertain(str(exc))
    if isinstance(exc, Forbidden) or (isinstance(exc, BadRequest) and "chat not found" in str(exc).lower()):
        return RecipientBlocked(str(exc))
    if isinstance(exc, BadRequest | InvalidToken | ChatMigrated):
        return SendRejected(str(exc))
    if isinstance(exc, NetworkError):  # 5xx answers and refused connections
        return SendRetryable(str(exc))
    return SendRejected(str(exc))


def _chat(destination: str) -> int | str:
    """A numeric channel id as an int, an ``@username`` as is."""
    try:
        return int(destination)
    except ValueError:
        return destination


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

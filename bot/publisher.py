"""The Telegram side of teasers: the ``Publisher`` over the Bot API, and the ``TeaserMessenger`` in our words."""

from __future__ import annotations

import html
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

from bot.texts import Texts
from scheduler.publisher import AudioPost, PostReceipt, PublishRejected, PublishRetryable, PublishUncertain
from scheduler.tracks import UPLOAD_LIMIT
from storage import Job, Teaser, UserRepository

CHANNEL_LANGUAGE = "en"  # the channel speaks the default catalog's language


class TelegramPublisher:
    """Posts audio with sendAudio: title, performer, duration, cover thumbnail, HTML caption, URL buttons."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def publish(self, destination: str, post: AudioPost) -> PostReceipt:
        """Post to a channel id or ``@username``; Telegram errors become the PublishError the seam documents."""
        markup = None
        if post.links:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(link.text, url=link.url)] for link in post.links])
        if len(post.audio) + len(post.cover or b"") > UPLOAD_LIMIT:  # Telegram would answer 413, every time
            raise PublishRejected(f"the audio is {len(post.audio)} bytes, over Telegram's upload limit for bots")
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
        except RetryAfter as exc:  # still flooded after the rate limiter's own retries
            raise PublishRetryable(str(exc), retry_after=_seconds(exc)) from exc
        except TimedOut as exc:  # the upload may have reached Telegram
            raise PublishUncertain(str(exc)) from exc
        except (BadRequest, Forbidden, InvalidToken, ChatMigrated) as exc:
            raise PublishRejected(str(exc)) from exc
        except NetworkError as exc:  # 5xx answers and refused connections
            raise PublishRetryable(str(exc)) from exc
        except TelegramError as exc:
            raise PublishRejected(str(exc)) from exc
        return PostReceipt(message.message_id, message.audio.file_id if message.audio else None)


class TelegramTeaserMessenger:
    """Captions and buttons from the locale catalog; the deep link to this bot; the owner's notice."""

    def __init__(self, bot: Bot, texts: Texts, users: UserRepository) -> None:
        self._bot, self._texts, self._users = bot, texts, users

    def caption(self, prompt: str, engine: str, license_id: str | None) -> str:
        """🎧 the prompt, the engine, and the licence when it forbids commercial use."""
        t = self._texts
        text = t.get(CHANNEL_LANGUAGE, "teaser.caption", prompt=html.escape(prompt[:300]), engine=html.escape(engine))
        if license_id:
            text += "\n" + t.get(CHANNEL_LANGUAGE, "caption.noncommercial", license=html.escape(license_id))
        return text

    def link_text(self) -> str:
        """The button label, "🎵 Make yours"."""
        return self._texts.get(CHANNEL_LANGUAGE, "teaser.make_yours")

    def deep_link(self, teaser_id: int) -> str:
        """``https://t.me/<bot>?start=teaser_<id>`` (the bot's username is known once it is initialised)."""
        return f"https://t.me/{self._bot.username}?start=teaser_{teaser_id}"

    async def featured(self, job: Job, teaser: Teaser) -> None:
        """A private message to the owner: their track is in the channel."""
        user = await self._users.get(job.telegram_id)
        language = user.language if user else CHANNEL_LANGUAGE
        channel = teaser.channel if teaser.channel.startswith("@") else self._texts.get(language, "teaser.our_channel")
        title = html.escape(job.title or job.prompt[:64])
        text = self._texts.get(language, "teaser.featured", title=title, channel=html.escape(channel))
        await self._bot.send_message(job.chat_id, text, parse_mode=ParseMode.HTML)


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

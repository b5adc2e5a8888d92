"""``CatalogTeaserWords``: what the teaser desk says (caption, button, deep link, owner's note), from the catalogs."""

from __future__ import annotations

import html

from telegram import Bot

from bot.texts import Texts
from storage import Job, Teaser, UserRepository

CHANNEL_LANGUAGE = "en"  # the channel speaks the default catalog's language


class CatalogTeaserWords:
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

    async def featured(self, job: Job, teaser: Teaser) -> str:
        """The private note to the owner, in their language: their track is in the channel."""
        user = await self._users.get(job.telegram_id)
        language = user.language if user else CHANNEL_LANGUAGE
        channel = teaser.channel if teaser.channel.startswith("@") else self._texts.get(language, "teaser.our_channel")
        title = html.escape(job.title or job.prompt[:64])
        return self._texts.get(language, "teaser.featured", title=title, channel=html.escape(channel))

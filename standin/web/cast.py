"""Who is in the sandbox: the simulated people the page can talk as, and the teaser channel it can show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from standin.standin import TelegramStandIn

ADA, BOB, ADMIN_FALLBACK = 1001, 1002, 1003
CHANNEL_ID = -1001000000001
CHANNEL_USERNAME = "cloudmusic_teasers"


@dataclass(frozen=True, slots=True)
class Person:
    """A simulated Telegram user the page can switch to."""

    user_id: int
    name: str
    admin: bool = False
    language_code: str = "en"


@dataclass(frozen=True, slots=True)
class Channel:
    """The teaser channel as the stand-in knows it."""

    chat_id: int
    username: str
    title: str = "CloudMusic teasers"


@dataclass(frozen=True, slots=True)
class Cast:
    """Everyone the sandbox page shows: people first (the first is selected on load), then the channel."""

    people: tuple[Person, ...]
    channel: Channel

    def person(self, user_id: int) -> Person | None:
        """The person with ``user_id``, if they are in the cast."""
        return next((p for p in self.people if p.user_id == user_id), None)

    def register(self, standin: TelegramStandIn) -> None:
        """Make every person and the channel known to the stand-in."""
        for person in self.people:
            standin.add_user(person.user_id, person.name, language_code=person.language_code)
        channel = self.channel
        standin.add_channel(channel.chat_id, channel.username, channel.title)
        standin.enable_inline()  # the sandbox's bot has inline mode on, as @BotFather's /setinline would


def sandbox_cast(admin_ids: Iterable[int], teaser_channel: str | None) -> Cast:
    """Ada (1001), Bob (1002) and an Admin (the first ``ADMIN_IDS`` entry, else 1003), plus the teaser channel.

    Ada's Telegram app runs in Brazilian Portuguese (``pt-br``), Bob's in Spanish (``es``) and the Admin's in
    English, as issue 20 asks, so the bot's languages show from the first ``/start``; the page switches a person's
    app language (en, pt-br, es, ru, de) at any time.

    The Admin is flagged as one only when its id is in ``ADMIN_IDS``. The channel keeps ``TEASER_CHANNEL``'s
    ``@username`` (or its numeric id, so the teaser job's posts land in it) and otherwise gets a default one.
    """
    admins = sorted(admin_ids)
    admin_id = admins[0] if admins else ADMIN_FALLBACK
    people = [Person(ADA, "Ada", language_code="pt-br"), Person(BOB, "Bob", language_code="es")]
    if admin_id not in (ADA, BOB):
        people.append(Person(admin_id, "Admin", admin=admin_id in admins))
    people = [Person(p.user_id, p.name, p.user_id in admins, p.language_code) for p in people]
    channel_id, username = CHANNEL_ID, CHANNEL_USERNAME
    if teaser_channel and teaser_channel.startswith("@"):
        username = teaser_channel.removeprefix("@")
    elif teaser_channel:
        channel_id = int(teaser_channel)
    return Cast(tuple(people), Channel(channel_id, username))

"""The collaborators a handler may use, built once by ``bot/__main__.py`` and reached as ``context.services``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from billing import Payments, fingerprint
from billing.referrals import Referrals
from billing.refunds import Refunds
from bot.delivery import TelegramDelivery
from bot.payment_inbox import StarsDesk
from bot.settings import Settings
from bot.texts import Texts
from scheduler.demo import DemoTrack
from scheduler.file_desk import FileDesk
from scheduler.listening import Listening
from scheduler.songs import LyricsDesk
from scheduler.studio import Studio
from scheduler.teaser import TeaserDesk
from storage import Database, TrackRepository, UserRepository


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the handlers need, typed."""

    settings: Settings
    db: Database
    users: UserRepository
    texts: Texts
    studio: Studio
    delivery: TelegramDelivery
    payments: Payments
    fingerprint_secret: bytes = field(repr=False)
    clock: Callable[[], datetime] = utc_now
    teasers: TeaserDesk | None = None  # channel teasers: the admin's /teaser and "Make yours" deep links
    stars: StarsDesk | None = None  # Stars payments and refunds, through the durable payment inbox
    listening: Listening | None = None  # clips sent to the bot: analysis, recommendation, compose to match
    referrals: Referrals | None = None  # /invite links and their rewards
    demo: DemoTrack | None = None  # the /start demo track

    @property
    def tracks(self) -> TrackRepository:
        """Users' delivered tracks, searchable (inline mode, /history search)."""
        return TrackRepository(self.db)

    lyrics: LyricsDesk | None = None  # the AI lyric writer behind /lyrics (issue 17)
    refunds: Refunds | None = None  # the admin's /refund at the payment's provider (issue 14, h-handlers)
    files: FileDesk | None = None  # the files a track button or /history re-send sends (issue 14, h-handlers)

    def fingerprint(self, telegram_id: int) -> str:
        """The quota/ledger key of a Telegram user."""
        return fingerprint(self.fingerprint_secret, telegram_id)

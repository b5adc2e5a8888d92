"""The collaborators a handler may use, built once by ``bot/__main__.py`` and reached as ``context.services``.

Handlers get framework-free services and the settings sections they need, never the settings as a whole nor the
database: what they store goes through a desk (``scheduler.admin``, ``scheduler.support``) or a repository built
here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from billing import Payments, fingerprint
from billing.referrals import Referrals
from billing.refunds import Refunds
from bot.broadcasts import Broadcasts
from bot.core import utc_now
from bot.delivery import TelegramDelivery
from bot.payment_inbox import StarsDesk
from bot.settings import PaymentsSection, QuotaSection, StudioSection
from bot.studio.web import WebVisitors
from bot.texts import Texts
from compose.demo import DemoTrack
from compose.file_desk import FileDesk
from compose.listening import Listening
from compose.songs import LyricsDesk
from compose.studio import Studio
from scheduler.admin import AdminDesk
from scheduler.support import SupportDesk
from scheduler.teaser import TeaserDesk
from scheduler.teaser_requests import AdminTeasers
from storage import TrackRepository, UserRepository
from storage.apikeys import ApiKeyRepository
from storage.songs import EngineChoiceRepository, SongDraftRepository

__all__ = ["Services", "utc_now"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """Everything the handlers need, typed."""

    users: UserRepository
    texts: Texts
    studio: Studio
    delivery: TelegramDelivery
    payments: Payments
    admin: AdminDesk  # /stats, /user, /grant, /ban, /broadcast, and the audit of every admin command
    broadcasts: Broadcasts  # confirmed broadcasts being sent (recorded in the database as they go)
    support: SupportDesk  # /support and /paysupport
    api_keys: ApiKeyRepository  # the studio API's keys (/apikey issues them, the API checks them)
    tracks: TrackRepository  # users' delivered tracks, searchable (inline mode, /history search)
    drafts: SongDraftRepository  # /song's drafts, step by step
    engine_choices: EngineChoiceRepository  # each person's /engine choice
    web_visitors: WebVisitors  # /link codes and the studio page's sessions
    quota: QuotaSection  # the free quota and its day, as users are told them
    selling: PaymentsSection  # which payment buttons the chat offers
    web: StudioSection  # the studio page's address (/studio, the menu button)
    fingerprint_secret: bytes = field(repr=False)
    clock: Callable[[], datetime] = utc_now
    teasers: TeaserDesk | None = None  # channel teasers: "Make yours" deep links
    admin_teasers: AdminTeasers | None = None  # the admin's /teaser: posted here, or by a worker (WORKERS_IN_BOT=false)
    stars: StarsDesk | None = None  # Stars payments and refunds, through the durable payment inbox
    listening: Listening | None = None  # clips sent to the bot: analysis, recommendation, compose to match
    referrals: Referrals | None = None  # /invite links and their rewards
    demo: DemoTrack | None = None  # the /start demo track
    lyrics: LyricsDesk | None = None  # the AI lyric writer behind /lyrics (issue 17)
    refunds: Refunds | None = None  # the admin's /refund at the payment's provider
    files: FileDesk | None = None  # the files a track button or /history re-send sends

    @property
    def admins(self) -> frozenset[int]:
        """ADMIN_IDS."""
        return self.admin.admin_ids

    def fingerprint(self, telegram_id: int) -> str:
        """The quota/ledger key of a Telegram user."""
        return fingerprint(self.fingerprint_secret, telegram_id)

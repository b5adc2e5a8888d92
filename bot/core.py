"""The composition core: everything CloudMusic is without Telegram, built from settings by :func:`build_core`.

Database (migrations applied under the storage lock), credits, payments, engines and their catalogue, the
generation queue and the framework-free desks the handlers call. The bot process wraps it in Telegram, HTTP and
the sandbox (``bot/__main__.py``); a worker or a migration command can build the same core and nothing else. This
module must never import ``telegram`` (tests/bot/test_core.py checks it in a fresh interpreter).

Lifecycle: ``core = await build_core(settings)`` opens everything and starts nothing; ``await
core.start_workers(delivery)`` runs the queue's workers delivering through ``delivery``; ``await core.close()``
stops the workers (if running) and closes what was opened, in reverse order.

Two queue backends behind the queue (``queue_backend``): embedded (the ``jobs`` table, workers in this process; SQLite's
default) and procrastinate (PostgreSQL: workers in any process, ``python -m worker``). A bot process with
``WORKERS_IN_BOT=false`` starts no workers and renders nothing (``Core.renders_here``: stems re-renders are queued for
the workers, the demo is rendered by a worker as it starts, an admin's /teaser is posted by a worker);
``build_core(settings, worker=True)`` is a worker process's core.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from billing import Credits, Decision, Payments, StripeCheckout
from billing.referrals import Referrals
from bot.settings import (
    GenerationSection,
    PaymentsSection,
    SecretFileError,
    Settings,
    StorageSection,
    fingerprint_secret,
)
from compose.demo import DemoTrack
from compose.listening import Listening
from compose.songs import LyricsDesk, LyricWriter
from compose.studio import Studio
from engines import Engine, EngineError, EngineOptions, get_engine
from engines.catalogue import Catalogue, CatalogueError, build_catalogue
from scheduler.admin import AdminDesk
from scheduler.delivery import Delivery, DeliveryRelay
from scheduler.observe import QueueObserver
from scheduler.queue import Dispatch, GenerationQueue, StemsCourier
from scheduler.support import SupportDesk
from storage import Database, Provider, StorageError, TrackRepository, UserRepository
from storage.analyses import AnalysisRepository
from storage.apikeys import ApiKeyRepository
from storage.audio import AudioStore, open_audio_store
from storage.backends import connect as connect_database
from storage.owner import claim as claim_database
from storage.songs import EngineChoiceRepository, LyricWriteRepository, SongDraftRepository

log = logging.getLogger("bot.core")


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class StartupError(Exception):
    """Something the operator must fix before CloudMusic can start; the message says what."""


@dataclass(frozen=True, slots=True)
class CoreHooks:
    """Where the core reports what it does (the bot's metrics); all optional, so a command needs none."""

    on_decision: Callable[[Decision], None] | None = None
    on_payment: Callable[[Provider], None] | None = None
    queue_observer: QueueObserver | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Core:
    """The built core: storage, ledger, payments, engines, queue and desks, plus how to stop them."""

    settings: Settings
    clock: Callable[[], datetime]
    db: Database
    audio: AudioStore  # AUDIO_STORE: where track audio lives
    fingerprint_secret: bytes = field(repr=False)
    users: UserRepository
    credits: Credits
    payments: Payments
    stripe: StripeCheckout | None
    referrals: Referrals
    engine: Engine  # ENGINE, the default
    engines: dict[str, Engine]  # every engine built (ENGINE and those ENGINES names)
    catalogue: Catalogue | None  # None when ENGINES is unset
    queue: GenerationQueue
    studio: Studio
    listening: Listening
    demo: DemoTrack
    lyrics: LyricsDesk
    admin: AdminDesk
    support: SupportDesk
    drafts: SongDraftRepository
    engine_choices: EngineChoiceRepository
    tracks: TrackRepository
    api_keys: ApiKeyRepository
    worker: bool = False  # a worker process's core (python -m worker): it runs workers whatever WORKERS_IN_BOT says
    _delivery: DeliveryRelay = field(repr=False)
    _stack: AsyncExitStack = field(repr=False)

    @property
    def renders_here(self) -> bool:
        """Whether this process renders audio: False in a bot whose workers run elsewhere (WORKERS_IN_BOT=false on
        a queue backend), where every render (jobs, stems, the demo, house teasers) is a worker's."""
        return self.studio.renders_here

    @property
    def runs_workers(self) -> bool:
        """Whether :meth:`start_workers` starts workers in this process (a bot with WORKERS_IN_BOT=false: none)."""
        return self.worker or self.settings.generation.workers_in_bot

    async def start_workers(
        self,
        delivery: Delivery,
        stems_courier: StemsCourier | None = None,
        teasers: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> None:
        """Deliver through ``delivery`` and start the queue's workers (recovering jobs an earlier run left), handing
        stems rendered for other processes over through ``stems_courier`` and posting the teasers admins asked other
        processes for with ``teasers(chat_id, admin_id)``; nothing starts in a bot process whose workers run
        elsewhere (WORKERS_IN_BOT=false)."""
        self._delivery.attach(delivery)
        if not self.runs_workers:
            log.info("WORKERS_IN_BOT is off: jobs are rendered by worker processes (python -m worker)")
            return
        await self.queue.start(stems_courier, teasers)
        self._stack.push_async_callback(self.stop_workers)

    async def stop_workers(self) -> None:
        """Stop the workers, letting running jobs finish within SHUTDOWN_GRACE (safe to call twice)."""
        await self.queue.stop(self.settings.generation.shutdown_grace_s)

    async def close(self) -> None:
        """Stop the workers if running, then close the engines, Stripe's client and the database."""
        await self._stack.aclose()


async def build_core(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    hooks: CoreHooks | None = None,
    worker: bool = False,
) -> Core:
    """Open and build the core ``settings`` describes; ``StartupError``/``StorageError`` when it cannot start.

    Nothing runs yet: the queue's workers start with :meth:`Core.start_workers`. On failure, whatever was already
    opened is closed again. ``worker``: the core of a worker process, which always runs workers.
    """
    hooks = hooks or CoreHooks()
    stack = AsyncExitStack()
    try:
        return await _build(settings, clock, hooks, stack, worker)
    except BaseException:
        await stack.aclose()
        raise


async def _build(
    settings: Settings, clock: Callable[[], datetime], hooks: CoreHooks, stack: AsyncExitStack, worker: bool
) -> Core:
    engine, engines, catalogue = _engines(settings.generation, stack)  # first: a bad engine stops start-up early
    secret = _secret(settings)
    db = await _database(settings, clock, stack)
    audio = await _audio_store(settings.storage)
    quota, admins = settings.quota, settings.telegram.admin_ids
    credits = Credits(
        db,
        free_daily_quota=quota.free_daily,
        zone=quota.zone,
        clock=clock,
        max_active_jobs=quota.max_active_jobs,
        on_decision=hooks.on_decision,
    )
    payments = _payments(settings.payments, db, credits, secret, clock, hooks, stack)
    delivery = DeliveryRelay()
    parts = await make_queue(settings, db, audio, credits, engines, delivery, clock, hooks, stack)
    queue = parts.queue
    # A bot whose workers run elsewhere renders nothing itself: stems re-renders and the demo go to the workers.
    renders_here = worker or settings.generation.workers_in_bot or parts.dispatch is None
    studio = Studio(
        queue=queue,
        credits=credits,
        engine=settings.generation.engine,
        capabilities=engine.capabilities(),
        clock=clock,
        catalogue=catalogue,
        renders_here=renders_here,
    )
    users = UserRepository(db)
    referrals = Referrals(db, credits=quota.referral_credits, clock=clock)
    return Core(
        settings=settings,
        clock=clock,
        db=db,
        audio=audio,
        fingerprint_secret=secret,
        users=users,
        credits=credits,
        payments=payments,
        stripe=payments.stripe,
        referrals=referrals,
        engine=engine,
        engines=engines,
        catalogue=catalogue,
        queue=queue,
        studio=studio,
        listening=_listening(settings, db, studio, clock),
        demo=DemoTrack(db=db, engine=engine, audio=audio, clock=clock, renders_here=renders_here),
        lyrics=_lyrics(settings, db, engines, clock),
        admin=AdminDesk(
            db, users=users, credits=credits, admin_ids=admins, clock=clock, queue=queue, referrals=referrals
        ),
        support=SupportDesk(db, admin_ids=admins, clock=clock),
        drafts=SongDraftRepository(db),
        engine_choices=EngineChoiceRepository(db),
        tracks=TrackRepository(db),
        api_keys=ApiKeyRepository(db),
        worker=worker,
        _delivery=delivery,
        _stack=stack,
    )


def _engines(
    generation: GenerationSection, stack: AsyncExitStack
) -> tuple[Engine, dict[str, Engine], Catalogue | None]:
    """ENGINE, every engine by name, and the catalogue ENGINES describes."""
    try:
        engine = get_engine(generation.engine, _engine_options(generation))
    except (KeyError, ImportError, EngineError) as exc:
        raise StartupError(f"ENGINE: {exc}") from exc
    if generation.engine == "replicate" and generation.replicate_api_token is None:
        # Said here, once, rather than as "busy or unavailable" to every user who sends a prompt.
        raise StartupError("REPLICATE_API_TOKEN is not set: ENGINE=replicate needs a Replicate API token")
    stack.push_async_callback(engine.aclose)
    engines = {generation.engine: engine}
    return engine, engines, _catalogue(generation, engines, stack)


def _catalogue(generation: GenerationSection, engines: dict[str, Engine], stack: AsyncExitStack) -> Catalogue | None:
    """The offer ENGINES describes, building each further engine it names into ``engines`` (None when unset).

    A hosted engine without its token is left out with a warning (offline, everything else still works; /song
    says what needs the hosted model)."""
    if not generation.engines:
        return None
    entries = []
    for entry in (e.strip() for e in generation.engines.split(",") if e.strip()):
        name = entry.split(":", 1)[0]
        if name == "replicate" and generation.replicate_api_token is None:
            log.warning("ENGINES: %s is left out: REPLICATE_API_TOKEN is not set", entry)
            continue
        if name not in engines:
            try:
                engines[name] = get_engine(name, _engine_options(generation))
            except (KeyError, ImportError, EngineError) as exc:
                raise StartupError(f"ENGINES: {exc}") from exc
            stack.push_async_callback(engines[name].aclose)
        entries.append(entry)
    try:
        return build_catalogue(
            ",".join(entries),
            engines,
            default_engine=generation.engine,
            costs=generation.model_costs,
            takes=generation.takes_per_prompt,
        )
    except CatalogueError as exc:
        raise StartupError(str(exc)) from exc


def _engine_options(generation: GenerationSection) -> EngineOptions:
    token = generation.replicate_api_token.get_secret_value() if generation.replicate_api_token else None
    return EngineOptions(
        replicate_api_token=token, replicate_base_url=generation.replicate_base_url, timeout_s=generation.timeout_s
    )


def _secret(settings: Settings) -> bytes:
    try:
        return fingerprint_secret(settings)
    except (SecretFileError, OSError) as exc:
        raise StartupError(str(exc)) from exc


async def _database(settings: Settings, clock: Callable[[], datetime], stack: AsyncExitStack) -> Database:
    """The database, migrated, and claimed for this bot (or the sandbox)."""
    storage, telegram = settings.storage, settings.telegram
    db = await connect_database(storage.database_url, storage.state_dir)
    stack.push_async_callback(db.close)
    log.info("database: %s (%s)", db.backend, db.location)
    # The sandbox lets anyone on its page act as any user: it must never run on a real bot's data, nor a real
    # bot on the sandbox's made-up users and payments.
    await claim_database(db, "sandbox" if telegram.sandbox else "telegram", telegram.bot_id, clock())
    return db


async def _audio_store(storage: StorageSection) -> AudioStore:
    """The audio store AUDIO_STORE names, checked once: a missing or unreachable bucket stops start-up."""
    audio = open_audio_store(storage.audio_store, local_dir=storage.audio_dir, endpoint_url=storage.s3_endpoint_url)
    try:
        await audio.probe()
    except StorageError as exc:
        raise StartupError(f"AUDIO_STORE: {exc}") from exc
    log.info("audio store: %s", audio.where)
    return audio


def _payments(
    section: PaymentsSection,
    db: Database,
    credits: Credits,
    secret: bytes,
    clock: Callable[[], datetime],
    hooks: CoreHooks,
    stack: AsyncExitStack,
) -> Payments:
    stripe = _stripe_checkout(section)
    if section.in_telegram:
        log.warning(
            "STRIPE_IN_TELEGRAM is on: card and provider payments are offered inside Telegram, whose rules for "
            "digital goods require Stars; the bot may be hidden from mobile users"
        )
    if stripe is not None:
        stack.push_async_callback(stripe.aclose)
    return Payments(
        db,
        credits,
        section.packs,
        secret=secret,
        clock=clock,
        stripe=stripe,
        fiat_currency=section.currency if section.provider_token else None,
        on_payment=hooks.on_payment,
    )


def _stripe_checkout(section: PaymentsSection) -> StripeCheckout | None:
    if section.stripe_secret_key is None:
        return None
    # Without a public URL, Checkout returns the buyer to the bot's chat in Telegram.
    base = section.public_base_url.rstrip("/") if section.public_base_url else None
    return StripeCheckout(
        section.stripe_secret_key.get_secret_value(),
        section.stripe_webhook_secret.get_secret_value() if section.stripe_webhook_secret else None,
        success_url=f"{base}/stripe/success" if base else "https://t.me/",
        cancel_url=f"{base}/stripe/cancel" if base else "https://t.me/",
        api_base=section.stripe_api_base,
    )


QueueBackend = Literal["embedded", "procrastinate"]


def queue_backend(settings: Settings) -> QueueBackend:
    """Where jobs wait for workers: QUEUE_BACKEND, or (auto) procrastinate on PostgreSQL and embedded on SQLite."""
    chosen = settings.generation.queue_backend
    postgres = settings.storage.database_url is not None and settings.database_backend == "postgresql"
    if chosen == "procrastinate" and not postgres:
        raise StartupError("QUEUE_BACKEND=procrastinate needs DATABASE_URL=postgresql://…")
    if chosen == "embedded" or (chosen == "auto" and not postgres):
        return "embedded"
    return "procrastinate"


def served_engines(settings: Settings) -> list[str]:
    """The engines this process's workers serve: those ENGINES names (a GPU box may serve one), else ENGINE."""
    generation = settings.generation
    if not generation.engines:
        return [generation.engine]
    names = (entry.split(":", 1)[0].strip() for entry in generation.engines.split(","))
    return list(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True, slots=True)
class _QueueParts:
    """The generation queue and, with procrastinate, the backend under it (closed with the core)."""

    queue: GenerationQueue
    backend: QueueBackend
    dispatch: Dispatch | None


async def make_queue(
    settings: Settings,
    db: Database,
    audio: AudioStore,
    credits: Credits,
    engines: dict[str, Engine],
    delivery: Delivery,
    clock: Callable[[], datetime],
    hooks: CoreHooks,
    stack: AsyncExitStack,
) -> _QueueParts:
    """The generation queue over the backend :func:`queue_backend` picks, its workers serving the engines built."""
    generation = settings.generation
    backend = queue_backend(settings)
    dispatch: Dispatch | None = None
    if backend == "procrastinate":
        from storage.pgqueue import ProcrastinateQueue, QueueTiming

        url = settings.storage.database_url
        assert url is not None
        timing = QueueTiming(heartbeat_s=generation.heartbeat_s, stalled_s=generation.stalled_s)
        pgqueue = ProcrastinateQueue(url, timing=timing, pool_size=generation.workers + 2)
        await pgqueue.open()
        stack.push_async_callback(pgqueue.close)
        dispatch = pgqueue
        log.info("queue: procrastinate; this process's workers serve %s", ", ".join(served_engines(settings)))
    queue = GenerationQueue(
        db=db,
        credits=credits,
        engines=engines,
        delivery=delivery,
        audio_dir=settings.storage.audio_dir,
        audio_store=audio,
        clock=clock,
        concurrency={name: generation.workers for name in engines},
        timeout_s=generation.timeout_s,
        heartbeat_s=generation.chat_action_interval_s,
        observer=hooks.queue_observer,
        dispatch=dispatch,
        shutdown_grace_s=generation.shutdown_grace_s,
        serves=served_engines(settings),
    )
    return _QueueParts(queue, backend, dispatch)


def _listening(settings: Settings, db: Database, studio: Studio, clock: Callable[[], datetime]) -> Listening:
    return Listening(
        runs=AnalysisRepository(db),
        studio=studio,
        daily_limit=settings.generation.analyses_daily_limit,
        zone=settings.quota.zone,
        clock=clock,
    )


def _lyrics(settings: Settings, db: Database, engines: dict[str, Engine], clock: Callable[[], datetime]) -> LyricsDesk:
    return LyricsDesk(
        next((e for e in engines.values() if isinstance(e, LyricWriter)), None),
        LyricWriteRepository(db),
        daily_limit=settings.generation.lyrics_daily_limit,
        zone=settings.quota.zone,
        clock=clock,
    )

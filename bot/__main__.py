"""CloudMusic's one wiring root: read settings, open storage, build engines, ledger, queue and bot; run until stopped.

``python -m bot`` runs against Telegram when ``TELEGRAM_BOT_TOKEN`` is set, and otherwise in sandbox mode against
the built-in Telegram stand-in. Everything else in the project receives its collaborators as arguments.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from billing import Credits, Payments, StripeCheckout, fingerprint
from billing.providers import StarsProvider, StripeProvider
from billing.referrals import Referrals
from billing.refunds import Refunds
from bot.alerts import AdminAlerts
from bot.app import App, build_application, build_bot
from bot.delivery import TelegramDelivery
from bot.health import Health, LoopMonitor, PollingStatus, TransportStatus
from bot.http import HttpServer
from bot.logs import configure_logging, new_trace_id
from bot.metrics import Metrics, QueueTelemetry
from bot.observed_limiter import polling_error_callback
from bot.payment_inbox import StarsDesk
from bot.publisher import TelegramPublisher, TelegramTeaserMessenger, teaser_config
from bot.services import Services, utc_now
from bot.settings import (
    SecretFileError,
    Settings,
    describe_error,
    fingerprint_secret,
    load_settings,
    secret_values,
)
from bot.star_refunds import star_refunder
from bot.studio.api import StudioApi
from bot.studio.delivery import WebAwareDelivery
from bot.studio.headers import security_headers
from bot.studio.page import StudioPage
from bot.studio.telegram import mini_app_url, set_menu_button
from bot.texts import Texts
from bot.webhook_mode import TelegramWebhook
from bot.webhooks import StripeNotices, StripeWebhook
from engines import Engine, EngineError, EngineOptions, get_engine
from engines.catalogue import Catalogue, CatalogueError, build_catalogue, extendable
from engines.memory import heap_trimming, tune_heap
from scheduler.demo import DemoTrack
from scheduler.file_desk import FileDesk
from scheduler.listening import Listening
from scheduler.queue import GenerationQueue
from scheduler.songs import LyricsDesk, LyricWriter
from scheduler.studio import Studio
from scheduler.teaser import TeaserDesk
from scheduler.timed import TimedJobs
from storage import InboxError, JobRepository, PaymentInbox, StorageError, TeaserRepository, UserRepository
from storage.analyses import AnalysisRepository
from storage.backends import connect as connect_database
from storage.owner import claim as claim_database
from storage.songs import LyricWriteRepository

log = logging.getLogger("bot")

SANDBOX_TOKEN = "123456789:SANDBOX-cloudmusic-local-token"
SANDBOX_BOT_USERNAME = "CloudMusicBot"
TELEGRAM_WAIT_S = 300.0  # how long start-up keeps retrying an unreachable Telegram before giving up
_BACKOFF_S = (1.0, 30.0)  # first pause, longest pause (doubling in between)


@dataclass(frozen=True, slots=True)
class Runtime:
    """A running bot: what tests and the process entry point hold on to."""

    services: Services
    application: App
    queue: GenerationQueue
    http: HttpServer
    standin: Any | None  # bot.sandbox.TelegramStandIn in sandbox mode
    timed: TimedJobs | None = None  # the daily teaser and maintenance
    metrics: Metrics | None = None
    health: Health | None = None
    alerts: AdminAlerts | None = None  # unhandled errors reported to ADMIN_IDS
    webhook: TelegramWebhook | None = None  # set in webhook mode (WEBHOOK_URL)
    sandbox_token: str | None = None  # sandbox mode: the per-run token the chat page's API calls carry


class StartupError(Exception):
    """Something the operator must fix before the bot can start; the message says what."""


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    poll_timeout: int = 30,
    telegram_wait: float = TELEGRAM_WAIT_S,
) -> AsyncIterator[Runtime]:
    """Start everything ``settings`` describes; on exit stop it all in reverse order and close the database.

    An unreachable Telegram at start-up is retried with backoff for up to ``telegram_wait`` seconds.
    """
    async with AsyncExitStack() as stack:
        try:  # first, so a misconfigured engine stops start-up before anything else is started
            engine = get_engine(settings.engine, _engine_options(settings))
        except (KeyError, ImportError, EngineError) as exc:
            raise StartupError(f"ENGINE: {exc}") from exc
        if settings.engine == "replicate" and settings.replicate_api_token is None:
            # Said here, once, rather than as "busy or unavailable" to every user who sends a prompt.
            raise StartupError("REPLICATE_API_TOKEN is not set: ENGINE=replicate needs a Replicate API token")
        stack.push_async_callback(engine.aclose)
        capabilities = engine.capabilities()
        engines = {settings.engine: engine}
        catalogue = await _catalogue(settings, engines, stack)
        try:
            secret = fingerprint_secret(settings)
        except (SecretFileError, OSError) as exc:
            raise StartupError(str(exc)) from exc

        standin = None
        if settings.sandbox:
            from bot.sandbox import TelegramStandIn

            standin = TelegramStandIn(token=SANDBOX_TOKEN, bot_username=SANDBOX_BOT_USERNAME, inline_mode=True)
            await standin.start()
            stack.push_async_callback(standin.stop)
            token, api_url, file_url = SANDBOX_TOKEN, standin.base_url, standin.file_base_url
            log.info(
                "sandbox mode: TELEGRAM_BOT_TOKEN is not set, so the bot talks to the built-in stand-in at %s", api_url
            )
        else:
            assert settings.telegram_bot_token is not None
            token, api_url = settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url
            # The Bot API serves files under /file/bot<token>/… beside /bot<token>/… (a Local Bot API server too).
            file_url = api_url.replace("/bot", "/file/bot", 1)

        db = await connect_database(settings.database_url_value, settings.state_dir)
        log.info("database: %s (%s)", db.backend, db.location)
        stack.push_async_callback(db.close)
        # The sandbox lets anyone on its page act as any user: it must never run on a real bot's data, nor a real
        # bot on the sandbox's made-up users and payments.
        await claim_database(db, "sandbox" if settings.sandbox else "telegram", int(token.split(":", 1)[0]), clock())
        metrics = Metrics(list(engines), JobRepository(db).queue_depth)
        loop_monitor = LoopMonitor(on_tick=metrics.loop_lag.set)
        await loop_monitor.start()
        stack.push_async_callback(loop_monitor.stop)
        users, texts = UserRepository(db), Texts.load()
        bot = build_bot(token, base_url=api_url, base_file_url=file_url, on_api_error=metrics.api_error)
        referrals = Referrals(db, credits=settings.referral_credits, clock=clock)
        delivery = TelegramDelivery(
            bot,
            texts,
            users,
            can_extend=extendable(catalogue, engines),
            referrals=referrals,
        )
        credits = Credits(
            db,
            free_daily_quota=settings.free_daily_quota,
            zone=settings.quota_zone,
            clock=clock,
            max_active_jobs=settings.max_active_jobs,
            on_decision=metrics.decision,
        )
        queue = GenerationQueue(
            db=db,
            credits=credits,
            engines=engines,
            delivery=WebAwareDelivery(delivery),  # web visitors' tracks stay on the studio page
            audio_dir=settings.audio_dir,
            clock=clock,
            concurrency={name: settings.generation_workers for name in engines},
            timeout_s=settings.generation_timeout,
            observer=QueueTelemetry(metrics),
        )
        studio = Studio(
            queue=queue,
            credits=credits,
            engine=settings.engine,
            capabilities=capabilities,
            clock=clock,
            catalogue=catalogue,
        )
        stripe = _stripe_checkout(settings)
        if settings.stripe_in_telegram:
            log.warning(
                "STRIPE_IN_TELEGRAM is on: card and provider payments are offered inside Telegram, whose rules for "
                "digital goods require Stars; the bot may be hidden from mobile users"
            )
        if stripe is not None:
            stack.push_async_callback(stripe.aclose)
        payments = Payments(
            db,
            credits,
            settings.packs,
            secret=secret,
            clock=clock,
            stripe=stripe,
            fiat_currency=settings.payment_currency if settings.payment_provider_token else None,
            on_payment=metrics.payment,
        )
        try:
            inbox = await PaymentInbox.open(settings.payment_inbox_path)
        except InboxError as exc:
            raise StartupError(f"DATA_DIR: {exc}") from exc
        stack.push_async_callback(inbox.close)
        alerts = AdminAlerts(bot.send_message, texts, settings.admin_ids)
        stars = StarsDesk(
            inbox,
            payments,
            bot,
            texts,
            users,
            fingerprint=functools.partial(fingerprint, secret),
            clock=clock,
            alerts=alerts,
        )
        bot.observe_updates(stars.receive)  # a polled payment is in the inbox before Telegram hears we have it
        teasers = TeaserDesk(
            repo=TeaserRepository(db),
            engine=engine,
            publisher=TelegramPublisher(bot),
            messenger=TelegramTeaserMessenger(bot, texts, users),
            config=teaser_config(settings),
            clock=clock,
        )
        services = Services(
            settings=settings,
            db=db,
            users=users,
            texts=texts,
            studio=studio,
            delivery=delivery,
            payments=payments,
            fingerprint_secret=secret,
            clock=clock,
            teasers=teasers,
            stars=stars,
            listening=Listening(
                runs=AnalysisRepository(db),
                studio=studio,
                daily_limit=settings.analyses_daily_limit,
                zone=settings.quota_zone,
                clock=clock,
            ),
            referrals=referrals,
            demo=DemoTrack(db=db, engine=engine, audio_dir=settings.audio_dir, clock=clock),
            lyrics=LyricsDesk(
                next((e for e in engines.values() if isinstance(e, LyricWriter)), None),
                LyricWriteRepository(db),
                daily_limit=settings.lyrics_daily_limit,
                zone=settings.quota_zone,
                clock=clock,
            ),
            # --- issue 14 item 1 (h-handlers): services that make handlers one call ------------------------------
            refunds=Refunds(
                payments,
                [StarsProvider(star_refunder(bot))] + ([StripeProvider(stripe)] if stripe is not None else []),
                new_trace_id=new_trace_id,
            ),
            files=FileDesk(studio),
            # --- end h-handlers -------------------------------------------------------------------------------------
        )

        app = build_application(services, bot, error_reporter=alerts)
        app.add_handler(metrics.update_handler(), group=-10)  # counts every update first, lets it through
        await _initialize(app, api_url, telegram_wait)
        stack.push_async_callback(app.shutdown)
        stack.push_async_callback(alerts.aclose)
        if app.post_init is not None:  # PTB calls post_init only from run_polling(); we run the parts ourselves
            await app.post_init(app)
        await app.start()
        stack.push_async_callback(app.stop)
        if (studio_app := mini_app_url(settings)) is not None:  # the menu button opens the studio Mini App
            try:
                await set_menu_button(bot, texts, studio_app)
            except TelegramError as exc:
                log.warning("could not set the menu button to the studio: %s", exc)
        await queue.start()
        stack.push_async_callback(queue.stop, settings.shutdown_grace)
        await stars.start()  # settles payments an earlier run left pending, then retries any that fail
        stack.push_async_callback(stars.stop)
        telegram_webhook: TelegramWebhook | None = None
        transport: TransportStatus
        if settings.webhook_url is None:
            updater = app.updater
            assert updater is not None
            await updater.start_polling(
                timeout=poll_timeout,
                poll_interval=0,
                allowed_updates=Update.ALL_TYPES,
                error_callback=polling_error_callback(metrics.api_error),
            )
            stack.push_async_callback(updater.stop)
            transport = PollingStatus(lambda: updater.running)
        else:  # webhook mode: registered below, once the HTTP server listens
            assert settings.webhook_secret is not None
            hook_secret = settings.webhook_secret.get_secret_value()
            transport = telegram_webhook = TelegramWebhook(
                app, url=settings.webhook_url, secret=hook_secret, receive=stars.receive
            )
        retention = timedelta(days=settings.audio_retention_days)
        timed = TimedJobs(desk=teasers, db=db, audio_dir=settings.audio_dir, retention=retention, clock=clock)
        await timed.start()
        stack.push_async_callback(timed.stop, settings.shutdown_grace)

        health = Health(
            db=db,
            loop=loop_monitor,
            transport=transport,
            queue_depth=queue.jobs.queue_depth,
            worker_states=queue.worker_states,
        )
        http = HttpServer(host=_http_host(settings), port=settings.http_port, health=health)
        http.app.add_routes(metrics.routes())
        if telegram_webhook is not None:
            http.app.add_routes(telegram_webhook.routes())
        if stripe is not None:
            webhook = StripeWebhook(payments, StripeNotices(bot, texts, users, settings.admin_ids), texts)
            http.app.add_routes(webhook.routes())
            stack.push_async_callback(webhook.drain)
        sandbox_token: str | None = None
        StudioApi(services, bot_token=token, bot=bot).mount(http.app)  # /api/v1 (the studio page and third parties)
        StudioPage().mount(http.app)  # /app/, the studio page (a Telegram Mini App)
        http.app.middlewares.append(security_headers(settings.trusted_proxies))  # on every /app and /api/ answer
        if standin is not None:  # the browser chat page at http://HTTP_HOST:HTTP_PORT/, sandbox mode only
            from bot.sandbox.web import SandboxPage, sandbox_cast

            cast = sandbox_cast(settings.admin_ids, settings.teaser_channel)
            page = SandboxPage(standin, cast, public=settings.sandbox_public)
            page.mount(http.app)
            sandbox_token = page.guard.token
        await http.start()
        stack.push_async_callback(http.stop)
        if telegram_webhook is not None:
            stack.push_async_callback(telegram_webhook.stop)
            try:
                await telegram_webhook.register()
            except TelegramError as exc:
                raise StartupError(f"WEBHOOK_URL: Telegram refused setWebhook ({exc})") from exc
        if standin is not None:
            log.info("sandbox chat page: %s/ — talk to the bot from your browser", http.url)
        log.info("CloudMusic is running as @%s (engine %s)", app.bot.username, settings.engine)
        yield Runtime(
            services=services,
            application=app,
            queue=queue,
            http=http,
            standin=standin,
            timed=timed,
            metrics=metrics,
            health=health,
            alerts=alerts,
            webhook=telegram_webhook,
            sandbox_token=sandbox_token,
        )
        log.info("CloudMusic is stopping")


async def _initialize(app: App, api_url: str, wait_s: float) -> None:
    """``app.initialize()`` (its getMe), retried with backoff while Telegram cannot be reached; one log line each."""
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + wait_s, _BACKOFF_S[0]
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken as exc:
            raise StartupError(f"TELEGRAM_BOT_TOKEN: Telegram refused the token ({exc})") from exc
        except RetryAfter as exc:
            after = exc.retry_after
            pause, problem = after.total_seconds() if isinstance(after, timedelta) else float(after), str(exc)
        except (TimedOut, NetworkError) as exc:
            if isinstance(exc, BadRequest):
                raise
            pause, problem = delay, str(exc) or type(exc).__name__
            delay = min(delay * 2, _BACKOFF_S[1])
        if loop.time() + pause > deadline:
            raise StartupError(f"Telegram is unreachable at {api_url} ({problem}); gave up after {wait_s:.0f} s")
        log.warning("Telegram is unreachable at start-up (%s); retrying in %.0f s", problem, pause)
        await asyncio.sleep(pause)


def _http_host(settings: Settings) -> str:
    """HTTP_HOST, except that the sandbox listens on loopback only unless SANDBOX_PUBLIC=true."""
    if not settings.sandbox or settings.sandbox_public:
        return settings.http_host
    from bot.sandbox.web.guard import is_loopback

    if not is_loopback(settings.http_host):
        log.warning(
            "sandbox mode: listening on 127.0.0.1 instead of HTTP_HOST=%s (anyone reaching the sandbox page can act "
            "as any user; set SANDBOX_PUBLIC=true to expose it anyway)",
            settings.http_host,
        )
        return "127.0.0.1"
    return settings.http_host


def _stripe_checkout(settings: Settings) -> StripeCheckout | None:
    if settings.stripe_secret_key is None:
        return None
    # Without a public URL, Checkout returns the buyer to the bot's chat in Telegram.
    base = settings.public_base_url.rstrip("/") if settings.public_base_url else None
    return StripeCheckout(
        settings.stripe_secret_key.get_secret_value(),
        settings.stripe_webhook_secret.get_secret_value() if settings.stripe_webhook_secret else None,
        success_url=f"{base}/stripe/success" if base else "https://t.me/",
        cancel_url=f"{base}/stripe/cancel" if base else "https://t.me/",
        api_base=settings.stripe_api_base,
    )


async def _catalogue(settings: Settings, engines: dict[str, Engine], stack: AsyncExitStack) -> Catalogue | None:
    """The offer ENGINES describes, building each further engine it names into ``engines`` (None when unset).

    A hosted engine without its token is left out with a warning (offline, everything else still works; /song
    says what needs the hosted model)."""
    if not settings.engines:
        return None
    entries = []
    for entry in (e.strip() for e in settings.engines.split(",") if e.strip()):
        name = entry.split(":", 1)[0]
        if name == "replicate" and settings.replicate_api_token is None:
            log.warning("ENGINES: %s is left out: REPLICATE_API_TOKEN is not set", entry)
            continue
        if name not in engines:
            try:
                engines[name] = get_engine(name, _engine_options(settings))
            except (KeyError, ImportError, EngineError) as exc:
                raise StartupError(f"ENGINES: {exc}") from exc
            stack.push_async_callback(engines[name].aclose)
        entries.append(entry)
    try:
        return build_catalogue(
            ",".join(entries),
            engines,
            default_engine=settings.engine,
            costs=settings.model_costs,
            takes=settings.takes_per_prompt,
        )
    except CatalogueError as exc:
        raise StartupError(str(exc)) from exc


def _engine_options(settings: Settings) -> EngineOptions:
    token = settings.replicate_api_token.get_secret_value() if settings.replicate_api_token else None
    return EngineOptions(
        replicate_api_token=token, replicate_base_url=settings.replicate_base_url, timeout_s=settings.generation_timeout
    )


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    started = False

    def on_signal() -> None:
        stop.set()
        if not started and main is not None:  # e.g. still waiting for an unreachable Telegram
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    # Trimming the C heap is a process-wide act, so the process's entry point owns it (not running_bot, which
    # tests embed in a bigger process): freed render/encode buffers go back to the OS.
    try:
        async with heap_trimming(), running_bot(settings):
            started = True
            await stop.wait()
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        log.info("stopped during start-up")


def main() -> int:
    """Process entry point; returns the exit code."""
    tune_heap()  # before any thread starts: large buffers mapped whole, 2 heap arenas (engines.memory)
    try:
        settings = load_settings()
    except ValidationError as exc:
        print(describe_error(exc), file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, secret_values(settings))
    try:
        asyncio.run(_serve(settings))
    except (StartupError, StorageError) as exc:
        log.error("cannot start: %s", exc)
        return 1
    except OSError as exc:  # e.g. the HTTP port is taken
        log.error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
from telegram.error import TelegramError

from billing import Credits, Payments, StripeCheckout
from bot.alerts import AdminAlerts
from bot.app import App, build_application, build_bot
from bot.delivery import TelegramDelivery, notify_credited
from bot.health import Health, LoopMonitor, PollingStatus, TransportStatus
from bot.http import HttpServer
from bot.logs import configure_logging
from bot.metrics import Metrics, QueueTelemetry
from bot.observed_limiter import polling_error_callback
from bot.publisher import TelegramPublisher, TelegramTeaserMessenger, teaser_config
from bot.services import Services, utc_now
from bot.settings import Settings, describe_error, fingerprint_secret, load_settings
from bot.texts import Texts
from bot.webhook_mode import TelegramWebhook
from bot.webhooks import StripeWebhook
from engines import EngineError, EngineOptions, get_engine
from engines.memory import heap_trimming
from scheduler.queue import GenerationQueue
from scheduler.studio import Studio
from scheduler.teaser import TeaserDesk
from scheduler.timed import TimedJobs
from storage import Database, JobRepository, StorageError, TeaserRepository, UserRepository

log = logging.getLogger("bot")

SANDBOX_TOKEN = "123456789:SANDBOX-cloudmusic-local-token"
SANDBOX_BOT_USERNAME = "CloudMusicBot"


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


class StartupError(Exception):
    """Something the operator must fix before the bot can start; the message says what."""


@asynccontextmanager
async def running_bot(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now, poll_timeout: int = 30
) -> AsyncIterator[Runtime]:
    """Start everything ``settings`` describes; on exit stop it all in reverse order and close the database."""
    async with AsyncExitStack() as stack:
        try:  # first, so a misconfigured engine stops start-up before anything else is started
            engine = get_engine(settings.engine, _engine_options(settings))
        except (KeyError, ImportError, EngineError) as exc:
            raise StartupError(f"ENGINE: {exc}") from exc
        stack.push_async_callback(engine.aclose)
        capabilities = engine.capabilities()

        standin = None
        if settings.sandbox:
            from bot.sandbox import TelegramStandIn

            standin = TelegramStandIn(token=SANDBOX_TOKEN, bot_username=SANDBOX_BOT_USERNAME)
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

        db = await Database.open(settings.database_path)
        stack.push_async_callback(db.close)
        metrics = Metrics([settings.engine], JobRepository(db).queue_depth)
        loop_monitor = LoopMonitor(on_tick=metrics.loop_lag.set)
        await loop_monitor.start()
        stack.push_async_callback(loop_monitor.stop)
        users, texts = UserRepository(db), Texts.load()
        bot = build_bot(token, base_url=api_url, base_file_url=file_url, on_api_error=metrics.api_error)
        delivery = TelegramDelivery(bot, texts, users, can_extend={settings.engine: capabilities.can_continue})
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
            engines={settings.engine: engine},
            delivery=delivery,
            audio_dir=settings.audio_dir,
            clock=clock,
            concurrency={settings.engine: settings.generation_workers},
            timeout_s=settings.generation_timeout,
            observer=QueueTelemetry(metrics),
        )
        studio = Studio(queue=queue, credits=credits, engine=settings.engine, capabilities=capabilities, clock=clock)
        secret = fingerprint_secret(settings)
        stripe = _stripe_checkout(settings)
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
        )

        alerts = AdminAlerts(bot.send_message, texts, settings.admin_ids)
        app = build_application(services, bot, error_reporter=alerts)
        app.add_handler(metrics.update_handler(), group=-1)  # counts every update, then lets it through
        await app.initialize()
        stack.push_async_callback(app.shutdown)
        stack.push_async_callback(alerts.aclose)
        if app.post_init is not None:  # PTB calls post_init only from run_polling(); we run the parts ourselves
            await app.post_init(app)
        await app.start()
        stack.push_async_callback(app.stop)
        await queue.start()
        stack.push_async_callback(queue.stop, settings.shutdown_grace)
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
            transport = telegram_webhook = TelegramWebhook(app, url=settings.webhook_url, secret=hook_secret)
        retention = timedelta(days=settings.audio_retention_days)
        timed = TimedJobs(desk=teasers, db=db, audio_dir=settings.audio_dir, retention=retention, clock=clock)
        await timed.start()
        stack.push_async_callback(timed.stop, settings.shutdown_grace)

        health = Health(db=db, loop=loop_monitor, transport=transport, queue_depth=queue.jobs.queue_depth)
        http = HttpServer(host=settings.http_host, port=settings.http_port, health=health)
        http.app.add_routes(metrics.routes())
        if telegram_webhook is not None:
            http.app.add_routes(telegram_webhook.routes())
        if stripe is not None:
            webhook = StripeWebhook(payments, functools.partial(notify_credited, bot, texts, users), texts)
            http.app.add_routes(webhook.routes())
            stack.push_async_callback(webhook.drain)
        if standin is not None:  # the browser chat page at http://HTTP_HOST:HTTP_PORT/, sandbox mode only
            from bot.sandbox.web import SandboxPage, sandbox_cast

            SandboxPage(standin, sandbox_cast(settings.admin_ids, settings.teaser_channel)).mount(http.app)
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
        )
        log.info("CloudMusic is stopping")


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


def _engine_options(settings: Settings) -> EngineOptions:
    token = settings.replicate_api_token.get_secret_value() if settings.replicate_api_token else None
    return EngineOptions(
        replicate_api_token=token, replicate_base_url=settings.replicate_base_url, timeout_s=settings.generation_timeout
    )


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Trimming the C heap is a process-wide act, so the process's entry point owns it (not running_bot, which
    # tests embed in a bigger process): freed render/encode buffers go back to the OS.
    async with heap_trimming(), running_bot(settings):
        await stop.wait()


def main() -> int:
    """Process entry point; returns the exit code."""
    try:
        settings = load_settings()
    except ValidationError as exc:
        print(describe_error(exc), file=sys.stderr)
        return 2
    secrets = [
        s.get_secret_value()
        for s in (
            settings.telegram_bot_token,
            settings.fingerprint_secret,
            settings.stripe_secret_key,
            settings.stripe_webhook_secret,
            settings.replicate_api_token,
            settings.webhook_secret,
        )
        if s
    ]
    configure_logging(settings.log_level, settings.log_format, secrets)
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

"""CloudMusic's bot process: the core (``bot.core.build_core``) wrapped in Telegram, HTTP and the sandbox.

``python -m bot`` runs against Telegram when ``TELEGRAM_BOT_TOKEN`` is set, and otherwise in sandbox mode against
the built-in Telegram stand-in. :func:`running_bot` builds the core, then each Telegram-side part in its own small
function, and stops everything in reverse order on exit.
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

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from billing import fingerprint
from billing.providers import StarsProvider, StripeProvider
from billing.refunds import Refunds
from bot.alerts import AdminAlerts
from bot.app import App, build_application, build_bot
from bot.broadcasts import Broadcasts
from bot.core import Core, CoreHooks, StartupError, build_core, utc_now
from bot.delivery import TelegramDelivery
from bot.health import Health, LoopMonitor, PollingStatus, TransportStatus
from bot.http import HttpServer
from bot.logs import new_trace_id
from bot.metrics import Metrics, QueueTelemetry
from bot.observed_limiter import polling_error_callback
from bot.outbox import TelegramOutbox
from bot.payment_inbox import InboxBot, StarsDesk
from bot.process import run_process
from bot.sandbox_hosted import deliver_payments_to, start_hosted
from bot.services import Services
from bot.settings import SANDBOX_BOT_USERNAME, SANDBOX_TOKEN, HttpSection, Settings
from bot.star_refunds import star_refunder
from bot.stems_courier import ChatStemsCourier
from bot.studio.api import StudioApi
from bot.studio.delivery import WebAwareDelivery
from bot.studio.headers import security_headers
from bot.studio.page import StudioPage
from bot.studio.telegram import set_menu_button
from bot.studio.web import WebVisitors
from bot.teaser_words import CatalogTeaserWords
from bot.texts import Texts
from bot.webhook_mode import TelegramWebhook
from bot.webhooks import StripeNotices, StripeWebhook
from compose.file_desk import FileDesk
from engines.catalogue import extendable
from engines.memory import heap_trimming
from scheduler.queue import GenerationQueue
from scheduler.teaser import TeaserDesk
from scheduler.teaser_requests import AdminTeasers, TeaserQueue
from scheduler.timed import TimedJobs
from storage import InboxError, PaymentInbox, TeaserRepository
from storage.web_sessions import WebSessionRepository

__all__ = ["SANDBOX_BOT_USERNAME", "SANDBOX_TOKEN", "Runtime", "StartupError", "main", "running_bot"]

log = logging.getLogger("bot")

TELEGRAM_WAIT_S = 300.0  # how long start-up keeps retrying an unreachable Telegram before giving up
_BACKOFF_S = (1.0, 30.0)  # first pause, longest pause (doubling in between)


@dataclass(frozen=True, slots=True)
class Runtime:
    """A running bot: what tests and the process entry point hold on to."""

    core: Core  # the database, ledger, payments, engines and queue (``runtime.core.db`` in tests)
    services: Services
    application: App
    http: HttpServer
    standin: Any | None  # standin.TelegramStandIn in sandbox mode
    timed: TimedJobs | None = None  # the daily teaser and maintenance
    metrics: Metrics | None = None
    health: Health | None = None
    alerts: AdminAlerts | None = None  # unhandled errors reported to ADMIN_IDS
    webhook: TelegramWebhook | None = None  # set in webhook mode (WEBHOOK_URL)
    sandbox_token: str | None = None  # sandbox mode: the per-run token the chat page's API calls carry

    @property
    def settings(self) -> Settings:
        """The settings the bot runs with."""
        return self.core.settings

    @property
    def queue(self) -> GenerationQueue:
        """The core's generation queue."""
        return self.core.queue


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """Where the Bot API is: Telegram's (or a Local Bot API server), or the sandbox stand-in's."""

    token: str
    api_url: str
    file_url: str
    standin: Any | None = None  # standin.TelegramStandIn in sandbox mode


@dataclass(frozen=True, slots=True)
class _Chat:
    """The Telegram side around the core: the bot, and what talks through it."""

    bot: InboxBot
    texts: Texts
    alerts: AdminAlerts
    stars: StarsDesk
    teasers: TeaserDesk
    services: Services


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
        settings, hosted = await start_hosted(settings, stack)  # SANDBOX_HOSTED: Replicate and Stripe stand-ins
        core, metrics = await _core_with_metrics(settings, clock, stack)  # first: a bad engine stops start-up early
        endpoint = await _telegram_endpoint(settings, stack)
        loop_monitor = LoopMonitor(on_tick=metrics.loop_lag.set)
        await loop_monitor.start()
        stack.push_async_callback(loop_monitor.stop)
        chat = await _chat(core, endpoint, metrics, stack)
        app = await _start_application(chat, metrics, endpoint, telegram_wait, stack)
        await _start_work(core, chat, stack)
        transport, webhook = await _start_transport(app, settings, chat.stars, metrics, poll_timeout, stack)
        timed = await _start_timed(core, chat.teasers, stack)
        health = Health(
            db=core.db,
            loop=loop_monitor,
            transport=transport,
            queue_depth=core.queue.jobs.queue_depth,
            worker_states=core.queue.worker_states if core.runs_workers else None,  # elsewhere: python -m worker
        )
        http, sandbox_token = _http_server(core, chat, endpoint, metrics, health, webhook, stack)
        await _start_http(http, webhook, endpoint, stack)
        deliver_payments_to(hosted, http.url)
        log.info("CloudMusic is running as @%s (engine %s)", app.bot.username, settings.engine)
        yield Runtime(
            core=core,
            services=chat.services,
            application=app,
            http=http,
            standin=endpoint.standin,
            timed=timed,
            metrics=metrics,
            health=health,
            alerts=chat.alerts,
            webhook=webhook,
            sandbox_token=sandbox_token,
        )
        log.info("CloudMusic is stopping")


async def _core_with_metrics(
    settings: Settings, clock: Callable[[], datetime], stack: AsyncExitStack
) -> tuple[Core, Metrics]:
    """The core, reporting its quota decisions, payments and jobs to the bot's metrics."""
    metrics = Metrics()
    hooks = CoreHooks(on_decision=metrics.decision, on_payment=metrics.payment, queue_observer=QueueTelemetry(metrics))
    core = await build_core(settings, clock=clock, hooks=hooks)
    stack.push_async_callback(core.close)
    metrics.watch_queue(list(core.engines), core.queue.jobs.queue_depth)
    return core, metrics


async def _start_work(core: Core, chat: _Chat, stack: AsyncExitStack) -> None:
    """The queue's workers (delivering through the chat) and the Stars desk."""
    # Web visitors' tracks stay on the page; stems asked for by a replica that renders nothing go to the chat.
    courier = ChatStemsCourier(chat.bot, chat.texts, core.users, core.studio)
    await core.start_workers(WebAwareDelivery(chat.services.delivery), courier)
    stack.push_async_callback(core.stop_workers)  # before the application stops: deliveries still need it
    await chat.stars.start()  # settles payments an earlier run left pending, then retries any that fail
    stack.push_async_callback(chat.stars.stop)
    broadcasts = chat.services.broadcasts
    stack.push_async_callback(broadcasts.stop)  # what is left stays recorded: the next start resumes it
    await broadcasts.resume()


async def _telegram_endpoint(settings: Settings, stack: AsyncExitStack) -> _Endpoint:
    """Telegram's Bot API as configured, or (no token) the built-in stand-in, started here."""
    telegram = settings.telegram
    if not telegram.sandbox:
        api_url = telegram.api_base_url
        # The Bot API serves files under /file/bot<token>/… beside /bot<token>/… (a Local Bot API server too).
        return _Endpoint(telegram.token.get_secret_value(), api_url, api_url.replace("/bot", "/file/bot", 1))
    from standin import TelegramStandIn

    standin = TelegramStandIn(token=SANDBOX_TOKEN, bot_username=SANDBOX_BOT_USERNAME, inline_mode=True)
    await standin.start()
    stack.push_async_callback(standin.stop)
    log.info(
        "sandbox mode: TELEGRAM_BOT_TOKEN is not set, so the bot talks to the built-in stand-in at %s", standin.base_url
    )
    return _Endpoint(SANDBOX_TOKEN, standin.base_url, standin.file_base_url, standin)


async def _chat(core: Core, endpoint: _Endpoint, metrics: Metrics, stack: AsyncExitStack) -> _Chat:
    """The bot, its payment desk over the durable inbox, the teaser desk, and the handlers' services."""
    settings, texts = core.settings, Texts.load()
    bot = build_bot(
        endpoint.token,
        base_url=endpoint.api_url,
        base_file_url=endpoint.file_url,
        on_api_error=metrics.api_error,
        rate_share=settings.telegram.rate_share,
    )
    try:
        inbox = await PaymentInbox.open(settings.storage.payment_inbox_path)
    except InboxError as exc:
        raise StartupError(f"DATA_DIR: {exc}") from exc
    stack.push_async_callback(inbox.close)
    alerts = AdminAlerts(bot.send_message, texts, settings.telegram.admin_ids)
    stars = StarsDesk(
        inbox,
        core.payments,
        bot,
        texts,
        core.users,
        fingerprint=functools.partial(fingerprint, core.fingerprint_secret),
        clock=core.clock,
        alerts=alerts,
    )
    bot.observe_updates(stars.receive)  # a polled payment is in the inbox before Telegram hears we have it
    teasers = TeaserDesk(
        repo=TeaserRepository(core.db),
        engine=core.engine if core.renders_here else None,  # else house tracks are the workers' (python -m worker)
        outbox=TelegramOutbox(bot),
        words=CatalogTeaserWords(bot, texts, core.users),
        config=settings.teaser,
        clock=core.clock,
        audio_store=core.audio,
    )
    return _Chat(bot, texts, alerts, stars, teasers, _services(core, bot, texts, stars, teasers))


def _services(core: Core, bot: InboxBot, texts: Texts, stars: StarsDesk, teasers: TeaserDesk) -> Services:
    """What the handlers get: the core's desks and repositories, the Telegram delivery, and three sections."""
    delivery = TelegramDelivery(
        bot, texts, core.users, can_extend=extendable(core.catalogue, core.engines), referrals=core.referrals
    )
    settings = core.settings
    return Services(
        users=core.users,
        texts=texts,
        studio=core.studio,
        delivery=delivery,
        payments=core.payments,
        admin=core.admin,
        broadcasts=Broadcasts(bot, core.admin, core.users, texts, rate_share=settings.telegram.rate_share),
        support=core.support,
        api_keys=core.api_keys,
        tracks=core.tracks,
        drafts=core.drafts,
        engine_choices=core.engine_choices,
        web_visitors=WebVisitors(WebSessionRepository(core.db), core.fingerprint_secret),
        quota=settings.quota,
        selling=settings.payments,
        web=settings.studio,
        fingerprint_secret=core.fingerprint_secret,
        clock=core.clock,
        teasers=teasers,
        admin_teasers=AdminTeasers(teasers, None if core.renders_here else _teaser_queue(core)),
        stars=stars,
        listening=core.listening,
        referrals=core.referrals,
        demo=core.demo,
        lyrics=core.lyrics,
        refunds=Refunds(
            core.payments,
            [StarsProvider(star_refunder(bot))] + ([StripeProvider(core.stripe)] if core.stripe is not None else []),
            new_trace_id=new_trace_id,
        ),
        files=FileDesk(core.studio),
    )


async def _start_application(
    chat: _Chat, metrics: Metrics, endpoint: _Endpoint, telegram_wait: float, stack: AsyncExitStack
) -> App:
    """The PTB application, initialised (Telegram reached) and started; the menu button opens the studio."""
    app = build_application(chat.services, chat.bot, error_reporter=chat.alerts)
    app.add_handler(metrics.update_handler(), group=-10)  # counts every update first, lets it through
    await _initialize(app, endpoint.api_url, telegram_wait)
    stack.push_async_callback(app.shutdown)
    stack.push_async_callback(chat.alerts.aclose)
    if app.post_init is not None:  # PTB calls post_init only from run_polling(); we run the parts ourselves
        await app.post_init(app)
    await app.start()
    stack.push_async_callback(app.stop)
    if (studio_app := chat.services.web.mini_app_url) is not None:
        try:
            await set_menu_button(chat.bot, chat.texts, studio_app)
        except TelegramError as exc:
            log.warning("could not set the menu button to the studio: %s", exc)
    return app


async def _start_transport(
    app: App, settings: Settings, stars: StarsDesk, metrics: Metrics, poll_timeout: int, stack: AsyncExitStack
) -> tuple[TransportStatus, TelegramWebhook | None]:
    """Long polling; or, with WEBHOOK_URL, a webhook (registered once the HTTP server listens)."""
    telegram = settings.telegram
    if telegram.webhook_url is None:
        updater = app.updater
        assert updater is not None
        await updater.start_polling(
            timeout=poll_timeout,
            poll_interval=0,
            allowed_updates=Update.ALL_TYPES,
            error_callback=polling_error_callback(metrics.api_error),
        )
        stack.push_async_callback(updater.stop)
        return PollingStatus(lambda: updater.running), None
    assert telegram.webhook_secret is not None
    secret = telegram.webhook_secret.get_secret_value()
    webhook = TelegramWebhook(app, url=telegram.webhook_url, secret=secret, receive=stars.receive)
    return webhook, webhook


def _teaser_queue(core: Core) -> TeaserQueue:
    """An admin's /teaser handed to the workers of ENGINE (which renders house tracks) in a bot that renders nothing."""
    return functools.partial(core.queue.request_teaser, engine=core.settings.generation.engine)


async def _start_timed(core: Core, teasers: TeaserDesk, stack: AsyncExitStack) -> TimedJobs:
    """The daily teaser and the maintenance (old audio removed after AUDIO_RETENTION_DAYS)."""
    storage = core.settings.storage
    timed = TimedJobs(
        desk=teasers,
        db=core.db,
        audio_dir=storage.audio_dir,
        retention=storage.audio_retention,
        clock=core.clock,
        audio_store=core.audio,
        teasers=core.renders_here,  # else the workers post the daily teaser (it may render a house track)
    )
    await timed.start()
    stack.push_async_callback(timed.stop, core.settings.generation.shutdown_grace_s)
    return timed


def _http_server(
    core: Core,
    chat: _Chat,
    endpoint: _Endpoint,
    metrics: Metrics,
    health: Health,
    webhook: TelegramWebhook | None,
    stack: AsyncExitStack,
) -> tuple[HttpServer, str | None]:
    """The HTTP server's routes: health, metrics, webhooks, the studio API and page, the sandbox page.

    Returns the server (not yet listening) and, in sandbox mode, the chat page's per-run API token."""
    settings = core.settings
    http = HttpServer(host=_http_host(settings.http), port=settings.http.port, health=health)
    http.app.add_routes(metrics.routes())
    if webhook is not None:
        http.app.add_routes(webhook.routes())
    if core.stripe is not None:
        notices = StripeNotices(chat.bot, chat.texts, core.users, settings.telegram.admin_ids)
        stripe_webhook = StripeWebhook(core.payments, notices, chat.texts)
        http.app.add_routes(stripe_webhook.routes())
        stack.push_async_callback(stripe_webhook.drain)
    StudioApi(chat.services, bot_token=endpoint.token, bot=chat.bot).mount(http.app)  # /api/v1
    StudioPage().mount(http.app)  # /app/, the studio page (a Telegram Mini App)
    http.app.middlewares.append(security_headers(settings.studio.trusted_proxies))  # every /app and /api/ answer
    if endpoint.standin is None:
        return http, None
    from standin.web import SandboxPage, sandbox_cast  # the browser chat page, sandbox mode only

    cast = sandbox_cast(settings.telegram.admin_ids, settings.teaser_channel)
    page = SandboxPage(endpoint.standin, cast, chat.texts, public=settings.telegram.sandbox_public)
    page.mount(http.app)
    return http, page.guard.token


async def _start_http(
    http: HttpServer, webhook: TelegramWebhook | None, endpoint: _Endpoint, stack: AsyncExitStack
) -> None:
    """Listen; then register the webhook with Telegram (it must reach us at once)."""
    await http.start()
    stack.push_async_callback(http.stop)
    if webhook is not None:
        stack.push_async_callback(webhook.stop)
        try:
            await webhook.register()
        except TelegramError as exc:
            raise StartupError(f"WEBHOOK_URL: Telegram refused setWebhook ({exc})") from exc
    if endpoint.standin is not None:
        log.info("sandbox chat page: %s/ — talk to the bot from your browser", http.url)


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


def _http_host(http: HttpSection) -> str:
    """HTTP_HOST, except that the sandbox listens on loopback only unless SANDBOX_PUBLIC=true."""
    if not http.sandbox or http.sandbox_public:
        return http.host
    from standin.web.guard import is_loopback

    if not is_loopback(http.host):
        log.warning(
            "sandbox mode: listening on 127.0.0.1 instead of HTTP_HOST=%s (anyone reaching the sandbox page can act "
            "as any user; set SANDBOX_PUBLIC=true to expose it anyway)",
            http.host,
        )
        return "127.0.0.1"
    return http.host


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
    """Process entry point; returns the exit code (0 stopped, 1 could not start, 2 bad settings: bot.process)."""
    return run_process(_serve, log)


if __name__ == "__main__":
    sys.exit(main())

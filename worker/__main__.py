"""``python -m worker``: generation workers on the bot's settings and core, with no Telegram poller.

Same settings as the bot (``.env``, the environment), same ``build_core``: the worker takes jobs from the queue
(procrastinate on PostgreSQL, for the engines ENGINES names — or ENGINE alone — ``GENERATION_WORKERS`` at a time),
renders them, stores the audio, delivers it through the Bot API (a PTB ``Bot`` used for sending only) and settles the
credit. It also does the rendering a bot with ``WORKERS_IN_BOT=false`` leaves to it: stems re-renders asked for by a 🎚
press (sent to the chat when done: ``bot.stems_courier``), the /start demo (rendered into the audio store as it starts,
when absent) and the daily channel teaser (which may render a house track; the ``(channel, day)`` claim lets one of
several workers post it), and an admin's ``/teaser`` asked of such a bot (posted, then reported in the admin's chat:
``scheduler.teaser_requests``, ``bot.teaser_courier``). Its HTTP server serves ``/healthz`` and ``/metrics`` only
(HTTP_HOST, HTTP_PORT). SIGTERM/SIGINT stop it: running jobs get SHUTDOWN_GRACE, then go back to the queue for another
worker.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from telegram.error import InvalidToken, TelegramError

from bot.app import build_bot
from bot.core import Core, CoreHooks, StartupError, build_core, served_engines, utc_now
from bot.delivery import TelegramDelivery
from bot.health import Check, Health, LoopMonitor
from bot.http import HttpServer
from bot.metrics import Metrics, QueueTelemetry
from bot.outbox import TelegramOutbox
from bot.payment_inbox import InboxBot
from bot.process import run_process
from bot.settings import Settings
from bot.stems_courier import ChatStemsCourier
from bot.studio.delivery import WebAwareDelivery
from bot.teaser_courier import ChatTeaserCourier
from bot.teaser_words import CatalogTeaserWords
from bot.texts import Texts
from engines.catalogue import extendable
from engines.memory import heap_trimming
from scheduler.teaser import TeaserDesk
from scheduler.teaser_requests import TeaserRequests
from scheduler.timed import TimedJobs
from storage import TeaserRepository

log = logging.getLogger("worker")


@dataclass(frozen=True, slots=True)
class WorkerRuntime:
    """A running worker process's parts (tests read them)."""

    core: Core
    http: HttpServer
    metrics: Metrics
    timed: TimedJobs  # the daily teaser


class _NoUpdates:
    """A worker takes no Telegram updates: the health check's ``updates`` line says so."""

    def status(self) -> Check:
        return Check(True, "none (a worker process)")


@asynccontextmanager
async def running_worker(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[WorkerRuntime]:
    """Build the core, start its workers delivering through the Bot API, and serve /healthz and /metrics."""
    if settings.telegram.sandbox:
        raise StartupError(
            "TELEGRAM_BOT_TOKEN is not set: a worker delivers through the Bot API (the sandbox runs its workers in the "
            "bot process)"
        )
    async with AsyncExitStack() as stack:
        metrics = Metrics()
        hooks = CoreHooks(queue_observer=QueueTelemetry(metrics))
        core = await build_core(settings, clock=clock, hooks=hooks, worker=True)
        stack.push_async_callback(core.close)
        metrics.watch_queue(served_engines(settings), core.queue.jobs.queue_depth)
        bot, texts = await _sending_bot(settings, metrics, stack), Texts.load()
        delivery = TelegramDelivery(
            bot, texts, core.users, can_extend=extendable(core.catalogue, core.engines), referrals=core.referrals
        )
        loop_monitor = LoopMonitor(on_tick=metrics.loop_lag.set)
        await loop_monitor.start()
        stack.push_async_callback(loop_monitor.stop)
        await _prepare_demo(core)
        desk = _teaser_desk(core, bot, texts)
        requests = TeaserRequests(desk, ChatTeaserCourier(TelegramOutbox(bot), texts, core.users))
        stems = ChatStemsCourier(bot, texts, core.users, core.studio)
        await core.start_workers(WebAwareDelivery(delivery), stems, requests.run)
        stack.push_async_callback(core.stop_workers)  # before the bot closes: deliveries still need it
        timed = await _start_teasers(core, desk, stack)
        health = Health(
            db=core.db,
            loop=loop_monitor,
            transport=_NoUpdates(),
            queue_depth=core.queue.jobs.queue_depth,
            worker_states=core.queue.worker_states,
        )
        http = HttpServer(host=settings.http.host, port=settings.http.port, health=health)
        http.app.add_routes(metrics.routes())
        await http.start()
        stack.push_async_callback(http.stop)
        log.info(
            "worker ready: serving %s, %d jobs at a time; health at %s/healthz",
            ", ".join(served_engines(settings)),
            settings.generation.workers,
            http.url,
        )
        yield WorkerRuntime(core, http, metrics, timed)
        log.info("worker stopping")


async def _prepare_demo(core: Core) -> None:
    """The /start demo in the audio store, for bots that render nothing; a failure leaves /start without it."""
    try:
        if await core.demo.prepare():
            log.info("rendered the /start demo into the audio store")
    except Exception as exc:  # the demo is a courtesy: the worker still serves jobs
        log.warning("could not render the /start demo: %s: %s", type(exc).__name__, exc)


def _teaser_desk(core: Core, bot: InboxBot, texts: Texts) -> TeaserDesk:
    """The teaser desk of a process that renders: the daily teaser and the admins' /teaser asked of a bot."""
    return TeaserDesk(
        repo=TeaserRepository(core.db),
        engine=core.engine,
        outbox=TelegramOutbox(bot),
        words=CatalogTeaserWords(bot, texts, core.users),
        config=core.settings.teaser,
        clock=core.clock,
        audio_store=core.audio,
    )


async def _start_teasers(core: Core, desk: TeaserDesk, stack: AsyncExitStack) -> TimedJobs:
    """The daily teaser, posted from the workers (it may render a house track); maintenance stays with the bot."""
    settings = core.settings
    timed = TimedJobs(
        desk=desk,
        db=core.db,
        audio_dir=settings.storage.audio_dir,
        retention=settings.storage.audio_retention,
        clock=core.clock,
        audio_store=core.audio,
        maintenance=False,
    )
    await timed.start()
    stack.push_async_callback(timed.stop, settings.generation.shutdown_grace_s)
    return timed


async def _sending_bot(settings: Settings, metrics: Metrics, stack: AsyncExitStack) -> InboxBot:
    """The Bot API client, initialised (its getMe): used to send, never to poll."""
    telegram = settings.telegram
    api_url = telegram.api_base_url
    bot = build_bot(
        telegram.token.get_secret_value(),
        base_url=api_url,
        base_file_url=api_url.replace("/bot", "/file/bot", 1),
        on_api_error=metrics.api_error,
    )
    try:
        await bot.initialize()
    except InvalidToken as exc:
        raise StartupError(f"TELEGRAM_BOT_TOKEN: Telegram refused the token ({exc})") from exc
    except TelegramError as exc:
        raise StartupError(f"Telegram is unreachable at {api_url} ({exc})") from exc
    stack.push_async_callback(bot.shutdown)
    return bot


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with heap_trimming(), running_worker(settings):
        await stop.wait()


def main() -> int:
    """Process entry point; returns the exit code (0 stopped, 1 could not start, 2 bad settings: bot.process)."""
    return run_process(_serve, log)


if __name__ == "__main__":
    sys.exit(main())

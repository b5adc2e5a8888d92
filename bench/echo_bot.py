"""The baseline bot: bare python-telegram-bot echoing every text, configured like CloudMusic's transport.

Same PTB version, same connection pools and timeouts, same ``concurrent_updates`` and long-poll settings as
``bot.app``, but no handlers beyond the echo, no database, no rate limiter. Environment: ``TELEGRAM_BOT_TOKEN``,
``TELEGRAM_API_BASE_URL``; SIGUSR1/SIGUSR2 drive the same loop-lag probe as :mod:`bench.botproc`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from bench.botproc import LagProbe


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text with the same text."""
    if update.effective_message is not None and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> int:
    """Poll until SIGTERM."""
    probe, probe_file = LagProbe(), Path(os.environ.get("BENCH_PROBE_FILE", "echo.probe"))

    tasks: list[asyncio.Task[None]] = []

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, probe.reset)
        loop.add_signal_handler(signal.SIGUSR2, probe.dump, probe_file)
        tasks.append(loop.create_task(probe.run()))  # not app.create_task: stop() would wait for it forever

    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .request(HTTPXRequest(connection_pool_size=128, read_timeout=30.0, write_timeout=60.0))
        .get_updates_request(HTTPXRequest(connection_pool_size=2, read_timeout=10.0))
        .concurrent_updates(64)
        .post_init(post_init)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=30, allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGTERM,))
    return 0


if __name__ == "__main__":
    sys.exit(main())

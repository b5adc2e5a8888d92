"""An unreachable Telegram at start-up is retried with backoff and a clear log line, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import pytest

from bot.__main__ import StartupError, running_bot
from standin import TelegramStandIn
from tests.conftest import ADA, Clock, make_settings


async def wait_for_record(caplog: pytest.LogCaptureFixture, text: str, within: float = 10.0) -> logging.LogRecord:
    async with asyncio.timeout(within):
        while True:
            for record in caplog.records:
                if text in record.getMessage():
                    return record
            await asyncio.sleep(0.02)


async def test_start_up_waits_for_telegram_to_come_back_and_then_runs(
    tmp_path: Path, standin: TelegramStandIn, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    await standin.go_down()
    settings = make_settings(tmp_path / "data", standin)

    async def run() -> None:
        async with running_bot(settings, clock=clock, poll_timeout=1):
            await standin.send_text(ADA, "/start")
            await standin.wait_for(ADA, lambda m: "Hi Ada" in m.content)

    starting = asyncio.create_task(run())
    record = await wait_for_record(caplog, "Telegram is unreachable at start-up")
    assert record.levelno == logging.WARNING and record.exc_info is None and "retrying in 1 s" in record.getMessage()
    assert not starting.done()
    await standin.come_back()
    await asyncio.wait_for(starting, 30)
    assert any(c.method == "getMe" and c.status == 200 for c in standin.calls)


async def test_telegram_unreachable_past_the_wait_is_one_clear_startup_error(
    tmp_path: Path, standin: TelegramStandIn, clock: Clock
) -> None:
    await standin.go_down()
    settings = make_settings(tmp_path / "data", standin)
    with pytest.raises(
        StartupError, match=r"Telegram is unreachable at http://127\.0\.0\.1:\d+/bot .*gave up after 2 s"
    ):
        async with running_bot(settings, clock=clock, poll_timeout=1, telegram_wait=2):
            pytest.fail("started without Telegram")
    await standin.come_back()  # the fixture checks the stand-in afterwards


async def test_sigterm_while_waiting_for_telegram_stops_the_process_cleanly(tmp_path: Path) -> None:
    from tests.bot.test_process import bot_env, bot_process, read_until
    from tests.conftest import TOKEN

    nobody = TelegramStandIn(token=TOKEN)  # a port that was just free: nothing listens there
    await nobody.start()
    api = nobody.base_url
    await nobody.stop()
    env = bot_env(tmp_path / "data", ENGINE="mock", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api)
    async with bot_process(env) as process:
        log = await read_until(process, "Telegram is unreachable at start-up")
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            out, _ = await process.communicate()
        assert process.returncode == 0
    text = log + out.decode()
    assert "Traceback" not in text and TOKEN not in text and "stopped during start-up" in text

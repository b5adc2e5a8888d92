"""Unhandled errors reach the admins in chat: trace id and exception type only, rate-limited, then a summary."""

from __future__ import annotations

import re
from typing import Any

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotContext
from tests.conftest import ADA, LiveBot

ADMIN = 1003


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": frozenset({ADMIN})}


async def explode(update: Update, context: BotContext) -> None:
    """A test-only handler with a bug; its message holds something no admin chat may show."""
    raise RuntimeError("card 4242 4242 4242 4242 leaked")


def admin_texts(live_bot: LiveBot) -> list[str]:
    return [m.content for m in live_bot.standin.transcript(ADMIN) if m.from_bot]


async def test_errors_are_reported_to_admins_with_the_trace_id_at_most_three_times_then_summarised(
    live_bot: LiveBot,
) -> None:
    live_bot.standin.add_user(ADMIN, first_name="Admin")
    alerts = live_bot.runtime.alerts
    assert alerts is not None and alerts.limit == 3 and alerts.window_s == 300
    alerts.window_s = 1.5  # the test's own window, so the summary comes within the test
    live_bot.runtime.application.add_handler(CommandHandler("boom", explode), group=-2)

    trace_ids = []
    for _ in range(5):
        apology = await live_bot.ask(ADA, "/boom", "something went wrong")
        trace_ids.append(re.search(r"reference ([0-9a-f]{8})", apology.content)[1])  # type: ignore[index]
    await live_bot.standin.wait_for(ADMIN, lambda m: "2 more errors" in m.content, since=0, timeout=5)

    texts = admin_texts(live_bot)
    reports = [t for t in texts if t.startswith("⚠️ Error")]
    assert len(reports) == 3, texts
    for trace_id, report in zip(trace_ids, reports, strict=False):
        assert trace_id in report and "RuntimeError" in report
    assert texts[-1].startswith("⚠️ 2 more errors") and len(texts) == 4
    assert not any("4242" in t or "leaked" in t for t in texts), "never the exception's message"


async def test_without_admins_nothing_is_sent(live_bot: LiveBot) -> None:
    alerts = live_bot.runtime.alerts
    assert alerts is not None
    alerts.admin_ids = ()
    live_bot.runtime.application.add_handler(CommandHandler("boom", explode), group=-2)
    await live_bot.ask(ADA, "/boom", "something went wrong")
    assert alerts.suppressed == 0 and not admin_texts(live_bot)

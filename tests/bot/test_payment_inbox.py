"""The payment inbox around a live bot: webhook answers only after the write; a failed write is loud, not silent."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest

from bot.webhook_mode import SECRET_HEADER
from standin import ChatMessage
from storage import LedgerRepository, PaymentRepository
from tests.conftest import ADA, LiveBot

ADMIN = 4242
SECRET = "inbox-webhook-secret"
HOOK_URL = "https://bot.example.com/telegram/hook"


@contextmanager
def inbox_locked(live_bot: LiveBot) -> Iterator[None]:
    """Another process holds the payment inbox: every write to it fails after its busy timeout."""
    holder = sqlite3.connect(live_bot.runtime.settings.payment_inbox_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def inbox_rows(live_bot: LiveBot) -> list[tuple[str, str, str]]:
    with sqlite3.connect(live_bot.runtime.settings.payment_inbox_path) as inbox:
        return list(inbox.execute("SELECT kind, charge_id, status FROM inbox ORDER BY id"))


async def invoice_for(live_bot: LiveBot) -> ChatMessage:
    menu = await live_bot.ask(ADA, "/buy", "Credit packs")
    await live_bot.standin.press_button(ADA, menu.message_id, "pack:10")
    return await live_bot.reply(ADA, lambda m: m.kind == "invoice")


async def paid_balance(live_bot: LiveBot) -> int:
    services = live_bot.runtime.services
    return await LedgerRepository(live_bot.runtime.core.db).balance(services.fingerprint(ADA), "paid")


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": frozenset({ADMIN})}


async def test_a_polled_payment_is_in_the_inbox_and_settled_once_credited(live_bot: LiveBot) -> None:
    outcome = await live_bot.standin.pay_invoice(ADA, (await invoice_for(live_bot)).message_id)
    await live_bot.reply(ADA, lambda m: "Payment received" in m.content)
    assert inbox_rows(live_bot) == [("successful_payment", outcome.charge_id, "settled")]
    await live_bot.runtime.application.bot.refund_star_payment(ADA, outcome.charge_id or "")
    await live_bot.standin.wait_for(ADA, lambda m: "was refunded" in m.content, since=0)
    assert inbox_rows(live_bot) == [
        ("successful_payment", outcome.charge_id, "settled"),
        ("refunded_payment", outcome.charge_id, "settled"),
    ]
    assert await paid_balance(live_bot) == 0


async def test_when_even_the_inbox_cannot_be_written_the_charge_is_logged_the_admins_alerted_and_still_credited(
    live_bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    live_bot.standin.add_user(ADMIN, first_name="Admin")
    invoice = await invoice_for(live_bot)
    with caplog.at_level(logging.ERROR, logger="bot.payment_inbox"), inbox_locked(live_bot):
        outcome = await live_bot.standin.pay_invoice(ADA, invoice.message_id)
        alert = await live_bot.standin.wait_for(ADMIN, lambda m: "Error" in m.content, timeout=15)
        await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, timeout=15, since=0)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and all(outcome.charge_id in e and str(ADA) in e and "50 XTR" in e for e in errors)
    assert any(e.split("[")[1].split("]")[0] in alert.content for e in errors), "the alert carries the trace id"
    assert await paid_balance(live_bot) == 10


@pytest.mark.parametrize("bot_settings", [{"webhook_url": HOOK_URL, "webhook_secret": SECRET}])
async def test_in_webhook_mode_telegram_is_answered_only_after_the_inbox_write(live_bot: LiveBot) -> None:
    invoice = await invoice_for_webhook(live_bot)
    pay = asyncio.create_task(live_bot.standin.pay_invoice(ADA, invoice.message_id))
    query = await next_pending(live_bot, "pre_checkout_query")
    assert await post_update(live_bot, query) == 200
    outcome = await pay
    assert outcome.approved
    paid = await next_pending(live_bot, "message")
    with inbox_locked(live_bot):
        assert await post_update(live_bot, paid) == 503, "no inbox entry: Telegram must deliver it again"
    assert inbox_rows(live_bot) == []
    assert await post_update(live_bot, paid) == 200
    assert inbox_rows(live_bot)[0][:2] == ("successful_payment", outcome.charge_id)
    await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, since=0)
    assert await post_update(live_bot, paid) == 200  # Telegram's redelivery changes nothing
    assert await paid_balance(live_bot) == 10
    payments = await PaymentRepository(live_bot.runtime.core.db).for_user(ADA)
    assert [p.external_id for p in payments] == [outcome.charge_id]


async def post_update(live_bot: LiveBot, update: dict[str, Any]) -> int:
    url = live_bot.runtime.http.url + "/telegram/hook"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, headers={SECRET_HEADER: SECRET}, json=update) as response,
    ):
        return response.status


async def next_pending(live_bot: LiveBot, kind: str) -> dict[str, Any]:
    """The next update of ``kind`` Telegram would POST (the stand-in queues it; in webhook mode nobody polls)."""
    async with asyncio.timeout(10):
        while True:
            for update in live_bot.standin.pending_updates:
                if kind in update:
                    live_bot.standin.world.updates.confirm(update["update_id"] + 1)
                    return update
            await asyncio.sleep(0.01)


async def invoice_for_webhook(live_bot: LiveBot) -> ChatMessage:
    await live_bot.say(ADA, "/buy")
    assert await post_update(live_bot, await next_pending(live_bot, "message")) == 200
    menu = await live_bot.reply(ADA, lambda m: "Credit packs" in m.content)
    await live_bot.standin.press_button(ADA, menu.message_id, "pack:10")
    assert await post_update(live_bot, await next_pending(live_bot, "callback_query")) == 200
    return await live_bot.reply(ADA, lambda m: m.kind == "invoice")


async def test_a_payment_that_finds_the_main_database_locked_stays_pending_and_is_settled_once_later(
    live_bot: LiveBot,
) -> None:
    invoice = await invoice_for(live_bot)
    inbox_path = live_bot.runtime.settings.payment_inbox_path
    holder = sqlite3.connect(live_bot.runtime.settings.database_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # longer than the bot's 10 s busy timeout: its credit attempt gives up
    try:
        outcome = await live_bot.standin.pay_invoice(ADA, invoice.message_id)
        async with asyncio.timeout(30):
            while True:
                with sqlite3.connect(inbox_path) as inbox:
                    row = inbox.execute("SELECT status, attempts, last_error FROM inbox").fetchone()
                if row is not None and row[1] >= 1:
                    break
                await asyncio.sleep(0.1)
        assert row[0] == "pending" and "locked" in row[2]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    stars = live_bot.runtime.services.stars
    assert stars is not None
    await asyncio.gather(stars.settle_pending(), stars.settle_pending())  # the periodic pass, twice at once
    await live_bot.standin.wait_for(ADA, lambda m: "Payment received" in m.content, since=0)
    assert inbox_rows(live_bot) == [("successful_payment", outcome.charge_id, "settled")]
    assert await paid_balance(live_bot) == 10
    assert sum("Payment received" in m.content for m in live_bot.standin.transcript(ADA)) == 1

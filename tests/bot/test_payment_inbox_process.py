"""A paid Stars charge survives the main database being locked and the bot being SIGKILLed: the real process."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from standin import TelegramStandIn
from storage import Database, LedgerRepository, PaymentRepository
from tests.bot.test_process import bot_env, bot_process, read_until
from tests.conftest import ADA, TOKEN


def inbox_rows(data: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(data / "payments-inbox.db") as inbox:
        return list(inbox.execute("SELECT kind, charge_id, status FROM inbox ORDER BY id"))


async def test_a_payment_while_the_database_is_locked_then_sigkill_is_credited_exactly_once_after_restart(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    async with TelegramStandIn(token=TOKEN, bot_username="CloudMusicBot") as standin:
        standin.add_user(ADA, first_name="Ada")
        env = bot_env(data, ENGINE="mock", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=standin.base_url)
        async with bot_process(env) as first:
            await read_until(first, "CloudMusic is running")
            await standin.send_text(ADA, "/buy")
            menu = await standin.wait_for(ADA, lambda m: "Credit packs" in m.content, timeout=15)
            await standin.press_button(ADA, menu.message_id, "pack:10")
            invoice = await standin.wait_for(ADA, lambda m: m.kind == "invoice", timeout=15)
            lock = sqlite3.connect(data / "cloudmusic.db", isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")  # nobody else may write the main database now
            try:
                outcome = await standin.pay_invoice(ADA, invoice.message_id)
                assert outcome.approved and outcome.charge_id is not None
                await read_until(first, f"recorded successful_payment {outcome.charge_id}", within=15)
                async with asyncio.timeout(15):  # the next poll confirms it: Telegram will not deliver it again
                    while any("successful_payment" in u.get("message", {}) for u in standin.pending_updates):
                        await asyncio.sleep(0.02)
                first.kill()
                await first.wait()
            finally:
                lock.execute("ROLLBACK")
                lock.close()
        assert inbox_rows(data) == [("successful_payment", outcome.charge_id, "pending")]
        async with await Database.open(data / "cloudmusic.db") as db:
            assert await PaymentRepository(db).for_user(ADA) == [], "nothing was credited before the kill"
        assert not any("successful_payment" in u.get("message", {}) for u in standin.pending_updates)
        async with bot_process(env) as second:
            receipt = await standin.wait_for(ADA, lambda m: "Payment received" in m.content, timeout=30, since=0)
            assert outcome.charge_id in receipt.content
            second.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                assert await second.wait() == 0
        assert sum("Payment received" in m.content for m in standin.transcript(ADA)) == 1
        assert not standin.violations

    assert inbox_rows(data) == [("successful_payment", outcome.charge_id, "settled")]
    async with await Database.open(data / "cloudmusic.db") as db:
        (payment,) = await PaymentRepository(db).for_user(ADA)
        assert (payment.external_id, payment.credits) == (outcome.charge_id, 10)
        entries = await LedgerRepository(db).entries(payment.fingerprint)
        assert [(e.kind, e.amount) for e in entries] == [("purchase", 10)], "credited exactly once"

"""The payment inbox: durable, idempotent per charge, writable while the main database is locked, closed cleanly."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Database
from storage.inbox import InboxEntry, InboxError, InboxKind, PaymentInbox

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def put(inbox: PaymentInbox, charge: str = "stxs-1", kind: InboxKind = "successful_payment") -> InboxEntry:
    return await inbox.record(
        kind=kind,
        charge_id=charge,
        telegram_id=1001,
        chat_id=1001,
        currency="XTR",
        amount=50,
        payload="v1.stars.10",
        now=NOW,
    )


async def test_an_entry_is_recorded_once_per_kind_and_charge_and_settles(tmp_path: Path) -> None:
    inbox = await PaymentInbox.open(tmp_path / "inbox.db")
    try:
        first = await put(inbox)
        again = await put(inbox)
        refund = await put(inbox, kind="refunded_payment")
        assert again.id == first.id != refund.id and first.status == "pending"
        assert [e.id for e in await inbox.pending()] == [first.id, refund.id]
        await inbox.attempt_failed(first.id, "database is locked")
        await inbox.settle(refund.id, NOW, rejected="unknown charge")
        (left,) = await inbox.pending()
        assert (left.id, left.attempts, left.last_error) == (first.id, 1, "database is locked")
        await inbox.settle(first.id, NOW)
        assert await inbox.pending() == []
        done = await inbox.find("refunded_payment", "stxs-1")
        assert done is not None and (done.status, done.last_error) == ("rejected", "unknown charge")
    finally:
        await inbox.close()
        await inbox.close()
    mode = stat.S_IMODE(os.stat(tmp_path / "inbox.db").st_mode)
    assert mode == 0o600


async def test_an_entry_survives_reopening_without_a_clean_close(tmp_path: Path) -> None:
    inbox = await PaymentInbox.open(tmp_path / "inbox.db")
    try:
        await put(inbox)
        # Another process (the restarted bot) reads the file while this connection is still open: committed data.
        with sqlite3.connect(tmp_path / "inbox.db") as other:
            assert other.execute("SELECT charge_id, status FROM inbox").fetchall() == [("stxs-1", "pending")]
    finally:
        await inbox.close()


async def test_recording_works_while_the_main_database_is_locked(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "cloudmusic.db"):
        holder = sqlite3.connect(tmp_path / "cloudmusic.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            inbox = await PaymentInbox.open(tmp_path / "payments-inbox.db")
            try:
                entry = await put(inbox)
                assert entry.status == "pending"
            finally:
                await inbox.close()
        finally:
            holder.execute("ROLLBACK")
            holder.close()


async def test_a_write_that_cannot_happen_raises_inbox_error(tmp_path: Path) -> None:
    inbox = await PaymentInbox.open(tmp_path / "inbox.db", busy_timeout=0.1)
    holder = sqlite3.connect(tmp_path / "inbox.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(InboxError, match="locked"):
            await put(inbox)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await inbox.close()


async def test_an_inbox_that_cannot_be_created_raises_inbox_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(InboxError, match="cannot open the payment inbox"):
        await PaymentInbox.open(tmp_path / "file" / "inbox.db")

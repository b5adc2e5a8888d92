"""Payments in billing: packs, signed payloads, pre-checkout rules, exactly-once crediting, refunds."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing import (
    BadPayload,
    Credited,
    Credits,
    Decision,
    JobSpec,
    Outcome,
    PaymentError,
    Payments,
    PreCheckoutRefused,
    invoices,
    parse_packs,
)
from billing.invoices import InvoicePayload
from storage import Database, LedgerRepository, StorageError, UserRepository

FP = "fp-ada"
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "p.db") as database:
        yield database


@pytest.fixture
def credits(db: Database) -> Credits:
    return Credits(db, free_daily_quota=4, zone=ZoneInfo("UTC"), clock=lambda: NOW)


@pytest.fixture
def payments(db: Database, credits: Credits) -> Payments:
    return Payments(db, credits, parse_packs("10:50:1.99,50:200:7.99"), secret=b"s" * 32, clock=lambda: NOW)


def test_packs_parse_and_refuse_nonsense() -> None:
    packs = parse_packs("10:50:1.99, 200:700:24.9")
    assert [(p.id, p.stars, p.usd_cents, p.usd) for p in packs] == [
        ("10", 50, 199, "1.99"),
        ("200", 700, 2490, "24.90"),
    ]
    for bad in ("", "10:50", "0:50:1.99", "10:50:1.99,10:60:2.99", "ten:50:1.99"):
        with pytest.raises(ValueError):
            parse_packs(bad)


def test_payloads_are_signed_small_and_tamper_evident() -> None:
    key = invoices.derive_key(b"secret")
    text = invoices.make(key, InvoicePayload("stars", "10", 1001))
    assert len(text.encode()) <= 128
    assert invoices.verify(key, text) == InvoicePayload("stars", "10", 1001)
    assert invoices.make(key, InvoicePayload("stars", "10", 1001)) != text, "a nonce makes each payload different"
    tampered = text.replace(".10.", ".200.")
    for forged in (tampered, text[:-2] + "xx", "v1.stars.10.1001.abc.def", "", "garbage"):
        with pytest.raises(BadPayload):
            invoices.verify(key, forged)
    with pytest.raises(BadPayload):
        invoices.verify(invoices.derive_key(b"other"), text)


def test_pre_checkout_checks_signature_user_pack_amount_and_ban(payments: Payments) -> None:
    invoice = payments.invoice("10", 1001)
    assert (invoice.currency, invoice.amount) == ("XTR", 50)
    assert payments.check_pre_checkout(invoice.payload, "XTR", 50, 1001, banned=False).credits == 10
    refusals = [
        (invoice.payload, "XTR", 49, 1001, False, "payments.refused_invalid"),  # amount changed
        (invoice.payload, "XTR", 50, 2002, False, "payments.refused_invalid"),  # someone else's invoice
        (invoice.payload, "USD", 50, 1001, False, "payments.refused_invalid"),  # currency changed
        (invoice.payload + "x", "XTR", 50, 1001, False, "payments.refused_invalid"),  # forged
        (invoice.payload, "XTR", 50, 1001, True, "payments.refused_banned"),
    ]
    for payload, currency, amount, user, banned, key in refusals:
        with pytest.raises(PreCheckoutRefused) as caught:
            payments.check_pre_checkout(payload, currency, amount, user, banned=banned)
        assert caught.value.key == key
    with pytest.raises(PaymentError):
        payments.invoice("999", 1001)


async def test_the_same_charge_delivered_ten_times_at_once_is_credited_once(payments: Payments, db: Database) -> None:
    payload = payments.invoice("10", 1001).payload
    results = await asyncio.gather(
        *(
            payments.credit_telegram(
                charge_id="ch-1", payload=payload, currency="XTR", amount=50, telegram_id=1001, fingerprint=FP
            )
            for _ in range(10)
        )
    )
    assert sum(r.new for r in results) == 1
    assert {r.paid_balance for r in results} == {10}
    assert [e.kind for e in await LedgerRepository(db).entries(FP)] == ["purchase"]


async def test_a_refund_takes_back_only_unspent_credits_once(
    payments: Payments, db: Database, credits: Credits
) -> None:
    payload = payments.invoice("10", 1001).payload
    credited = await payments.credit_telegram(
        charge_id="ch-2", payload=payload, currency="XTR", amount=50, telegram_id=1001, fingerprint=FP
    )
    await credits.add_paid(FP, -3, kind="spent-in-test")
    refunded = await payments.refund(credited.payment)
    assert (refunded.debited, refunded.already_spent, refunded.payment.status) == (7, 3, "refunded")
    again = await payments.refund(credited.payment)
    assert again.already_refunded and again.debited == 0
    assert await LedgerRepository(db).balance(FP, "paid") == 0


# --- issue 12 item 8: a refund takes back the credits running jobs hold -----------------------------------------


async def held_credit_after_purchase(payments: Payments, db: Database, credits: Credits) -> tuple[Credited, int]:
    """Ada buys 10 credits, has no free quota left, and starts a job: it holds one of the pack's credits."""
    await UserRepository(db).seen(
        telegram_id=1001, fingerprint=FP, first_name="Ada", username=None, language="en", now=NOW
    )
    payload = payments.invoice("10", 1001).payload
    credited = await payments.credit_telegram(
        charge_id="ch-held", payload=payload, currency="XTR", amount=50, telegram_id=1001, fingerprint=FP
    )
    spec = JobSpec(telegram_id=1001, fingerprint=FP, chat_id=1001, prompt="techno", engine="mock", params={})
    for _ in range(4):  # the free quota first
        admission = await credits.admit(spec, banned=False)
        assert admission.decision is Decision.ALLOW_FREE and admission.job_id is not None
        await credits.settle(admission.job_id, "delivered")
    admission = await credits.admit(spec, banned=False)
    assert admission.decision is Decision.ALLOW_PAID and admission.job_id is not None
    return credited, admission.job_id


@pytest.mark.parametrize("outcome", ["failed", "canceled"])
async def test_a_full_refund_takes_back_the_credit_a_job_holds_when_the_job_releases_it(
    payments: Payments, outcome: Outcome, db: Database, credits: Credits
) -> None:
    credited, job_id = await held_credit_after_purchase(payments, db, credits)
    ledger = LedgerRepository(db)
    assert await ledger.balance(FP, "paid") == 9
    refunded = await payments.refund(credited.payment)
    assert (refunded.debited, refunded.already_spent, refunded.payment.refunded_credits) == (10, 0, 10)
    assert await ledger.balance(FP, "paid") == 0
    assert await credits.settle(job_id, outcome)
    assert await ledger.balance(FP, "paid") == 0, "the released credit belonged to the refunded pack"
    assert not await credits.settle(job_id, "failed")
    assert await ledger.balance(FP, "paid") == 0


async def test_a_job_that_delivers_after_the_refund_keeps_its_spent_credit_and_nothing_goes_negative(
    payments: Payments, db: Database, credits: Credits
) -> None:
    credited, job_id = await held_credit_after_purchase(payments, db, credits)
    await payments.refund(credited.payment)
    assert await credits.settle(job_id, "delivered")
    assert await LedgerRepository(db).balance(FP, "paid") == 0


async def test_a_refund_claims_only_as_many_held_credits_as_the_pack_has_unspent(
    payments: Payments, db: Database, credits: Credits
) -> None:
    credited, job_id = await held_credit_after_purchase(payments, db, credits)
    await credits.add_paid(FP, 5, kind="grant")  # 14 paid + 1 held: the balance alone covers the pack
    refunded = await payments.refund(credited.payment)
    assert refunded.debited == 10
    assert await credits.settle(job_id, "failed")
    assert await LedgerRepository(db).balance(FP, "paid") == 5, "the held credit came from the grant"


# --- issue 12 item 3: a payment is recorded only together with its credit ----------------------------------------


async def test_stars_crediting_that_fails_in_the_database_writes_nothing_and_the_retry_credits_once(
    payments: Payments, tmp_path: Path, db: Database
) -> None:
    payload = payments.invoice("10", 1001).payload
    with sqlite3.connect(tmp_path / "p.db") as outside:  # a real failure on the ledger insert
        outside.execute(
            "CREATE TRIGGER test_ledger_fails BEFORE INSERT ON credit_ledger "
            "BEGIN SELECT RAISE(ABORT, 'simulated disk trouble'); END"
        )

    async def credit() -> Credited:
        return await payments.credit_telegram(
            charge_id="ch-fail", payload=payload, currency="XTR", amount=50, telegram_id=1001, fingerprint=FP
        )

    with pytest.raises(StorageError):  # an error, never "already credited"
        await credit()
    assert await payments.records.find("stars", "ch-fail") is None
    with sqlite3.connect(tmp_path / "p.db") as outside:
        outside.execute("DROP TRIGGER test_ledger_fails")
    assert [(await credit()).new for _ in range(2)] == [True, False]
    assert await LedgerRepository(db).balance(FP, "paid") == 10


async def test_a_refund_that_fails_in_the_database_leaves_the_payment_paid_and_can_be_retried(
    payments: Payments, tmp_path: Path, db: Database
) -> None:
    payload = payments.invoice("10", 1001).payload
    credited = await payments.credit_telegram(
        charge_id="ch-r", payload=payload, currency="XTR", amount=50, telegram_id=1001, fingerprint=FP
    )
    with sqlite3.connect(tmp_path / "p.db") as outside:
        outside.execute(
            "CREATE TRIGGER test_ledger_fails BEFORE INSERT ON credit_ledger "
            "BEGIN SELECT RAISE(ABORT, 'simulated disk trouble'); END"
        )
    with pytest.raises(StorageError):
        await payments.refund(credited.payment)
    payment = await payments.records.find("stars", "ch-r")
    assert payment is not None and payment.status == "paid"
    with sqlite3.connect(tmp_path / "p.db") as outside:
        outside.execute("DROP TRIGGER test_ledger_fails")
    assert (await payments.refund(credited.payment)).debited == 10
    assert await LedgerRepository(db).balance(FP, "paid") == 0

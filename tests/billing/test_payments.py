"""Payments in billing: packs, signed payloads, pre-checkout rules, exactly-once crediting, refunds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing import BadPayload, Credits, PaymentError, Payments, PreCheckoutRefused, invoices, parse_packs
from billing.invoices import InvoicePayload
from storage import Database, LedgerRepository

FP = "fp-ada"
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.fixture
async def payments(tmp_path: Path) -> AsyncIterator[Payments]:
    async with await Database.open(tmp_path / "p.db") as db:
        credits = Credits(db, free_daily_quota=4, zone=ZoneInfo("UTC"), clock=lambda: NOW)
        yield Payments(db, credits, parse_packs("10:50:1.99,50:200:7.99"), secret=b"s" * 32, clock=lambda: NOW)


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


async def test_the_same_charge_delivered_ten_times_at_once_is_credited_once(payments: Payments) -> None:
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
    assert [e.kind for e in await LedgerRepository(payments._db).entries(FP)] == ["purchase"]


async def test_a_refund_takes_back_only_unspent_credits_once(payments: Payments) -> None:
    payload = payments.invoice("10", 1001).payload
    credited = await payments.credit_telegram(
        charge_id="ch-2", payload=payload, currency="XTR", amount=50, telegram_id=1001, fingerprint=FP
    )
    await payments._credits.add_paid(FP, -3, kind="spent-in-test")
    refunded = await payments.refund(credited.payment)
    assert (refunded.debited, refunded.already_spent, refunded.payment.status) == (7, 3, "refunded")
    again = await payments.refund(credited.payment)
    assert again.already_refunded and again.debited == 0
    assert await LedgerRepository(payments._db).balance(FP, "paid") == 0

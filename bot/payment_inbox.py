"""A paid Stars charge is never lost: each payment (and refund) is written to the payment inbox the moment its
update arrives, before Telegram hears that we have it, and is credited (or refunded) from there.

Long polling: :class:`InboxBot` hands every batch ``getUpdates`` returns to :meth:`StarsDesk.receive` before PTB
queues it; Telegram counts a batch as delivered only at the *next* ``getUpdates`` (its ``offset``), which PTB sends
after that. Webhook mode: the webhook answers Telegram only after the write, 503 otherwise, so Telegram retries.
If even the inbox cannot be written, the charge id, user and amount are logged at ERROR and the admins alerted.

Settling: the payment handlers settle their entry at once. An entry whose crediting fails (the main database
locked or unwritable, a crash) stays pending and is settled again every ``retry_every`` seconds and at start-up.
Crediting is idempotent on ``telegram_payment_charge_id``, so an entry settled twice credits once, and only the
settling that credited tells the buyer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

from billing import BadPayload, Credited, PaymentError, Payments, Refunded
from bot.alerts import AdminAlerts
from bot.delivery import notify_credited
from bot.logs import new_trace_id
from bot.texts import Texts
from storage import InboxEntry, InboxError, InboxKind, PaymentInbox, Provider, StorageError, UserRepository

log = logging.getLogger(__name__)

#: Seconds between passes over entries still pending (e.g. while the main database was locked).
RETRY_EVERY_S = 15.0

#: ``_refund``'s answer when the refunded payment is itself still pending in the inbox: settle that one first.
_WAIT = ""

#: Hears every batch of updates ``getUpdates`` returned, before PTB queues them.
UpdatesObserver = Callable[[Sequence[Update]], Awaitable[object]]


class InboxBot(ExtBot[int]):
    """PTB's ``ExtBot`` that shows each batch from ``getUpdates`` to its observers before returning it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._update_observers: list[UpdatesObserver] = []

    def observe_updates(self, observer: UpdatesObserver) -> None:
        """Call ``observer`` with every non-empty batch, awaited before the batch reaches the update queue."""
        self._update_observers.append(observer)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """``getUpdates``, then every observer sees the batch (the next poll confirms it to Telegram)."""
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            for observer in self._update_observers:
                await observer(updates)
        return updates


@dataclass(frozen=True, slots=True)
class PaymentNote:
    """What a ``successful_payment`` or ``refunded_payment`` message says."""

    kind: InboxKind
    charge_id: str
    telegram_id: int
    chat_id: int
    currency: str
    amount: int
    payload: str

    @classmethod
    def of(cls, update: Update) -> PaymentNote | None:
        """The payment or refund this update reports, or None."""
        message = update.message
        if message is None or message.from_user is None:
            return None
        user, chat = message.from_user.id, message.chat.id
        if (paid := message.successful_payment) is not None:
            return cls(
                "successful_payment",
                paid.telegram_payment_charge_id,
                user,
                chat,
                paid.currency,
                paid.total_amount,
                paid.invoice_payload,
            )
        if (refund := message.refunded_payment) is not None:
            return cls(
                "refunded_payment",
                refund.telegram_payment_charge_id,
                user,
                chat,
                refund.currency,
                refund.total_amount,
                refund.invoice_payload,
            )
        return None

    @classmethod
    def of_entry(cls, entry: InboxEntry) -> PaymentNote:
        """The note an inbox entry was written from."""
        return cls(
            entry.kind, entry.charge_id, entry.telegram_id, entry.chat_id, entry.currency, entry.amount, entry.payload
        )


class StarsDesk:
    """Receives Stars payments and refunds into the inbox and settles them in the main database."""

    def __init__(
        self,
        inbox: PaymentInbox,
        payments: Payments,
        bot: Bot,
        texts: Texts,
        users: UserRepository,
        *,
        fingerprint: Callable[[int], str],
        clock: Callable[[], datetime],
        alerts: AdminAlerts | None = None,
        retry_every: float = RETRY_EVERY_S,
    ) -> None:
        self._inbox, self._payments, self._bot, self._texts, self._users = inbox, payments, bot, texts, users
        self._fingerprint, self._clock, self._alerts, self._retry_every = fingerprint, clock, alerts, retry_every
        self._pass_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def receive(self, updates: Sequence[Update]) -> bool:
        """Write every payment among ``updates`` to the inbox; False if one could not be (logged, admins told)."""
        written = True
        for update in updates:
            note = PaymentNote.of(update)
            if note is not None and await self._record(note) is None:
                written = False
        return written

    async def settle_update(self, update: Update) -> None:
        """Credit or refund the payment ``update`` reports, from its inbox entry, and tell the buyer (once)."""
        note = PaymentNote.of(update)
        if note is None:
            return
        try:
            entry = await self._inbox.find(note.kind, note.charge_id)
        except InboxError:
            entry = None
        if entry is not None and entry.status != "pending":  # Telegram delivered it again: already done
            log.info("%s %s delivered again; already settled", note.kind, note.charge_id)
            return
        await self._settle(note, entry or await self._record(note))

    async def settle_pending(self) -> int:
        """Settle every entry still pending (one pass at a time); returns how many there were."""
        async with self._pass_lock:
            entries = await self._inbox.pending()
            if entries:
                log.info("payment inbox: settling %d unfinished payment(s)", len(entries))
            for entry in entries:
                if not await self._settle(PaymentNote.of_entry(entry), entry):
                    break  # the main database is locked or unwritable: the others would wait in vain too
            return len(entries)

    async def start(self) -> None:
        """Settle what an earlier run left pending, now and every ``retry_every`` seconds, in the background."""
        self._task = asyncio.create_task(self._retry_forever(), name="payment-inbox")

    async def stop(self) -> None:
        """Stop the background passes (pending entries wait for the next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _retry_forever(self) -> None:
        while True:
            try:
                await self.settle_pending()
            except InboxError as exc:
                log.warning("payment inbox: cannot read pending entries (%s)", exc)
            except Exception:  # a bug must not end the passes: the next one may succeed, the log has the trace
                log.exception("payment inbox: a settling pass failed")
            await asyncio.sleep(self._retry_every)

    async def _record(self, note: PaymentNote) -> InboxEntry | None:
        try:
            entry = await self._inbox.record(
                kind=note.kind,
                charge_id=note.charge_id,
                telegram_id=note.telegram_id,
                chat_id=note.chat_id,
                currency=note.currency,
                amount=note.amount,
                payload=note.payload,
                now=self._clock(),
            )
        except InboxError as exc:
            self._alarm(note, "could not be written to the payment inbox", exc)
            return None
        log.info("payment inbox: recorded %s %s", note.kind, note.charge_id, extra={"telegram_id": note.telegram_id})
        return entry

    async def _settle(self, note: PaymentNote, entry: InboxEntry | None) -> bool:
        """Apply one payment or refund; the entry is marked settled, rejected, or left pending for a retry.

        False when the main database could not be written (the entry stays pending).
        """
        rejected: str | None = None
        outcome: Credited | Refunded | None = None
        try:
            if note.kind == "successful_payment":
                outcome = await self._credit(note)
            else:
                rejected, outcome = await self._refund(note)
                if rejected == _WAIT:
                    return True
        except (PaymentError, BadPayload) as exc:  # paid, yet no pack to credit: a person must look at it
            rejected = f"{type(exc).__name__}: {exc}"
            self._alarm(note, "was paid but cannot be credited", exc)
        except (StorageError, OSError) as exc:  # the main database is locked or unwritable
            if entry is None:
                self._alarm(note, "is in no inbox and could not be credited", exc)
                return False
            log.warning(
                "payment inbox: %s %s is safe in the inbox; settling failed (%s), will retry",
                note.kind,
                note.charge_id,
                exc,
            )
            with contextlib.suppress(InboxError):
                await self._inbox.attempt_failed(entry.id, str(exc))
            return False
        if entry is not None:
            try:
                await self._inbox.settle(entry.id, self._clock(), rejected=rejected)
            except InboxError as exc:  # harmless: settling again changes nothing, it only repeats the work
                log.warning("payment inbox: could not mark %s settled (%s)", note.charge_id, exc)
        if isinstance(outcome, Credited):
            await notify_credited(self._bot, self._texts, self._users, outcome)
        elif isinstance(outcome, Refunded):
            await self._tell_refunded(note, outcome)
        return True

    async def _credit(self, note: PaymentNote) -> Credited | None:
        """Credit the pack; the outcome when this call credited it, None when it had been credited before."""
        credited = await self._payments.credit_telegram(
            charge_id=note.charge_id,
            payload=note.payload,
            currency=note.currency,
            amount=note.amount,
            telegram_id=note.telegram_id,
            fingerprint=self._fingerprint(note.telegram_id),
        )
        if not credited.new:
            log.info("successful_payment %s delivered again; already credited", note.charge_id)
            return None
        return credited

    async def _refund(self, note: PaymentNote) -> tuple[str | None, Refunded | None]:
        """Take the pack's unused credits back: (why it cannot be applied, or _WAIT for its payment; the refund)."""
        provider: Provider = "stars" if note.currency == "XTR" else "telegram"
        payment = await self._payments.records.find(provider, note.charge_id)
        if payment is None:
            pending = await self._inbox.find("successful_payment", note.charge_id)
            if pending is not None and pending.status == "pending":
                return _WAIT, None
            log.warning("refunded_payment for unknown charge %s", note.charge_id)
            return "unknown charge", None
        result = await self._payments.refund(payment)
        return None, None if result.already_refunded else result

    async def _tell_refunded(self, note: PaymentNote, result: Refunded) -> None:
        user = await self._users.get(note.telegram_id)
        key = "payments.refunded_user_spent" if result.already_spent else "payments.refunded_user"
        text = self._texts.get(
            user.language if user else None,
            key,
            charge=note.charge_id,
            debited=result.debited,
            spent=result.already_spent,
        )
        try:
            await self._bot.send_message(note.chat_id, text)
        except TelegramError as exc:
            log.warning("could not tell user %s about refund %s: %s", note.telegram_id, note.charge_id, exc)

    def _alarm(self, note: PaymentNote, what: str, exc: BaseException) -> None:
        trace_id = new_trace_id()
        log.error(
            "%s %s for user %s (%s %s) %s [%s]: %s",
            note.kind,
            note.charge_id,
            note.telegram_id,
            note.amount,
            note.currency,
            what,
            trace_id,
            exc,
        )
        if self._alerts is not None:
            self._alerts.report(trace_id, exc)

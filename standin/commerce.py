"""Telegram Stars payments: invoices, invoice links, the pre-checkout handshake, charges and refunds.

``pay`` plays the person's side: it sends a ``pre_checkout_query`` update, waits for ``answerPreCheckoutQuery``
(Telegram allows 10 s) and, when approved, posts the ``successful_payment`` service message with a fresh
``telegram_payment_charge_id``. ``refundStarPayment`` refunds a charge once and posts ``refunded_payment``.

An invoice *message* is paid at most once: Telegram's apps turn a paid invoice's Pay button into a Receipt
button (issue 12, item 6), so paying the same message again is refused without asking the bot. Other ways to pay
the same terms stay open, as in Telegram: a fresh invoice, an invoice link from createInvoiceLink, and forwarded
copies when ``start_parameter`` is empty (sendInvoice in the official Bot API JSON).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from standin import limits
from standin.methods import Handler
from standin.records import JSON, ChatMessage, PaymentOutcome, bad_request
from standin.world import World

_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_ALREADY_PAID = "this invoice was already paid: Telegram shows its receipt instead of a Pay button"
_INVOICE_FIELDS = ("title", "description", "payload", "currency", "prices", "provider_token", "start_parameter")


@dataclass
class Charge:
    """A completed Stars payment, refundable once."""

    user_id: int
    total_amount: int
    currency: str
    invoice_payload: str
    refunded: bool = False


class Commerce:
    """Handlers for the payment methods, plus the person's side of paying."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.links: dict[str, JSON] = {}
        self.charges: dict[str, Charge] = {}
        self._pre_checkouts: dict[str, asyncio.Future[JSON]] = {}
        self.paid_invoices: dict[tuple[int, int], str] = {}  # (chat id, invoice message id) → charge id

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by Bot API method name."""
        return {
            "sendInvoice": self.send_invoice,
            "createInvoiceLink": self.create_invoice_link,
            "answerPreCheckoutQuery": self.answer_pre_checkout_query,
            "refundStarPayment": self.refund_star_payment,
        }

    async def send_invoice(self, p: dict[str, Any]) -> JSON:
        """Post an invoice message; its first button (if any keyboard is given) must be a Pay button."""
        chat = self.world.writable_chat(p["chat_id"])
        limits.invoice(p)
        markup = p.get("reply_markup")
        limits.inline_keyboard(markup)
        buttons = [b for row in (markup or {}).get("inline_keyboard", []) for b in row]
        if buttons and not buttons[0].get("pay"):
            raise bad_request("REPLY_MARKUP_BUY_EMPTY")
        content: JSON = {"invoice": _invoice_object(p)}
        if markup:
            content["reply_markup"] = markup
        terms = {k: p[k] for k in _INVOICE_FIELDS if k in p}
        return self.world.post(chat["id"], True, content, kind="invoice", invoice=terms, reply_markup=markup).raw

    async def create_invoice_link(self, p: dict[str, Any]) -> str:
        """Return a t.me link standing for the invoice (payable with ``pay`` and the link)."""
        limits.invoice(p)
        slug = secrets.token_urlsafe(12)
        self.links[slug] = {k: p[k] for k in _INVOICE_FIELDS if k in p}
        return f"https://t.me/${slug}"

    async def answer_pre_checkout_query(self, p: dict[str, Any]) -> bool:
        """Deliver the bot's verdict to the waiting payment; 400 for unknown or late queries."""
        waiter = self._pre_checkouts.pop(p["pre_checkout_query_id"], None)
        if waiter is None or waiter.done():
            raise bad_request(_QUERY_INVALID)
        if not p["ok"] and not p.get("error_message"):
            raise bad_request("error_message is required when ok is False")
        waiter.set_result(p)
        return True

    async def refund_star_payment(self, p: dict[str, Any]) -> bool:
        """Refund a charge once; the person sees a ``refunded_payment`` service message."""
        charge = self.charges.get(p["telegram_payment_charge_id"])
        if charge is None or charge.user_id != p["user_id"]:
            raise bad_request("CHARGE_NOT_FOUND")
        if charge.refunded:
            raise bad_request("CHARGE_ALREADY_REFUNDED")
        charge.refunded = True
        refund = {
            "currency": charge.currency,
            "total_amount": charge.total_amount,
            "invoice_payload": charge.invoice_payload,
            "telegram_payment_charge_id": p["telegram_payment_charge_id"],
        }
        self._service(charge.user_id, {"refunded_payment": refund})
        return True

    async def pay(
        self, user_id: int, terms: JSON, wait: float, invoice: tuple[int, int] | None = None
    ) -> PaymentOutcome:
        """Play a person paying ``terms``: pre-checkout, wait for the bot, then the receipt if approved.

        ``invoice`` (chat id, message id) names the invoice message being paid: it can be paid only once.
        """
        if invoice is not None and invoice in self.paid_invoices:
            return PaymentOutcome(approved=False, error_message=_ALREADY_PAID)
        total = sum(int(price["amount"]) for price in terms["prices"])
        query_id = secrets.token_hex(8)
        waiter: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pre_checkouts[query_id] = waiter
        query = {
            "id": query_id,
            "from": self.world.users[user_id],
            "currency": terms["currency"],
            "total_amount": total,
            "invoice_payload": terms["payload"],
        }
        self.world.updates.put("pre_checkout_query", query)
        try:
            answer = await asyncio.wait_for(asyncio.shield(waiter), wait)
        except TimeoutError:
            self._pre_checkouts.pop(query_id, None)
            waiter.cancel()
            return PaymentOutcome(approved=False, error_message=f"no answerPreCheckoutQuery within {wait:g} s")
        if not answer["ok"]:
            return PaymentOutcome(approved=False, error_message=answer.get("error_message"))
        if invoice is not None and invoice in self.paid_invoices:  # paid meanwhile from another device
            return PaymentOutcome(approved=False, error_message=_ALREADY_PAID)
        charge_id = f"stxs{secrets.token_urlsafe(24)}"
        if invoice is not None:
            self.paid_invoices[invoice] = charge_id
        self.charges[charge_id] = Charge(user_id, total, terms["currency"], terms["payload"])
        payment = {
            "currency": terms["currency"],
            "total_amount": total,
            "invoice_payload": terms["payload"],
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        receipt = self._service(user_id, {"successful_payment": payment})
        return PaymentOutcome(True, None, charge_id, total, terms["payload"], receipt)

    def _service(self, user_id: int, content: JSON) -> ChatMessage:
        message = self.world.post(user_id, False, content, kind="service", service=content)
        self.world.updates.put("message", message.raw)
        return message


def _invoice_object(p: dict[str, Any]) -> JSON:
    return {
        "title": p["title"],
        "description": p["description"],
        "start_parameter": p.get("start_parameter", ""),
        "currency": p["currency"],
        "total_amount": sum(int(price["amount"]) for price in p["prices"]),
    }

"""A stand-in for the Telegram Bot API: a real HTTP server PTB talks to unmodified, plus simulated people.

Public surface: ``TelegramStandIn`` and the values it hands out (``ChatMessage``, ``Button``, ``StoredFile``,
``Call``, ``Violation``, ``Event``, ``PaymentOutcome``, ``Fault``, ``Subscription``). The Bot API description
it validates against is ``telegram-bot-api.json`` (MIT, see ``telegram-bot-api.LICENSE``).

Modules: ``standin`` (the facade), ``server`` (HTTP), ``validator`` + ``spec`` + ``limits`` + ``formatting``
(what Telegram accepts), ``world`` + ``updates`` + ``events`` (state), ``methods`` + ``media`` + ``commerce``
(Bot API methods), ``people`` (simulated users), ``faults`` (injected failures), ``flood`` (optional flood
control), ``records`` (values).
"""

from bot.sandbox.events import Subscription
from bot.sandbox.faults import Fault, FaultKind
from bot.sandbox.records import Button, Call, ChatMessage, Event, PaymentOutcome, StoredFile
from bot.sandbox.standin import TelegramStandIn
from bot.sandbox.validator import Violation

__all__ = [
    "Button",
    "Call",
    "ChatMessage",
    "Event",
    "Fault",
    "FaultKind",
    "PaymentOutcome",
    "StoredFile",
    "Subscription",
    "TelegramStandIn",
    "Violation",
]

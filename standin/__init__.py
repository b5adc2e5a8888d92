"""Stand-ins for the services CloudMusic talks to, on 127.0.0.1: Telegram's Bot API (a real HTTP server PTB talks
to unmodified, plus simulated people and the sandbox chat page in ``web/``), Replicate (``replicate_standin``) and
Stripe (``stripe_standin``). It imports nothing from the bot; ``python -m standin`` runs all three alone.

Public surface: ``TelegramStandIn`` and the values it hands out (``ChatMessage``, ``Button``, ``StoredFile``,
``Call``, ``Violation``, ``Event``, ``PaymentOutcome``, ``Fault``, ``Subscription``). The Bot API description
it validates against is ``telegram-bot-api.json`` (MIT, see ``telegram-bot-api.LICENSE``).

Modules: ``standin`` (the facade), ``server`` (HTTP), ``validator`` + ``spec`` + ``limits`` + ``formatting``
(what Telegram accepts), ``world`` + ``updates`` + ``events`` (state), ``methods`` + ``media`` + ``commerce``
(Bot API methods), ``people`` (simulated users), ``faults`` (injected failures), ``flood`` (optional flood
control), ``records`` (values), ``web`` (the sandbox chat page; the bot hands it its texts).
"""

from standin.events import Subscription
from standin.faults import Fault, FaultKind
from standin.records import Button, Call, ChatMessage, Event, PaymentOutcome, StoredFile
from standin.standin import TelegramStandIn
from standin.validator import Violation

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

"""``SANDBOX_HOSTED=true``: the sandbox also plays Replicate and Stripe, so hosted engines and card payments work
end to end without an account anywhere.

Sandbox mode only. The Replicate and Stripe stand-ins (``standin/``) start on 127.0.0.1 before the core, and the
settings are pointed at them: the Replicate token and base URL, the Stripe key, webhook secret and API base, the
card button inside the chat (``STRIPE_IN_TELEGRAM``), and, unless ``ENGINES`` says otherwise, the default engine
offered beside Replicate's MusicGen. A Checkout link opens the Stripe stand-in's payment page; paying there sends
the signed ``checkout.session.completed`` to the bot's ``/stripe/webhook`` once the HTTP server listens
(:func:`deliver_payments_to`).
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass

from pydantic import SecretStr

from bot.settings import Settings
from standin.replicate_standin import ReplicateStandIn
from standin.stripe_standin import StripeStandIn

log = logging.getLogger(__name__)
HOSTED_ENGINE = "replicate:musicgen"


@dataclass(frozen=True, slots=True)
class HostedStandIns:
    """The running Replicate and Stripe stand-ins."""

    replicate: ReplicateStandIn
    stripe: StripeStandIn


async def start_hosted(settings: Settings, stack: AsyncExitStack) -> tuple[Settings, HostedStandIns | None]:
    """With SANDBOX_HOSTED in sandbox mode: the stand-ins, started (stopped by ``stack``), and settings pointing at
    them; otherwise ``settings`` unchanged and None."""
    if not (settings.sandbox and settings.sandbox_hosted):
        return settings, None
    replicate = await stack.enter_async_context(ReplicateStandIn())
    stripe = await stack.enter_async_context(StripeStandIn())
    update: dict[str, object] = {
        "replicate_api_token": SecretStr(replicate.token),
        "replicate_base_url": replicate.base_url,
        "stripe_secret_key": SecretStr(stripe.api_key),
        "stripe_webhook_secret": SecretStr(stripe.webhook_secret),
        "stripe_api_base": stripe.base_url,
        "stripe_in_telegram": True,  # the sandbox shows the card button: nothing real is sold
    }
    if settings.engines is None:
        update["engines"] = f"{settings.engine},{HOSTED_ENGINE}"
    log.info("sandbox mode: Replicate stand-in at %s, Stripe stand-in at %s", replicate.base_url, stripe.base_url)
    return settings.model_copy(update=update), HostedStandIns(replicate, stripe)


def deliver_payments_to(hosted: HostedStandIns | None, http_url: str) -> None:
    """Once the bot's HTTP server listens at ``http_url``: card payments made on the stand-in's page reach it."""
    if hosted is not None:
        hosted.stripe.webhook_url = http_url.rstrip("/") + "/stripe/webhook"

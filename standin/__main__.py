"""``python -m standin``: the stand-ins alone, on 127.0.0.1, until Ctrl-C (or SIGTERM).

Starts Telegram's Bot API stand-in, the Replicate stand-in and the Stripe stand-in and prints, for each, the
environment a bot needs to talk to it (``TELEGRAM_BOT_TOKEN`` and ``TELEGRAM_API_BASE_URL``,
``REPLICATE_API_TOKEN`` and ``REPLICATE_BASE_URL``, ``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET`` and
``STRIPE_API_BASE``). ``make run`` with no token does not need this: the bot starts its own stand-in in-process.

Options: ``--port N`` for the Bot API stand-in (default: any free port), ``--token T`` (default: a made-up one),
``--username NAME``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack

from standin.replicate_standin import ReplicateStandIn
from standin.standin import TelegramStandIn
from standin.stripe_standin import StripeStandIn

DEFAULT_TOKEN = "123456789:STANDIN-local-token"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line's options (argparse exits with a usage line on bad input)."""
    parser = argparse.ArgumentParser(prog="python -m standin", description="Telegram, Replicate and Stripe stand-ins")
    parser.add_argument("--port", type=int, default=0, help="the Bot API stand-in's port (default: any free port)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bot token the Bot API stand-in accepts")
    parser.add_argument("--username", default="CloudMusicBot", help="the stand-in bot's @username")
    return parser.parse_args(argv)


def environment(telegram: TelegramStandIn, replicate: ReplicateStandIn, stripe: StripeStandIn) -> dict[str, str]:
    """The settings a bot needs to use these stand-ins instead of the real services."""
    return {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "REPLICATE_API_TOKEN": replicate.token,
        "REPLICATE_BASE_URL": replicate.base_url,
        "STRIPE_SECRET_KEY": stripe.api_key,
        "STRIPE_WEBHOOK_SECRET": stripe.webhook_secret,
        "STRIPE_API_BASE": stripe.base_url,
    }


async def serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Run the three stand-ins until ``stop`` is set; print where they are first."""
    async with AsyncExitStack() as stack:
        telegram = TelegramStandIn(token=args.token, bot_username=args.username, port=args.port, inline_mode=True)
        replicate, stripe = ReplicateStandIn(), StripeStandIn()
        for server in (telegram, replicate, stripe):
            await stack.enter_async_context(server)
        for name, value in environment(telegram, replicate, stripe).items():
            print(f"{name}={value}", flush=True)
        print("stand-ins ready; Ctrl-C stops them", file=sys.stderr, flush=True)
        await stop.wait()


async def amain(argv: Sequence[str]) -> None:
    """Parse ``argv``, serve until SIGINT or SIGTERM."""
    args = parse_args(argv)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(args, stop)


def main() -> None:
    """The ``python -m standin`` entry point."""
    asyncio.run(amain(sys.argv[1:]))


if __name__ == "__main__":
    main()

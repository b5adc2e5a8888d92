"""Broadcast to 1 000 users through the stand-in enforcing Telegram's 30 msg/s: rate and 429s.

The real path: ``scheduler.broadcast.broadcast`` with its default pace, through ``bot.outbox.TelegramOutbox``
and the bot's own ``ExtBot`` (``bot.app.build_bot``: PTB's AIORateLimiter included), in this process (the broadcast
is I/O-bound: the figure is its pacing, not CPU). Baseline: the stand-in's ceiling, 30 msg/s.
"""

from __future__ import annotations

import asyncio
import time

from bench.harness import TOKEN, Figure
from bot.app import build_bot
from bot.outbox import TelegramOutbox
from scheduler.broadcast import broadcast
from standin import TelegramStandIn

RECIPIENTS = 1000
CEILING = 30


async def measure() -> Figure:
    """One broadcast to RECIPIENTS people (≈ 35 s: the figure is a rate, and it takes this long at 30/s)."""
    async with TelegramStandIn(token=TOKEN) as standin:
        users = list(range(20_000, 20_000 + RECIPIENTS))
        standin.add_users(users)
        flood = standin.limit_rate(CEILING)
        assert flood is not None
        bot = build_bot(TOKEN, base_url=standin.base_url, base_file_url=standin.file_base_url)
        async with bot:

            async def blocked(chat_id: int) -> None:
                raise AssertionError(f"nobody blocked the bot, yet {chat_id} was reported blocked")

            started = time.perf_counter()
            report = await broadcast(TelegramOutbox(bot), users, "📢 bench broadcast", on_blocked=blocked)
            elapsed = time.perf_counter() - started
        refused = sum(1 for call in standin.calls if call.status == 429)
    rate = report.sent / elapsed
    return Figure(
        "broadcast to 1 000 users, stand-in enforcing 30 msg/s",
        f"{rate:.1f}/s, {refused} × 429, {report.sent} sent, {report.failed} failed",
        f"the stand-in's ceiling: {CEILING}/s",
        "≥ 27/s, no 429",
        rate >= 27 and refused == 0 and report.sent == RECIPIENTS,
        ["`broadcast()` at its default pace through the bot's ExtBot (AIORateLimiter on); 1 s sliding window"],
    )


def main() -> None:
    """Print the figure (``python -m bench.broadcast``)."""
    print(asyncio.run(measure()))


if __name__ == "__main__":
    main()

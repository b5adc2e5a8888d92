"""Every file the bot uploads is checked against Telegram's 50 MB limit before it is sent (a real PTB Bot against
the stand-in, which answers 413 over the limit as Telegram does)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.outbox import TelegramOutbox
from scheduler.outbox import AudioPost, SendRejected
from scheduler.tracks import UPLOAD_LIMIT
from standin import TelegramStandIn

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def bot() -> AsyncIterator[tuple[Bot, TelegramStandIn]]:
    """A real Bot and the stand-in it talks to, with a channel."""
    async with TelegramStandIn(token=TOKEN) as standin:
        standin.add_channel(-100123, "teasers")
        async with Bot(TOKEN, base_url=standin.base_url, base_file_url=standin.file_base_url) as real_bot:
            yield real_bot, standin


async def test_a_teaser_over_the_upload_limit_is_rejected_without_being_uploaded(
    bot: tuple[Bot, TelegramStandIn],
) -> None:
    real_bot, standin = bot
    big = AudioPost(
        audio=b"ID3" + bytes(UPLOAD_LIMIT), filename="t.mp3", title="T", performer="P", duration=1, caption_html="c"
    )
    with pytest.raises(SendRejected, match="upload limit"):  # rejected, not retried: it would never fit
        await TelegramOutbox(real_bot).publish("@teasers", big)
    assert not [c for c in standin.calls if c.method == "sendAudio"]
    small = AudioPost(
        audio=b"ID3" + bytes(100), filename="t.mp3", title="T", performer="P", duration=1, caption_html="c"
    )
    receipt = await TelegramOutbox(real_bot).publish("@teasers", small)
    assert receipt.file_id is not None

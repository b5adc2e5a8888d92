"""``TelegramOutbox`` maps Bot API failures onto the Outbox contract's errors, for posts and texts alike."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.outbox import TelegramOutbox
from scheduler.outbox import (
    AudioPost,
    OutboxError,
    RecipientBlocked,
    SendRejected,
    SendRetryable,
    SendUncertain,
)

POST = AudioPost(audio=b"ID3", filename="t.mp3", title="T", performer="P", duration=1, caption_html="c")


class FailingBot:
    """A Bot whose sendAudio and sendMessage raise ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def send_audio(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected", "retry_after"),
    [
        (RetryAfter(30), SendRetryable, 30.0),
        (NetworkError("Bad Gateway"), SendRetryable, None),
        (TimedOut(), SendUncertain, None),
        (BadRequest("Chat not found"), RecipientBlocked, None),
        (BadRequest("Message is too long"), SendRejected, None),
        (Forbidden("bot is not a member of the channel chat"), RecipientBlocked, None),
        (InvalidToken(), SendRejected, None),
    ],
)
@pytest.mark.parametrize("send", ["publish", "send_text"])
async def test_telegram_errors_become_outbox_errors(
    error: Exception, expected: type[OutboxError], retry_after: float | None, send: str
) -> None:
    outbox = TelegramOutbox(FailingBot(error))  # type: ignore[arg-type]
    with pytest.raises(expected) as raised:
        if send == "publish":
            await outbox.publish("@channel", POST)
        else:
            await outbox.send_text(1001, "hello")
    assert type(raised.value) is expected
    assert getattr(raised.value, "retry_after", None) == retry_after

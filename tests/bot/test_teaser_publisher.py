"""The Telegram publisher maps Bot API failures onto the Publisher contract's errors."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.publisher import TelegramPublisher
from scheduler.publisher import AudioPost, PublishError, PublishRejected, PublishRetryable, PublishUncertain

POST = AudioPost(audio=b"ID3", filename="t.mp3", title="T", performer="P", duration=1, caption_html="c")


class FailingBot:
    """A Bot whose sendAudio raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def send_audio(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected", "retry_after"),
    [
        (RetryAfter(30), PublishRetryable, 30.0),
        (NetworkError("Bad Gateway"), PublishRetryable, None),
        (TimedOut(), PublishUncertain, None),
        (BadRequest("Chat not found"), PublishRejected, None),
        (Forbidden("bot is not a member of the channel chat"), PublishRejected, None),
    ],
)
async def test_telegram_errors_become_publish_errors(
    error: Exception, expected: type[PublishError], retry_after: float | None
) -> None:
    publisher = TelegramPublisher(FailingBot(error))  # type: ignore[arg-type]
    with pytest.raises(expected) as raised:
        await publisher.publish("@channel", POST)
    assert type(raised.value) is expected
    assert getattr(raised.value, "retry_after", None) == retry_after

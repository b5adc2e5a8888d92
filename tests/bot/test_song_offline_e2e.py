"""Songs without a Replicate token: the hosted vocal model is left out and /song says what needs it."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from bot.sandbox.records import ChatMessage
from tests.conftest import ADA, LiveBot


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"engines": "mock,replicate:ace-step-1.5", "model_costs": "ace-step-1.5=2"}


async def test_without_a_token_song_says_the_vocal_model_needs_the_hosted_service(live_bot: LiveBot) -> None:
    answer = await live_bot.ask(ADA, "/song dreamy pop\n[verse]\nhello", "REPLICATE_API_TOKEN")

    assert "instrumentals only" in answer.content and not answer.buttons


def _is_audio_of(take: str, message: ChatMessage) -> bool:
    return message.kind == "audio" and take in message.content


async def test_without_a_token_an_instrumental_song_still_composes_offline(live_bot: LiveBot) -> None:
    draft = await live_bot.ask(ADA, "/song dreamy pop 2s", "Compose it?")
    assert "instrumental" in draft.content.lower() and "1 credit(s)" in draft.content

    (ok,) = [b.callback_data for b in draft.buttons if b.callback_data and b.callback_data.startswith("sg:ok:")]
    await live_bot.standin.press_button(ADA, draft.message_id, ok)
    # Two workers render the takes at once, so they may arrive in either order: wait for each.
    for take in ("Take 1/2", "Take 2/2"):
        await live_bot.standin.wait_for(ADA, partial(_is_audio_of, take), timeout=20, since=0)

    assert len(live_bot.audio_messages(ADA)) == 2, "the local engine's two takes"


async def test_without_a_token_the_lyric_writer_says_it_needs_the_hosted_model(live_bot: LiveBot) -> None:
    answer = await live_bot.ask(ADA, "/lyrics leaving Lisbon", "REPLICATE_API_TOKEN")
    assert "own lyrics with /song" in answer.content

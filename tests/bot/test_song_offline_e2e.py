"""Songs without a Replicate token: the hosted vocal model is left out and /song says what needs it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ADA, LiveBot


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"engines": "mock,replicate:ace-step-1.5", "model_costs": "ace-step-1.5=2"}


async def test_without_a_token_song_says_the_vocal_model_needs_the_hosted_service(live_bot: LiveBot) -> None:
    answer = await live_bot.ask(ADA, "/song dreamy pop\n[verse]\nhello", "REPLICATE_API_TOKEN")

    assert "instrumentals only" in answer.content and not answer.buttons


async def test_without_a_token_an_instrumental_song_still_composes_offline(live_bot: LiveBot) -> None:
    draft = await live_bot.ask(ADA, "/song dreamy pop 2s", "Compose it?")
    assert "instrumental" in draft.content.lower() and "1 credit(s)" in draft.content

    (ok,) = [b.callback_data for b in draft.buttons if b.callback_data and b.callback_data.startswith("sg:ok:")]
    await live_bot.standin.press_button(ADA, draft.message_id, ok)
    for take in ("Take 1/2", "Take 2/2"):  # the two workers may finish in any order: wait for each
        arrived = lambda m, t=take: m.kind == "audio" and t in m.content  # noqa: E731 - binds this take
        await live_bot.standin.wait_for(ADA, arrived, timeout=20, since=0)

    assert len(live_bot.audio_messages(ADA)) == 2, "the local engine's two takes"


async def test_without_a_token_the_lyric_writer_says_it_needs_the_hosted_model(live_bot: LiveBot) -> None:
    answer = await live_bot.ask(ADA, "/lyrics leaving Lisbon", "REPLICATE_API_TOKEN")
    assert "own lyrics with /song" in answer.content


async def test_without_a_token_song_step_by_step_says_vocals_need_the_hosted_model_and_makes_an_instrumental(
    live_bot: LiveBot,
) -> None:
    first = await live_bot.ask(ADA, "/song", "1/3")
    assert "REPLICATE_API_TOKEN" in first.content and "instrumental" in first.content
    step = await live_bot.ask(ADA, "dreamy pop 2s", "2/3")
    assert "REPLICATE_API_TOKEN" in step.content
    assert [b.callback_data for b in step.buttons if (b.callback_data or "").startswith("sg:ai:")] == []

    refused = await live_bot.ask(ADA, "[verse]\nhello", "can't sing lyrics")
    assert "Nothing was used up" in refused.content
    (instrumental,) = [b.callback_data for b in step.buttons if (b.callback_data or "").startswith("sg:in:")]
    await live_bot.standin.press_button(ADA, step.message_id, instrumental)
    draft = await live_bot.reply(ADA, lambda m: "Compose it?" in m.content)
    assert "instrumental (no vocals) by mock" in draft.content and "1 credit(s)" in draft.content

    (ok,) = [b.callback_data for b in draft.buttons if b.callback_data and b.callback_data.startswith("sg:ok:")]
    await live_bot.standin.press_button(ADA, draft.message_id, ok)
    await live_bot.reply(ADA, lambda m: m.kind == "audio" and "Take 2/2" in m.content, timeout=20)

"""The error map end to end: a service error raised in a button handler reaches the user as an alert with its text."""

from __future__ import annotations

from bot.callbacks import Regenerate, Wav
from standin import ChatMessage
from tests.conftest import ADA, BOB, LiveBot


async def _track(live_bot: LiveBot, user_id: int) -> ChatMessage:
    before = len(live_bot.audio_messages(user_id))
    await live_bot.say(user_id, "calm piano 1s")
    await live_bot.reply(user_id, lambda m: m.content.startswith("✅"), 15)
    assert len(live_bot.audio_messages(user_id)) == before + 1
    return live_bot.audio_messages(user_id)[-1]


def _job_id(message: ChatMessage) -> int:
    return next(
        Wav.unpack(b.callback_data or "").job for b in message.buttons if (b.callback_data or "").startswith("wav:")
    )


async def _text(live_bot: LiveBot, user_id: int, key: str) -> str:
    """The catalog text in the person's language."""
    user = await live_bot.runtime.services.users.get(user_id)
    assert user is not None
    return live_bot.runtime.services.texts.get(user.language, key)


async def press_forged(live_bot: LiveBot, user_id: int, message: ChatMessage, data: str, query_id: str) -> None:
    """A press Telegram knows of, on the person's own message, carrying ``data`` (as a forged client would)."""
    live_bot.standin.messaging.callback_answers[query_id] = None
    live_bot.standin.push_update(
        "callback_query",
        {
            "id": query_id,
            "from": live_bot.standin.world.users[user_id],
            "message": message.raw,
            "chat_instance": "x",
            "data": data,
        },
    )


async def test_a_button_for_someone_elses_track_is_answered_with_the_not_yours_alert(live_bot: LiveBot) -> None:
    ada_track, bob_track = await _track(live_bot, ADA), await _track(live_bot, BOB)
    not_yours = await _text(live_bot, BOB, "track.not_yours")
    await press_forged(live_bot, BOB, bob_track, Wav(_job_id(ada_track)).pack(), "e1")
    answer = await live_bot.callback_answer("e1")
    assert answer.get("text") == not_yours
    assert answer.get("show_alert") in (True, "true")
    await press_forged(live_bot, BOB, bob_track, Regenerate(_job_id(ada_track)).pack(), "e2")
    answer = await live_bot.callback_answer("e2")
    assert answer.get("text") == not_yours and answer.get("show_alert") in (True, "true")


async def test_a_history_press_for_a_track_that_does_not_exist_is_answered_with_the_gone_alert(
    live_bot: LiveBot,
) -> None:
    bob_track = await _track(live_bot, BOB)
    await press_forged(live_bot, BOB, bob_track, "re:999999", "e3")
    answer = await live_bot.callback_answer("e3")
    assert answer.get("text") == await _text(live_bot, BOB, "track.gone")
    assert answer.get("show_alert") in (True, "true")

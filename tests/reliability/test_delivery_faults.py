"""Faults while the track goes out (sendAudio): each track reaches the user once, and a credit is never lost.

What the transport can and cannot know decides the behaviour:

* **429** — Telegram refused the call; PTB's rate limiter waits ``retry_after`` and sends again: delivered once,
  charged once.
* **500 / 502 / a connection dropped before the request was processed** — the bot cannot tell these from a
  failure after processing, so it does not resend a multi-megabyte upload blindly: the job fails, the user is
  told, and the credit is released (nothing charged for a track they did not get).
* **a connection dropped after Telegram processed the call** (``drop_after``) — the user *has* the track, but the
  bot saw a network error: it reports the failure and releases the credit. The user keeps a free track; they are
  never charged for one they did not get, and no second copy is sent.
"""

from __future__ import annotations

import pytest

from standin.faults import FaultKind
from storage import LedgerRepository
from tests.conftest import ADA, LiveBot


async def _ledger_kinds(live_bot: LiveBot) -> list[str]:
    (job,) = await live_bot.runtime.queue.jobs.for_user(ADA)
    return [e.kind for e in await LedgerRepository(live_bot.runtime.core.db).entries(job.fingerprint)]


async def test_a_flood_limit_on_send_audio_is_waited_out_and_the_track_delivered_once(live_bot: LiveBot) -> None:
    live_bot.standin.inject_fault("sendAudio", "429", times=1, retry_after=1)
    await live_bot.say(ADA, "flood test 2s")
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)
    assert len(live_bot.audio_messages(ADA)) == 1
    assert [c.status for c in live_bot.standin.calls if c.method == "sendAudio"] == [429, 200]
    assert await _ledger_kinds(live_bot) == ["reserve", "commit"]


@pytest.mark.parametrize("kind", ["500", "502", "drop"])
async def test_a_server_error_or_dropped_link_fails_the_job_and_releases_the_credit(
    live_bot: LiveBot, kind: FaultKind
) -> None:
    live_bot.standin.inject_fault("sendAudio", kind, times=1)
    await live_bot.say(ADA, "server error test 2s")
    failure = await live_bot.reply(ADA, lambda m: "could not be sent" in m.content, timeout=20)
    assert "credit was returned" in failure.content
    assert live_bot.audio_messages(ADA) == []
    assert await _ledger_kinds(live_bot) == ["reserve", "release"]
    (job,) = await live_bot.runtime.queue.jobs.for_user(ADA)
    assert job.status == "failed"


async def test_a_link_dropped_after_processing_never_sends_twice_nor_charges(live_bot: LiveBot) -> None:
    live_bot.standin.inject_fault("sendAudio", "drop_after", times=1)
    await live_bot.say(ADA, "lost answer test 2s")
    await live_bot.reply(ADA, lambda m: "could not be sent" in m.content, timeout=20)
    assert len(live_bot.audio_messages(ADA)) == 1, "Telegram processed the upload once; the bot did not resend"
    assert await _ledger_kinds(live_bot) == ["reserve", "release"], "not charged for what it believes failed"


async def test_after_a_delivery_fault_the_next_prompt_works(live_bot: LiveBot) -> None:
    live_bot.standin.inject_fault("sendAudio", "502", times=1)
    await live_bot.say(ADA, "first 2s")
    await live_bot.reply(ADA, lambda m: "could not be sent" in m.content, timeout=20)
    await live_bot.say(ADA, "second 2s")
    await live_bot.reply(ADA, lambda m: m.kind == "audio", timeout=20)
    assert len(live_bot.audio_messages(ADA)) == 1

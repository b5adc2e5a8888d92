"""``/cancel`` once the track is being sent: refused, so the user never keeps both the track and the credit."""

from __future__ import annotations

import asyncio

from storage import LedgerRepository
from tests.conftest import ADA, LiveBot


async def test_cancel_during_send_audio_is_refused_and_the_track_is_delivered_and_charged_once(
    live_bot: LiveBot,
) -> None:
    live_bot.standin.inject_fault("sendAudio", "slow", delay=3.0)  # holds the upload open
    await live_bot.say(ADA, "almost sent 2s")
    jobs = live_bot.runtime.queue.jobs
    async with asyncio.timeout(20):  # until the bot flags the job as being sent (just before sendAudio)
        while not (sending := [job for job in await jobs.for_user(ADA) if job.sending]):
            await asyncio.sleep(0.02)

    await live_bot.say(ADA, "/cancel")
    refused = await live_bot.reply(ADA, lambda m: "Too late to cancel" in m.content)
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=20)

    assert "being sent" in refused.content
    assert len(live_bot.audio_messages(ADA)) == 1
    assert not [m for m in live_bot.standin.transcript(ADA) if m.from_bot and "Canceled" in m.content]
    (job,) = await jobs.for_user(ADA)
    assert job.id == sending[0].id and job.status == "delivered"
    kinds = [e.kind for e in await LedgerRepository(live_bot.runtime.core.db).entries(job.fingerprint)]
    assert kinds == ["reserve", "commit"], "charged for the track the user has; nothing returned"

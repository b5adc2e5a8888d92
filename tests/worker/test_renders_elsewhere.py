"""A bot with WORKERS_IN_BOT=false renders no audio at all (issue 16 item 3): prompts, 🎚 stems re-renders, the
/start demo and the channel teaser's house track are all rendered by a worker process's core (as ``python -m worker``
runs it, in this process here), which sends the stems to the chat once made; on PostgreSQL with procrastinate.

The proof is recorded state, not patching: the mock engine counts its renders per instance, and the bot core's
instance must end at zero while the worker's made the track, the stems, the demo and the teaser.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from engines.mock import MockEngine
from scheduler.teaser import TeaserDesk
from scheduler.timed import MAINTENANCE_JOB, TEASER_JOB, daily_teaser
from scheduler.tracks import sendable_stems
from standin import ChatMessage, TelegramStandIn
from storage import Job
from tests.bot.test_generation_e2e import button, track
from tests.conftest import ADA, BOB, LiveBot
from tests.studio.helpers import Api, signed_init_data
from worker.__main__ import WorkerRuntime, running_worker

pytestmark = pytest.mark.postgresql

CHANNEL_ID, CHANNEL = -1001234567890, "@cloudmusic_teasers"
POSTING_TIME = datetime(2026, 11, 21, 18, 0, 5, tzinfo=UTC)


@pytest.fixture
def bot_settings(standin: TelegramStandIn) -> dict[str, Any]:
    """Workers elsewhere, and a teaser channel (18:00 UTC, after the test's noon start: no catch-up run)."""
    standin.add_channel(CHANNEL_ID, username=CHANNEL.removeprefix("@"), title="CloudMusic teasers")
    return {
        "workers_in_bot": False,
        "queue_heartbeat": 0.5,
        "queue_stalled_after": 2.0,
        "teaser_channel": CHANNEL,
        "teaser_time": "18:00",
        "teaser_timezone": "UTC",
        "admin_ids": str(ADA),
        "teaser_prompts": "calm piano sketch",
    }


def renders(engine: object) -> int:
    """How many tracks a mock engine instance rendered."""
    assert isinstance(engine, MockEngine)
    return engine.renders


def documents(live_bot: LiveBot, user_id: int) -> list[ChatMessage]:
    """Every document the bot sent the person."""
    return [m for m in live_bot.standin.transcript(user_id) if m.from_bot and m.kind == "document"]


async def stems_in_store(live_bot: LiveBot, job: Job, timeout: float = 20.0) -> list[str]:
    """The job's stems archives, once a worker has put them in the audio store."""
    async with asyncio.timeout(timeout):
        while not (keys := await sendable_stems(live_bot.runtime.core.audio, f"job-{job.id}")):
            await asyncio.sleep(0.05)
    return keys


async def stems_file_id(live_bot: LiveBot, job: Job, timeout: float = 10.0) -> str:
    """The file_id Telegram gave the job's stems archive, once it is recorded."""
    async with asyncio.timeout(timeout):
        while (current := await live_bot.runtime.core.queue.jobs.get(job.id)) is None or not current.stems_file_id:
            await asyncio.sleep(0.05)
    return current.stems_file_id


def studio_api(live_bot: LiveBot, session: aiohttp.ClientSession) -> Api:
    """The web studio's API as Ada's Mini App calls it."""
    return Api(session, live_bot.runtime.http.url, f"tma {signed_init_data(ADA, live_bot.clock())}")


def teaser_desk(worker: WorkerRuntime) -> TeaserDesk:
    """The worker's daily teaser desk (short house tracks), as its scheduler runs it."""
    job = worker.timed.scheduler.get_job(TEASER_JOB)
    assert job is not None, "the worker runs the daily teaser"
    desk: TeaserDesk = job.kwargs["desk"]
    desk.config = replace(desk.config, house_seconds=3.0)
    return desk


async def test_a_bot_whose_workers_run_elsewhere_renders_nothing_and_a_worker_renders_it_all(
    live_bot: LiveBot,
) -> None:
    core, settings = live_bot.runtime.core, live_bot.runtime.core.settings
    assert not core.renders_here
    bot_jobs = live_bot.runtime.timed.scheduler
    assert bot_jobs.get_job(TEASER_JOB) is None and bot_jobs.get_job(MAINTENANCE_JOB) is not None  # teaser: workers'

    # Before any worker ran: /start goes on without the demo, and no error.
    await live_bot.ask(ADA, "/start", "Tap an idea")
    assert not live_bot.audio_messages(ADA)

    async with running_worker(settings, clock=live_bot.clock) as worker:
        assert renders(worker.core.engine) == 1  # the demo, into the audio store as the worker started
        assert worker.timed.scheduler.get_job(MAINTENANCE_JOB) is None  # maintenance stays with the bot
        audio = await track(live_bot, ADA, "rainy lofi 1s")
    job = (await core.queue.jobs.for_user(ADA))[0]

    # No worker runs now: the 🎚 press asks the workers for the stems, twice pressed is once asked.
    for _ in range(2):
        await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "st:"))
        await live_bot.reply(ADA, lambda m: "Making your stems now" in m.content)
    assert await core.queue.request_stems(job) is False  # one request waiting already: nothing more queued
    assert not documents(live_bot, ADA)
    async with aiohttp.ClientSession() as session:  # the web studio says the same: 202, ask again shortly
        status, body, answer = await studio_api(live_bot, session).call("GET", f"/tracks/{job.id}/stems")
    assert status == 202 and body["status"] == "preparing" and "being made" in body["message"], body
    assert answer.headers["Retry-After"] == "5"

    # The bot's own teaser desk: no shared track, and house tracks are the workers' (the admin's /teaser goes to
    # them: see the next test).
    assert live_bot.runtime.services.teasers is not None
    assert (await live_bot.runtime.services.teasers.post_now()).outcome == "failed"

    async with running_worker(settings, clock=live_bot.clock) as worker:
        assert renders(worker.core.engine) == 0  # the demo is in the store already
        archive = await live_bot.reply(ADA, lambda m: m.kind == "document", 20)  # sent by the worker, unasked
        assert archive.file is not None and archive.file.data[:2] == b"PK"
        assert await stems_in_store(live_bot, job) == [f"job-{job.id}-stems.zip"]
        kept = await stems_file_id(live_bot, job)
        await live_bot.standin.press_button(ADA, audio.message_id, button(audio, "st:"))  # later: re-sent by id
        await live_bot.reply(ADA, lambda m: m.kind == "document" and m.message_id != archive.message_id)
        assert len(documents(live_bot, ADA)) == 2 and (await stems_file_id(live_bot, job)) == kept
        async with aiohttp.ClientSession() as session:
            status, zipped, _ = await studio_api(live_bot, session).call("GET", f"/tracks/{job.id}/stems")
        assert status == 200 and zipped[:2] == b"PK"

        await live_bot.say(BOB, "/start")  # a new person gets the demo the worker rendered
        demo = await live_bot.reply(BOB, lambda m: m.kind == "audio")
        assert demo.file is not None and demo.file.data[:3] == b"ID3"

        live_bot.clock.now = POSTING_TIME
        result = await daily_teaser(teaser_desk(worker))
        assert result.outcome == "posted" and result.teaser is not None and result.teaser.house
        assert renders(worker.core.engine) == 2  # the stems and the teaser's house track

    assert renders(core.engine) == 0  # the bot rendered nothing: not the track, the stems, the demo nor the teaser


async def test_an_admins_teaser_in_a_bot_that_renders_nothing_is_posted_by_a_worker_which_reports_back(
    live_bot: LiveBot,
) -> None:
    """/teaser in a bot with WORKERS_IN_BOT=false: answered "queued" at once; a worker renders the house track,
    posts it to the channel and tells the admin's chat how it went."""
    core = live_bot.runtime.core
    await live_bot.ask(ADA, "/teaser", "Queued: a worker will post the teaser and report here")
    assert not channel_audio(live_bot)
    async with running_worker(core.settings, clock=live_bot.clock) as worker:
        report = await live_bot.reply(ADA, lambda m: "Teaser #" in m.content, 30)
        assert "posted to @cloudmusic_teasers (a house track)" in report.content
        (post,) = channel_audio(live_bot)
        assert post.file is not None and post.file.data[:3] == b"ID3"
        assert renders(worker.core.engine) == 2  # the demo and the teaser's house track
    assert renders(core.engine) == 0


def channel_audio(live_bot: LiveBot) -> list[ChatMessage]:
    """Every audio the bot posted in the teaser channel."""
    return [m for m in live_bot.standin.transcript(CHANNEL_ID) if m.from_bot and m.kind == "audio"]

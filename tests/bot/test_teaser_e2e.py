"""The daily teaser end to end: real wiring, PTB and APScheduler, the stand-in's channel, ENGINE=mock, real ffmpeg.

The clock is injected: jobs are run by calling the job function at a chosen time, or by starting the bot after the
posting time (the catch-up that APScheduler fires at start-up).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import Runtime, running_bot
from engines.audio import decode_audio
from scheduler.teaser import TeaserDesk, TeaserResult
from scheduler.timed import daily_teaser
from standin import ChatMessage, TelegramStandIn
from storage import AuditRepository
from tests.bot.test_generation_e2e import button, track
from tests.conftest import ADA, BOB, Clock, LiveBot
from tests.conftest import make_settings as settings_for

CHANNEL_ID, CHANNEL = -1001234567890, "@cloudmusic_teasers"
PROMPTS = ("calm piano sketch", "bright synth arpeggio")
POSTING_TIME = datetime(2026, 11, 21, 18, 0, 5, tzinfo=UTC)


@pytest.fixture
def bot_settings(standin: TelegramStandIn) -> dict[str, Any]:
    """A teaser channel (registered in the stand-in before the bot starts), 18:00 UTC, Ada as the admin."""
    standin.add_channel(CHANNEL_ID, username=CHANNEL.removeprefix("@"), title="CloudMusic teasers")
    return {
        "teaser_channel": CHANNEL,
        "teaser_time": "18:00",
        "teaser_timezone": "UTC",
        "admin_ids": str(ADA),
        "teaser_prompts": "|".join(PROMPTS),
    }


def desk_of(runtime: Runtime, **config: Any) -> TeaserDesk:
    """The running bot's teaser desk (short house tracks and quick retries unless told otherwise)."""
    desk = runtime.services.teasers
    assert desk is not None
    desk.config = replace(desk.config, **{"house_seconds": 3.0, "backoff_s": 0.05, **config})
    return desk


def channel_audio(standin: TelegramStandIn) -> list[ChatMessage]:
    """Every audio the bot posted in the channel."""
    return [m for m in standin.transcript(CHANNEL_ID) if m.from_bot and m.kind == "audio"]


async def post_daily(live_bot: LiveBot, **config: Any) -> TeaserResult:
    """Run the daily job at 18:00:05 on the bot's clock."""
    live_bot.clock.now = max(live_bot.clock.now, POSTING_TIME)
    return await daily_teaser(desk_of(live_bot.runtime, **config))


async def test_the_teaser_is_a_20_second_mp3_with_cover_caption_and_a_deep_link_that_composes(
    live_bot: LiveBot,
) -> None:
    result = await post_daily(live_bot, house_seconds=30.0)
    assert result.outcome == "posted" and result.teaser is not None
    (post,) = channel_audio(live_bot.standin)
    assert post.file is not None and post.file.data[:3] == b"ID3"
    samples, rate = decode_audio(post.file.data)
    assert abs(samples.shape[0] / rate - 20.0) < 0.1 and post.duration == 20
    assert post.thumbnail is not None and post.thumbnail.data[:2] == b"\xff\xd8"
    prompt = result.teaser.prompt
    assert prompt in PROMPTS and post.title == prompt[:1].upper() + prompt[1:] and post.performer == "CloudMusic · mock"
    assert prompt in post.content and "mock" in post.content
    (link,) = post.buttons
    assert link.text == "🎵 Make yours" and link.url == f"https://t.me/CloudMusicBot?start=teaser_{result.teaser.id}"

    payload = link.url.rsplit("start=", 1)[1]
    await live_bot.say(ADA, f"/start {payload}")
    offer = await live_bot.reply(ADA, lambda m: "channel teaser" in m.content)
    assert prompt in offer.content and "shared link" not in live_bot.standin.transcript(ADA)[-2].content
    await live_bot.standin.press_button(ADA, offer.message_id, button(offer, "tz:"))
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done"), timeout=15)
    (made,) = live_bot.audio_messages(ADA)
    assert prompt in made.content, "the listener's own track of the teaser's prompt"


@pytest.mark.parametrize("payload", ["teaser_999", "teaser_x1", "teaser_"])
async def test_an_unknown_or_garbled_teaser_link_gets_the_normal_welcome(live_bot: LiveBot, payload: str) -> None:
    reply = await live_bot.ask(ADA, f"/start {payload}", "Hi Ada")
    assert "shared link" in reply.content
    await live_bot.settled()
    assert not any("channel teaser" in m.content for m in live_bot.standin.transcript(ADA))


async def test_only_a_track_its_owner_shared_is_featured_and_the_owner_is_told(live_bot: LiveBot) -> None:
    mine = await track(live_bot, ADA, "secret sketch 2s")
    first = await post_daily(live_bot)
    assert first.teaser is not None and first.teaser.house
    assert "secret sketch" not in channel_audio(live_bot.standin)[-1].content, "no consent, no post"

    await live_bot.callback_answer(await live_bot.standin.press_button(ADA, mine.message_id, button(mine, "sh:")))
    live_bot.clock.advance(days=1)
    second = await post_daily(live_bot)
    assert second.teaser is not None and second.teaser.job_id is not None and not second.teaser.house
    featured = channel_audio(live_bot.standin)[-1]
    assert "secret sketch" in featured.content and featured.duration == 2, "shorter than 20 s: posted whole"
    told = await live_bot.reply(ADA, lambda m: "was featured in" in m.content)
    assert CHANNEL in told.content and "Secret sketch" in told.content
    assert len(channel_audio(live_bot.standin)) == 2


async def test_a_restart_the_same_day_does_not_post_again(tmp_path: Path, standin: TelegramStandIn) -> None:
    standin.add_channel(CHANNEL_ID, username=CHANNEL.removeprefix("@"))
    clock = Clock(POSTING_TIME - timedelta(hours=1))
    async with teaser_bot(tmp_path, standin, clock) as runtime:
        clock.now = POSTING_TIME
        assert (await daily_teaser(desk_of(runtime))).outcome == "posted"
    clock.advance(hours=2)
    async with catch_up_outcome() as outcome, teaser_bot(tmp_path, standin, clock):
        assert await outcome() == "taken"
    assert len(channel_audio(standin)) == 1


async def test_a_missed_posting_time_is_caught_up_once_at_start_up(tmp_path: Path, standin: TelegramStandIn) -> None:
    standin.add_channel(CHANNEL_ID, username=CHANNEL.removeprefix("@"))
    clock = Clock(POSTING_TIME + timedelta(hours=3))  # the bot was down at 18:00
    for expected in ("posted", "taken", "taken"):
        async with catch_up_outcome() as outcome, teaser_bot(tmp_path, standin, clock):
            assert await outcome() == expected
    assert len(channel_audio(standin)) == 1
    clock.advance(days=1, hours=-10)  # 11:00 the next day: not yet time, so no catch-up
    async with teaser_bot(tmp_path, standin, clock) as runtime:
        assert runtime.timed is not None and runtime.timed.scheduler.get_job("teaser-catch-up") is None
    assert len(channel_audio(standin)) == 1


async def test_a_flood_limit_then_success_posts_once(live_bot: LiveBot) -> None:
    live_bot.standin.inject_fault("sendAudio", kind="429", retry_after=1, chat_id=CHANNEL)
    result = await post_daily(live_bot)
    assert result.outcome == "posted" and len(channel_audio(live_bot.standin)) == 1
    sends = [c.status for c in live_bot.standin.calls if c.method == "sendAudio"]
    assert sends == [429, 200]


async def test_server_errors_are_retried_with_backoff_then_left_for_the_next_run(live_bot: LiveBot) -> None:
    live_bot.standin.inject_fault("sendAudio", kind="502", times=2, chat_id=CHANNEL)
    result = await post_daily(live_bot, max_attempts=3)
    assert result.outcome == "posted" and result.teaser is not None and result.teaser.attempts == 3
    live_bot.clock.advance(days=1)
    live_bot.standin.inject_fault("sendAudio", kind="500", times=3, chat_id=CHANNEL)
    failed = await post_daily(live_bot, max_attempts=3)
    assert failed.outcome == "failed" and len(channel_audio(live_bot.standin)) == 1
    again = await post_daily(live_bot, max_attempts=3)  # the next run, the same day
    assert again.outcome == "posted" and again.teaser is not None and failed.teaser is not None
    assert again.teaser.id == failed.teaser.id and len(channel_audio(live_bot.standin)) == 2


async def test_admin_teaser_posts_now_outside_the_daily_slot_and_is_unknown_to_others(live_bot: LiveBot) -> None:
    desk_of(live_bot.runtime)
    nope = await live_bot.ask(BOB, "/teaser", "/teaser")
    assert nope.content == (await live_bot.ask(BOB, "/nosuchcommand", "/nosuchcommand")).content.replace(
        "/nosuchcommand", "/teaser"
    ), "exactly the unknown-command answer"
    assert not channel_audio(live_bot.standin)
    done = await live_bot.ask(ADA, "/teaser", "posted to", timeout=15)
    assert CHANNEL in done.content and "house track" in done.content
    assert (await post_daily(live_bot)).outcome == "posted", "the daily slot was still free"
    assert len(channel_audio(live_bot.standin)) == 2
    audit = await AuditRepository(live_bot.runtime.core.db).recent()
    assert [(e.admin_id, e.action) for e in audit] == [(ADA, "teaser")], "only the admin's use is audited"


# --- helpers for restarts ---------------------------------------------------------------------------------------


@asynccontextmanager
async def teaser_bot(tmp_path: Path, standin: TelegramStandIn, clock: Clock) -> AsyncIterator[Runtime]:
    """A bot with the teaser channel, over ``tmp_path/data`` (kept across restarts), short house tracks."""
    settings = settings_for(
        tmp_path / "data", standin, teaser_channel=CHANNEL, teaser_time="18:00", teaser_timezone="UTC"
    )
    async with running_bot(settings, clock=clock, poll_timeout=1) as runtime:
        yield runtime


@asynccontextmanager
async def catch_up_outcome() -> AsyncIterator[Callable[[], Any]]:
    """Waits for the outcome the daily teaser job logs (the start-up catch-up runs in APScheduler's task)."""
    outcomes: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("daily teaser run: "):
                outcomes.append(record.getMessage().split(": ", 1)[1].split(" ")[0])

    handler, logger = Catch(), logging.getLogger("scheduler.timed")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    async def outcome() -> str:
        for _ in range(500):
            if outcomes:
                return outcomes[0]
            await asyncio.sleep(0.02)
        raise AssertionError("the catch-up did not run")

    try:
        yield outcome
    finally:
        logger.removeHandler(handler)

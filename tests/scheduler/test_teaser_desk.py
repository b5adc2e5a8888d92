"""The teaser desk against a real SQLite file, the mock engine, real ffmpeg and two test-only outboxes.

Nothing here knows Telegram: the same jobs post through an in-memory outbox and a folder-writing one, which is
the point of the ``Outbox`` seam. The fakes live in tests/scheduler/outboxes.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from engines import GenerationRequest, get_engine
from engines.audio import decode_audio, wav_bytes
from scheduler.outbox import Outbox, SendRejected, SendRetryable, SendUncertain
from scheduler.teaser import TeaserConfig, TeaserDesk
from storage import Database, Job, JobRepository, TeaserRepository, UserRepository
from tests.conftest import Clock
from tests.scheduler.outboxes import FakeWords, FolderOutbox, MemoryOutbox

BERLIN = ZoneInfo("Europe/Berlin")
CHANNEL = "@cloudmusic_teasers"
PROMPTS = ("calm piano sketch", "bright synth arpeggio", "slow dub pulse")
# 2026-11-21 is in winter time: Berlin is UTC+1, so 18:00 there is 17:00 UTC.
BEFORE = datetime(2026, 11, 21, 16, 59, tzinfo=UTC)
AFTER = datetime(2026, 11, 21, 17, 0, 5, tzinfo=UTC)


def config(**overrides: Any) -> TeaserConfig:
    """A Berlin 18:00 teaser with short house tracks and quick retries."""
    values: dict[str, Any] = {
        "channel": CHANNEL,
        "at": time(18, 0),
        "zone": BERLIN,
        "prompts": PROMPTS,
        "house_seconds": 3.0,
        "backoff_s": 5.0,
        **overrides,
    }
    return TeaserConfig(**values)


@dataclass
class Desk:
    """A desk and everything around it."""

    db: Database
    desk: TeaserDesk
    outbox: MemoryOutbox
    words: FakeWords
    clock: Clock
    sleeps: list[float]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database file."""
    async with await Database.open(tmp_path / "teasers.db") as database:
        yield database


def make_desk(
    db: Database,
    outbox: Outbox,
    clock: Clock,
    sleeps: list[float],
    words: FakeWords | None = None,
    **overrides: Any,
) -> TeaserDesk:
    """A desk over ``db`` with the mock engine (its words from ``words``, a fresh fake unless given); sleeping only
    records the wait."""

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return TeaserDesk(
        repo=TeaserRepository(db),
        engine=get_engine("mock"),
        outbox=outbox,
        words=words or FakeWords(),
        config=config(**overrides),
        clock=clock,
        sleep=sleep,
    )


@pytest.fixture
def desk(db: Database) -> Desk:
    """A desk with an in-memory outbox, at 18:00:05 Berlin time."""
    outbox, words, clock, sleeps = MemoryOutbox(), FakeWords(), Clock(AFTER), []
    return Desk(db, make_desk(db, outbox, clock, sleeps, words), outbox, words, clock, sleeps)


# --- listeners' tracks ------------------------------------------------------------------------------------------


async def delivered_job(
    db: Database, audio_dir: Path, owner: int, prompt: str, *, shared: bool, seconds: float = 2.0
) -> Job:
    """A delivered track of ``owner`` with its WAV on disk, shared to the channel or not."""
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    await UserRepository(db).seen(
        telegram_id=owner, fingerprint=f"fp-{owner}", first_name="X", username=None, language="en", now=now
    )
    jobs = JobRepository(db)
    async with db.transaction() as conn:
        job_id = await jobs.insert(
            conn,
            telegram_id=owner,
            fingerprint=f"fp-{owner}",
            chat_id=owner,
            prompt=prompt,
            engine="mock",
            funding="free",
            now=now,
        )
    track = await get_engine("mock").generate(GenerationRequest(prompt=prompt, duration=seconds, seed=job_id))
    await asyncio.to_thread(audio_dir.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread((audio_dir / f"job-{job_id}.wav").write_bytes, wav_bytes(track.samples, track.sample_rate))
    await db.execute("UPDATE jobs SET status = 'delivered' WHERE id = ?", (job_id,))
    await jobs.update(
        job_id,
        audio_path=str(audio_dir / f"job-{job_id}.mp3"),
        file_id=f"tg-{job_id}",
        model="mock-1",
        seed=job_id,
        license_id="CC0-1.0",
        commercial=1,
        shared_at=now if shared else None,
    )
    job = await jobs.get(job_id)
    assert job is not None
    return job


# --- when, and exactly once -------------------------------------------------------------------------------------


async def test_nothing_is_posted_before_the_local_posting_time(desk: Desk) -> None:
    desk.clock.now = BEFORE  # 17:59 in Berlin, although 18:00 has long passed in some other zones
    assert (await desk.desk.post_daily()).outcome == "not_due"
    assert desk.outbox.calls == 0
    desk.clock.now = AFTER
    result = await desk.desk.post_daily()
    assert result.outcome == "posted" and result.teaser is not None
    assert result.teaser.day == date(2026, 11, 21) and result.teaser.kind == "daily"


async def test_running_the_daily_job_again_the_same_day_posts_nothing(desk: Desk) -> None:
    first = await desk.desk.post_daily()
    desk.clock.advance(hours=5)  # 23:00 in Berlin, the same day
    again = await desk.desk.post_daily()
    assert first.outcome == "posted" and again.outcome == "taken"
    assert again.teaser is not None and first.teaser is not None and again.teaser.id == first.teaser.id
    assert len(desk.outbox.posts) == 1


async def test_a_restarted_or_second_instance_never_double_posts(db: Database, desk: Desk) -> None:
    second_instance = make_desk(db, desk.outbox, desk.clock, desk.sleeps)
    results = await asyncio.gather(desk.desk.post_daily(), second_instance.post_daily())
    assert sorted(r.outcome for r in results) == ["posted", "taken"]
    restarted = make_desk(db, desk.outbox, desk.clock, desk.sleeps)
    assert (await restarted.post_daily()).outcome == "taken"
    assert len(desk.outbox.posts) == 1


async def test_each_day_gets_its_own_teaser_and_house_prompts_rotate(desk: Desk) -> None:
    captions = []
    for _ in range(3):
        assert (await desk.desk.post_daily()).outcome == "posted"
        captions.append(desk.outbox.posts[-1][1].caption_html)
        desk.clock.advance(days=1)
    assert len(set(captions)) == 3 and all(c.split(" · ")[0] in PROMPTS for c in captions)
    assert [d for d, _ in desk.outbox.posts] == [CHANNEL] * 3


async def test_no_channel_means_no_teaser(db: Database) -> None:
    outbox = MemoryOutbox()
    quiet = make_desk(db, outbox, Clock(AFTER), [], channel=None)
    assert (await quiet.post_daily()).outcome == "no_channel"
    assert (await quiet.post_now()).outcome == "no_channel"
    assert outbox.calls == 0


# --- what is posted ---------------------------------------------------------------------------------------------


async def test_a_house_teaser_is_the_best_20_seconds_faded_as_an_mp3_with_cover_caption_and_link(desk: Desk) -> None:
    desk.desk.config = replace(desk.desk.config, house_seconds=30.0)
    result = await desk.desk.post_daily()
    assert result.teaser is not None and result.teaser.house and result.teaser.prompt in PROMPTS
    assert result.teaser.engine == "mock" and result.teaser.seed is not None
    post = desk.outbox.posts[0][1]
    samples, rate = decode_audio(post.audio)
    assert post.audio[:3] == b"ID3" and abs(samples.shape[0] / rate - 20.0) < 0.1 and post.duration == 20
    assert float(np.abs(samples[:64]).max()) < 0.05 and float(np.abs(samples[-2000:]).max()) < 0.05, "faded"
    assert post.cover is not None and post.cover[:2] == b"\xff\xd8"
    assert post.caption_html == f"{result.teaser.prompt} · mock" and post.performer == "CloudMusic · mock"
    assert [(b.text, b.url) for b in post.links] == [
        ("Make yours", f"https://t.me/TestBot?start=teaser_{result.teaser.id}")
    ]


async def test_only_a_track_its_owner_shared_is_featured_and_only_once(desk: Desk, tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    private = await delivered_job(desk.db, audio, 7, "my secret demo", shared=False)
    first = await desk.desk.post_daily()
    assert first.teaser is not None and first.teaser.house, "an unshared track is never posted"
    shared = await delivered_job(desk.db, audio, 8, "sunny ukulele song", shared=True)
    desk.clock.advance(days=1)
    second = await desk.desk.post_daily()
    assert second.teaser is not None and second.teaser.job_id == shared.id and not second.teaser.house
    assert desk.outbox.posts[-1][1].caption_html == "sunny ukulele song · mock"
    assert desk.outbox.posts[-1][1].duration == 2, "a track shorter than 20 s is posted whole"
    assert desk.words.featured_jobs == [(shared.id, second.teaser.id)]
    assert desk.outbox.texts == [(shared.chat_id, "featured: sunny ukulele song", True)], "the owner is told once"
    desk.clock.advance(days=1)
    third = await desk.desk.post_daily()
    assert third.teaser is not None and third.teaser.house, "a featured track is not featured again"
    assert all("my secret demo" not in post.caption_html for _, post in desk.outbox.posts)
    assert private.id not in {t.job_id for t in (first.teaser, second.teaser, third.teaser)}


async def test_a_shared_track_of_a_banned_owner_or_without_audio_is_skipped(desk: Desk, tmp_path: Path) -> None:
    db = desk.db
    banned = await delivered_job(db, tmp_path / "audio", 9, "banned owner", shared=True)
    await db.execute("UPDATE users SET banned = 1 WHERE telegram_id = 9")
    gone = await delivered_job(db, tmp_path / "audio", 10, "files deleted", shared=True)
    (tmp_path / "audio" / f"job-{gone.id}.wav").unlink()
    result = await desk.desk.post_daily()
    assert result.teaser is not None and result.teaser.house
    assert banned.id != result.teaser.job_id


# --- failures ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected_waits"),
    [
        ((SendRetryable("429", retry_after=7), SendRetryable("502")), [7.0, 10.0]),
        ((SendRetryable("500"),), [5.0]),
    ],
)
async def test_a_refused_post_is_retried_with_backoff_honouring_retry_after(
    desk: Desk, script: tuple[Exception, ...], expected_waits: list[float]
) -> None:
    desk.outbox.script = list(script)
    result = await desk.desk.post_daily()
    assert result.outcome == "posted" and result.teaser is not None
    assert desk.sleeps == expected_waits and result.teaser.attempts == len(script) + 1
    assert len(desk.outbox.posts) == 1 and result.teaser.message_id == 1


async def test_after_the_last_attempt_the_day_is_left_failed_and_a_later_run_posts_it(desk: Desk) -> None:
    desk.outbox.script = [SendRetryable("502")] * 4
    failed = await desk.desk.post_daily()
    assert failed.outcome == "failed" and failed.teaser is not None and failed.teaser.status == "failed"
    assert desk.sleeps == [5.0, 10.0, 20.0] and not desk.outbox.posts
    desk.clock.advance(minutes=30)  # e.g. a start-up later the same day
    later = await desk.desk.post_daily()
    assert later.outcome == "posted" and later.teaser is not None and later.teaser.id == failed.teaser.id
    assert later.teaser.attempts == 5 and len(desk.outbox.posts) == 1


async def test_a_retry_after_longer_than_the_longest_backoff_ends_the_run(desk: Desk) -> None:
    desk.outbox.script = [SendRetryable("429", retry_after=3600)]
    result = await desk.desk.post_daily()
    assert result.outcome == "failed" and desk.sleeps == [] and desk.outbox.calls == 1


async def test_a_rejected_post_is_not_retried(desk: Desk) -> None:
    desk.outbox.script = [SendRejected("chat not found")]
    result = await desk.desk.post_daily()
    assert result.outcome == "failed" and desk.outbox.calls == 1 and desk.sleeps == []
    assert result.teaser is not None and result.teaser.error == "chat not found"


async def test_a_post_that_may_have_gone_out_is_never_retried(desk: Desk) -> None:
    desk.outbox.script = [SendUncertain("timed out")]
    result = await desk.desk.post_daily()
    assert result.outcome == "uncertain" and result.teaser is not None and result.teaser.status == "sending"
    desk.clock.advance(hours=4)  # long past any lease
    assert (await desk.desk.post_daily()).outcome == "taken"
    assert desk.outbox.calls == 1


async def test_a_claim_abandoned_while_preparing_is_taken_over_only_after_the_lease(desk: Desk) -> None:
    crashed = await desk.desk.repo.claim_daily(CHANNEL, date(2026, 11, 21), AFTER, stale_before=AFTER)
    assert crashed is not None and crashed.status == "preparing"
    desk.clock.advance(minutes=5)
    assert (await desk.desk.post_daily()).outcome == "taken", "it may still be working"
    desk.clock.advance(minutes=15)
    result = await desk.desk.post_daily()
    assert result.outcome == "posted" and result.teaser is not None and result.teaser.id == crashed.id


async def test_a_slow_run_whose_claim_was_taken_over_does_not_post(db: Database, desk: Desk) -> None:
    desk.desk.config = replace(desk.desk.config, prompts=("[slow:2] very slow drone",))
    slow = asyncio.create_task(desk.desk.post_daily())
    async with asyncio.timeout(10):  # until the slow run has claimed the day (it is generating now)
        while (claim := await desk.desk.repo.get(1)) is None or claim.status != "preparing":
            await asyncio.sleep(0.01)
    desk.clock.advance(minutes=16)  # its claim now looks abandoned
    other = make_desk(db, desk.outbox, desk.clock, desk.sleeps)
    taken_over = await other.post_daily()
    assert taken_over.outcome == "posted"
    slow_result = await slow
    assert slow_result.outcome == "taken" and len(desk.outbox.posts) == 1
    assert slow_result.teaser is not None and slow_result.teaser.prompt in PROMPTS, "the post's prompt is kept"


async def test_a_run_waiting_to_retry_after_its_claim_was_taken_over_does_not_post(db: Database, desk: Desk) -> None:
    resume, waiting_to_retry = asyncio.Event(), asyncio.Event()

    async def long_wait(seconds: float) -> None:
        waiting_to_retry.set()
        await resume.wait()

    desk.outbox.script = [SendRetryable("429", retry_after=60)]
    waiting = TeaserDesk(
        repo=TeaserRepository(db), engine=get_engine("mock"), outbox=desk.outbox, words=FakeWords(),
        config=config(), clock=desk.clock, sleep=long_wait,
    )  # fmt: skip
    first = asyncio.create_task(waiting.post_daily())
    await asyncio.wait_for(waiting_to_retry.wait(), 10)  # refused once; now waiting for its retry
    assert desk.outbox.calls == 1
    desk.clock.advance(minutes=16)
    assert (await make_desk(db, desk.outbox, desk.clock, []).post_daily()).outcome == "posted"
    resume.set()
    assert (await first).outcome == "taken"
    assert len(desk.outbox.posts) == 1 and desk.outbox.calls == 2


async def test_two_runs_at_once_never_feature_the_same_shared_track(db: Database, desk: Desk, tmp_path: Path) -> None:
    shared = await delivered_job(db, tmp_path / "audio", 8, "the one shared song", shared=True)
    other = make_desk(db, desk.outbox, desk.clock, [])
    daily, extra = await asyncio.gather(desk.desk.post_daily(), other.post_now())
    assert daily.teaser is not None and extra.teaser is not None
    assert sorted([daily.teaser.job_id is None, extra.teaser.job_id is None]) == [False, True]
    assert [p.caption_html for _, p in desk.outbox.posts].count("the one shared song · mock") == 1
    assert shared.id in (daily.teaser.job_id, extra.teaser.job_id)


async def test_an_engine_failure_leaves_the_day_for_a_later_run(desk: Desk) -> None:
    desk.desk.config = replace(desk.desk.config, prompts=("[fail] broken synth",))
    failed = await desk.desk.post_daily()
    assert failed.outcome == "failed" and desk.outbox.calls == 0
    desk.desk.config = replace(desk.desk.config, prompts=PROMPTS)
    assert (await desk.desk.post_daily()).outcome == "posted"


# --- extra posts and deep links ---------------------------------------------------------------------------------


async def test_an_admin_post_is_outside_the_daily_slot(desk: Desk) -> None:
    manual = [await desk.desk.post_now(), await desk.desk.post_now()]
    assert [m.outcome for m in manual] == ["posted", "posted"]
    assert all(m.teaser is not None and m.teaser.kind == "manual" and m.teaser.day is None for m in manual)
    assert (await desk.desk.post_daily()).outcome == "posted"
    assert len(desk.outbox.posts) == 3


async def test_only_a_posted_teaser_is_a_deep_link_target(desk: Desk) -> None:
    desk.outbox.script = [SendRejected("no rights")]
    failed = await desk.desk.post_now()
    posted = await desk.desk.post_now()
    assert failed.teaser is not None and posted.teaser is not None
    assert await desk.desk.find_posted(failed.teaser.id) is None
    assert await desk.desk.find_posted(posted.teaser.id + 100) is None
    found = await desk.desk.find_posted(posted.teaser.id)
    assert found is not None and found.prompt in PROMPTS


# --- the second outbox: same jobs, another destination ---------------------------------------------------------


async def test_the_same_jobs_post_through_a_folder_outbox(db: Database, tmp_path: Path) -> None:
    folder = FolderOutbox(tmp_path / "published")
    clock = Clock(AFTER)
    on_disk = make_desk(db, folder, clock, [])
    assert (await on_disk.post_daily()).outcome == "posted"
    assert (await on_disk.post_daily()).outcome == "taken"
    posts = folder.posts(CHANNEL)
    assert len(posts) == 1 and posts[0]["caption"].split(" · ")[0] in PROMPTS
    assert posts[0]["links"][0][1].startswith("https://t.me/TestBot?start=teaser_")
    mp3 = (tmp_path / "published" / "cloudmusic_teasers" / "1.mp3").read_bytes()
    assert abs(decode_audio(mp3)[0].shape[0] / 44_100 - 3.0) < 0.1

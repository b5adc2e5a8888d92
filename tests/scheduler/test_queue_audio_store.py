"""The queue with its track files in S3 (moto on loopback): delivered from the bucket, and a store that cannot be
reached fails the job cleanly (credit released, the person told) instead of wedging a worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

from scheduler.delivery import FailureReason
from storage import Database, LedgerRepository
from storage.audio_s3 import S3AudioStore
from tests.s3_server import S3Server
from tests.scheduler.test_queue import FP, RecordingDelivery, db, make_queue, spec

__all__ = ["db"]  # the database fixture, shared with test_queue


async def test_a_track_is_written_to_the_bucket_and_recorded_by_its_s3_url(
    db: Database, tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    delivery = RecordingDelivery()
    store = S3AudioStore(s3_bucket, "q", endpoint_url=s3_server.endpoint_url)
    queue = make_queue(db, tmp_path, delivery, audio_store=store)
    await queue.start()
    try:
        sub = await queue.submit(spec("warm house"), banned=False)
        await asyncio.wait_for(delivery.done.wait(), 10)
    finally:
        await queue.stop()
    assert sub.job is not None
    job = await queue.jobs.get(sub.job.id)
    assert job is not None and job.status == "delivered"
    assert job.audio_path == f"s3://{s3_bucket}/q/job-{job.id}.mp3"
    keys = await asyncio.to_thread(s3_server.keys, s3_bucket)
    assert keys == [f"q/job-{job.id}.{suffix}" for suffix in ("jpg", "mp3", "wav")]
    assert not (tmp_path / "audio").exists(), "nothing written to the local folder"


async def test_an_unreachable_store_fails_the_job_and_releases_the_credit(db: Database, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    closed = S3AudioStore("cloudmusic-audio", endpoint_url="http://127.0.0.1:9")  # discard port: refused
    queue = make_queue(db, tmp_path, delivery, audio_store=closed)
    await queue.start()
    try:
        sub = await queue.submit(spec("warm house"), banned=False)
        await asyncio.wait_for(delivery.settled.wait(), 30)
    finally:
        await queue.stop()
    assert sub.job is not None
    assert delivery.events[-1] == ("failed", sub.job.id, FailureReason.INTERNAL)
    job = await queue.jobs.get(sub.job.id)
    assert job is not None and job.status == "failed" and "audio store" in (job.error or "")
    assert await LedgerRepository(db).balance(FP, "free") == 0, "reserve and release cancel out"

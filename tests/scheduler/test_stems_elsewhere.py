"""Stems re-rendered by a worker for a front core that renders nothing (WORKERS_IN_BOT=false, procrastinate): the
press is answered "being prepared", a worker makes the archives and hands them to its stems courier; without one, a
render the worker could not do is explained at the next press (the press after asks again)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.core import Core, build_core
from compose.studio import Gone, Requester, StemsPreparing
from engines.mock import MockEngine
from scheduler.queue import StemsCourier
from scheduler.tracks import StemsFailure, sendable_stems
from storage import Job
from storage.audio import AudioStore
from storage.pgqueue import STEMS
from tests.scheduler.test_pgqueue import GRACE, backend, meet, pg_settings, wait_for
from tests.scheduler.test_queue import RecordingDelivery


async def test_a_worker_makes_the_stems_the_front_was_asked_for_and_the_next_press_gets_them(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = pg_settings(tmp_path, postgres_url)
    front = await build_core(settings)
    worker = await build_core(settings, worker=True)
    courier = RecordingCourier()
    try:
        who, job_id = await _delivered(front, worker, "lofi study beat 1s", courier)
        with pytest.raises(StemsPreparing) as preparing:
            await front.studio.stems_archive(who, job_id)
        assert preparing.value.key == "track.stems_queued"
        await asyncio.wait_for(courier.called.wait(), timeout=20)
        assert courier.calls == [("ready", job_id)]  # handed over to the person (bot.stems_courier sends them)
        assert await _has_stems(front.audio, job_id)
        assert await front.studio.stems_archive(who, job_id) == [f"job-{job_id}-stems.zip"]
    finally:
        await worker.close()
        await front.close()


async def test_stems_a_worker_could_not_make_are_explained_at_the_next_press_and_the_press_after_asks_again(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = pg_settings(tmp_path, postgres_url)
    front = await build_core(settings)
    patient = await build_core(settings, worker=True)
    try:
        who, job_id = await _delivered(front, patient, "slow song [slow:0.5] 1s", None)
    finally:
        await patient.close()
    # A worker whose engine gives up after 0.1 s cannot re-render the half-second track.
    impatient = await build_core(pg_settings(tmp_path, postgres_url, generation_timeout=0.1), worker=True)
    try:
        await impatient.start_workers(RecordingDelivery())
        with pytest.raises(StemsPreparing):
            await front.studio.stems_archive(who, job_id)
        await wait_for(lambda: front.audio.exists(f"job-{job_id}-stems.failed"))
        with pytest.raises(Gone) as failed:
            await front.studio.stems_archive(who, job_id)
        assert failed.value.key == "track.gone"
        with pytest.raises(StemsPreparing):  # told once; the next press asks a worker again
            await front.studio.stems_archive(who, job_id)
    finally:
        await impatient.close()
        await front.close()


class RecordingCourier:
    """A stems courier that records what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.called = asyncio.Event()

    async def stems_ready(self, job: Job) -> None:
        self.calls.append(("ready", job.id))
        self.called.set()

    async def stems_failed(self, job: Job, reason: StemsFailure) -> None:
        self.calls.append((reason, job.id))
        self.called.set()


class StalledCourier(RecordingCourier):
    """A stems courier whose upload never ends (Telegram hanging) until its worker is stopped."""

    def __init__(self) -> None:
        super().__init__()
        self.uploading = asyncio.Event()

    async def stems_ready(self, job: Job) -> None:
        self.uploading.set()
        await asyncio.Event().wait()


async def _has_stems(store: AudioStore, job_id: int) -> bool:
    return bool(await sendable_stems(store, f"job-{job_id}"))


async def test_a_stems_render_cut_off_by_a_worker_shutting_down_is_finished_by_the_next_worker_and_sent_once(
    tmp_path: Path, postgres_url: str
) -> None:
    """Shutdown grace runs out mid-render: the stems request goes back to procrastinate, the next worker renders
    them and its courier sends them, once."""
    settings = pg_settings(tmp_path, postgres_url, shutdown_grace=GRACE)
    front = await build_core(settings)
    first, first_courier = await build_core(settings, worker=True), RecordingCourier()
    try:
        who, job_id = await _delivered(front, first, "slow song [slow:2] 1s", first_courier)
        renders = _renders(first)
        with pytest.raises(StemsPreparing):
            await front.studio.stems_archive(who, job_id)
        await wait_for(lambda: _async(_renders(first) > renders))  # the stems render has begun (2 s)
        await first.close()
        assert first_courier.calls == []
        second, second_courier = await build_core(settings, worker=True), RecordingCourier()
        try:
            await second.start_workers(RecordingDelivery(), second_courier)
            await asyncio.wait_for(second_courier.called.wait(), timeout=30)
            await wait_for(lambda: _no_stems_work(front))
        finally:
            await second.close()
        assert second_courier.calls == [("ready", job_id)] and first_courier.calls == []
        assert await _has_stems(front.audio, job_id)
    finally:
        await first.close()
        await front.close()


async def test_stems_made_but_not_yet_sent_when_a_worker_shuts_down_are_sent_by_the_next_worker(
    tmp_path: Path, postgres_url: str
) -> None:
    """The archives are in the store but the upload hangs when the grace runs out: the retried request finds them
    made and the next worker's courier sends them (it must not take them for a press already answered)."""
    settings = pg_settings(tmp_path, postgres_url, shutdown_grace=GRACE)
    front = await build_core(settings)
    first, stalled = await build_core(settings, worker=True), StalledCourier()
    try:
        who, job_id = await _delivered(front, first, "lofi study beat 1s", stalled)
        with pytest.raises(StemsPreparing):
            await front.studio.stems_archive(who, job_id)
        await asyncio.wait_for(stalled.uploading.wait(), timeout=20)
        await first.close()
        second, second_courier = await build_core(settings, worker=True), RecordingCourier()
        try:
            await second.start_workers(RecordingDelivery(), second_courier)
            await asyncio.wait_for(second_courier.called.wait(), timeout=30)
            await wait_for(lambda: _no_stems_work(front))
        finally:
            await second.close()
        assert second_courier.calls == [("ready", job_id)]
    finally:
        await first.close()
        await front.close()


async def _delivered(front: Core, worker: Core, prompt: str, courier: StemsCourier | None) -> tuple[Requester, int]:
    """Ada asks ``front`` for ``prompt``; ``worker`` (started with ``courier``) delivers it: her and the job's id."""
    who = await meet(front)
    submission = await front.studio.compose(who, prompt)
    assert submission.job is not None
    delivery = RecordingDelivery()
    await worker.start_workers(delivery, courier)
    await asyncio.wait_for(delivery.done.wait(), timeout=30)
    return who, submission.job.id


def _renders(core: Core) -> int:
    engine = core.engine
    assert isinstance(engine, MockEngine)
    return engine.renders


async def _async(value: bool) -> bool:
    return value


async def _no_stems_work(core: Core) -> bool:
    """No stems request is waiting or running in procrastinate."""
    manager = backend(core)._app.job_manager
    for status in ("todo", "doing"):
        if list(await manager.list_jobs_async(task=STEMS, status=status)):
            return False
    return True

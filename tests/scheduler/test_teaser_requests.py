"""An admin's /teaser asked of a front core that renders nothing (WORKERS_IN_BOT=false, procrastinate): queued once
per chat while it waits, run by a worker with the chat and the admin to report to. The posting and the report in the
chat are proved end to end in tests/worker/test_renders_elsewhere.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core import build_core
from tests.scheduler.test_pgqueue import pg_settings, wait_for
from tests.scheduler.test_queue import RecordingDelivery

ADMIN, CHAT, OTHER_CHAT = 1001, 1001, 2002


async def test_a_teaser_asked_twice_from_a_chat_is_queued_once_and_a_worker_runs_it_for_that_chat(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = pg_settings(tmp_path, postgres_url)
    front = await build_core(settings)
    worker = await build_core(settings, worker=True)
    runs: list[tuple[int, int]] = []

    async def post_teaser(chat_id: int, admin_id: int) -> None:
        runs.append((chat_id, admin_id))

    try:
        assert await front.queue.request_teaser(CHAT, ADMIN, engine="mock")
        assert not await front.queue.request_teaser(CHAT, ADMIN, engine="mock")  # one waiting per chat
        assert await front.queue.request_teaser(OTHER_CHAT, ADMIN, engine="mock")
        await worker.start_workers(RecordingDelivery(), None, post_teaser)
        await wait_for(lambda: _done(len(runs) == 2))
        assert sorted(runs) == [(CHAT, ADMIN), (OTHER_CHAT, ADMIN)]
        assert await front.queue.request_teaser(CHAT, ADMIN, engine="mock")  # run: the chat may ask again
        await wait_for(lambda: _done(len(runs) == 3))
    finally:
        await worker.close()
        await front.close()


async def _done(value: bool) -> bool:
    await asyncio.sleep(0)
    return value

"""The /start demo: a short house track the engine renders once; afterwards Telegram re-sends it by file id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from engines import Engine, GenerationRequest
from scheduler.delivery import TrackFiles
from scheduler.tracks import write_track_files
from storage import Database
from storage.audio import AudioStore
from storage.demo import DemoRepository

DEMO_NAME = "house-v1"
DEMO_REQUEST = GenerationRequest(prompt="sunny house 124 bpm", duration=8.0, seed=124, bpm=124.0, genre="house")

#: Sends the demo (files on the first call, the stored file id afterwards) and returns Telegram's file id.
Send = Callable[[TrackFiles | str], Awaitable[str]]


class DemoTrack:
    """Plays the demo: renders and uploads it the first time, re-sends the stored file id ever after."""

    def __init__(self, *, db: Database, engine: Engine, audio: AudioStore, clock: Callable[[], datetime]) -> None:
        self._repo, self._engine, self._audio, self._clock = DemoRepository(db), engine, audio, clock
        self._lock = asyncio.Lock()  # two first /starts at once render it once

    async def play(self, send: Send) -> None:
        """Send the demo with ``send``; raises the engine's or the transport's error if it cannot."""
        file_id = await self._repo.file_id(DEMO_NAME)
        if file_id is not None:
            await send(file_id)
            return
        async with self._lock:
            file_id = await self._repo.file_id(DEMO_NAME)
            if file_id is not None:
                await send(file_id)
                return
            track = await self._engine.generate(DEMO_REQUEST)
            files = await write_track_files(track, self._audio, f"demo-{DEMO_NAME}", prompt=DEMO_REQUEST.prompt)
            await self._repo.remember(DEMO_NAME, await send(files), self._clock())

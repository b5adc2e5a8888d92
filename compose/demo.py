"""The /start demo: a short house track rendered once; afterwards Telegram re-sends it by file id.

Where the bot renders nothing (its workers run elsewhere, ``WORKERS_IN_BOT=false``), a worker renders the demo into
the audio store as it starts (:meth:`DemoTrack.prepare`) and the bot uploads it from there; until it is there, /start
goes on without it (:meth:`DemoTrack.play` answers False, and the handler sends the example buttons alone).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from engines import Engine, GenerationRequest
from scheduler.delivery import TrackFiles
from scheduler.tracks import files_for, write_track_files
from storage import Database
from storage.audio import AudioStore
from storage.demo import DemoRepository

DEMO_NAME = "house-v1"
DEMO_REQUEST = GenerationRequest(prompt="sunny house 124 bpm", duration=8.0, seed=124, bpm=124.0, genre="house")
#: What the demo's files are called in the audio store (``demo-house-v1.mp3``…).
DEMO_STEM = f"demo-{DEMO_NAME}"

#: Sends the demo (files on the first call, the stored file id afterwards) and returns Telegram's file id.
Send = Callable[[TrackFiles | str], Awaitable[str]]


class DemoTrack:
    """Plays the demo: uploads it the first time (rendered here, or by a worker), re-sends the file id ever after."""

    def __init__(
        self,
        *,
        db: Database,
        engine: Engine,
        audio: AudioStore,
        clock: Callable[[], datetime],
        renders_here: bool = True,
    ) -> None:
        self._repo, self._engine, self._audio, self._clock = DemoRepository(db), engine, audio, clock
        self._renders_here = renders_here  # False: a worker renders it (prepare); this process only uploads it
        self._lock = asyncio.Lock()  # two first /starts at once render it once

    async def play(self, send: Send) -> bool:
        """Send the demo with ``send``: True once sent; False where a worker renders it and has not yet (nothing
        sent). Raises the engine's or the transport's error if it cannot."""
        file_id = await self._repo.file_id(DEMO_NAME)
        if file_id is not None:
            await send(file_id)
            return True
        async with self._lock:
            file_id = await self._repo.file_id(DEMO_NAME)
            if file_id is not None:
                await send(file_id)
                return True
            files = await self._stored()
            if files is None:
                if not self._renders_here:
                    return False
                files = await self._write()
            await self._repo.remember(DEMO_NAME, await send(files), self._clock())
            return True

    async def prepare(self) -> bool:
        """Render the demo into the audio store unless it was sent or stored before (a worker's start-up, for bots
        that render nothing); True when it was rendered now."""
        async with self._lock:
            if await self._repo.file_id(DEMO_NAME) is not None or await self._stored() is not None:
                return False
            await self._write()
            return True

    async def _stored(self) -> TrackFiles | None:
        return await files_for(
            self._audio, DEMO_STEM, prompt=DEMO_REQUEST.prompt, engine=self._engine.name, duration=DEMO_REQUEST.duration
        )

    async def _write(self) -> TrackFiles:
        track = await self._engine.generate(DEMO_REQUEST)
        return await write_track_files(track, self._audio, DEMO_STEM, prompt=DEMO_REQUEST.prompt)

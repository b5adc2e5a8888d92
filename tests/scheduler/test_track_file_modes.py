"""A track's files on disk are private to the bot's user: 0600 files in a 0700 directory, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

from engines import EngineOptions, GenerationRequest, get_engine
from scheduler.tracks import write_stems_zip, write_track_files
from storage.audio import LocalAudioStore


async def test_track_files_and_their_directory_are_created_private_whatever_the_umask(tmp_path: Path) -> None:
    engine = get_engine("mock", EngineOptions())
    try:
        track = await engine.generate(GenerationRequest("warm house", duration=1.0, seed=1, stems=True))
    finally:
        await engine.aclose()
    audio = tmp_path / "audio"
    old = os.umask(0o022)  # the usual default: without explicit modes, files would be 0644 and directories 0755
    try:
        store = LocalAudioStore(audio)
        files = await write_track_files(track, store, "job-1", prompt="warm house")
        [extra] = await write_stems_zip(track, store, "job-1-again")
    finally:
        os.umask(old)
    assert audio.stat().st_mode & 0o777 == 0o700
    keys = [files.mp3, files.wav, files.cover, extra, *([files.stems_zip] if files.stems_zip else [])]
    written = [store.path(key) for key in keys]
    assert {p.name: p.stat().st_mode & 0o777 for p in written} == {p.name: 0o600 for p in written}
    assert sorted(p.name for p in audio.iterdir()) == sorted(p.name for p in written)

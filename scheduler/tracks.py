"""Turning a generated track into the files a messenger sends: MP3 (tagged), WAV, cover JPEG, stems ZIP."""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from pathlib import Path

from engines.audio import cover_jpeg_async, encode_mp3_async, encode_wav_async, wav_bytes
from engines.base import GeneratedTrack
from scheduler.delivery import TrackFiles

MAX_TITLE = 64


def title_for(prompt: str) -> str:
    """A track title from its prompt: first words, capitalised, at most 64 characters."""
    words = prompt.split()
    title = ""
    for word in words:
        candidate = f"{title} {word}".strip()
        if len(candidate) > MAX_TITLE:
            break
        title = candidate
    title = title or prompt[:MAX_TITLE]
    return title[:1].upper() + title[1:]


def performer_for(engine: str) -> str:
    """The performer tag: ``CloudMusic · <engine>``."""
    return f"CloudMusic · {engine}"


async def write_track_files(
    track: GeneratedTrack, directory: Path, stem: str, *, prompt: str, mood: str | None = None
) -> TrackFiles:
    """Encode and write every file of a track under ``directory`` (blocking work runs in threads)."""
    await asyncio.to_thread(directory.mkdir, 0o700, parents=True, exist_ok=True)  # people's tracks: owner only
    title, performer = title_for(prompt), performer_for(track.engine)
    mp3, wav, cover = await asyncio.gather(
        encode_mp3_async(track, title=title, artist=performer),
        encode_wav_async(track),
        cover_jpeg_async(track.samples, track.sample_rate, mood=mood),
    )
    paths = {"mp3": directory / f"{stem}.mp3", "wav": directory / f"{stem}.wav", "jpg": directory / f"{stem}.jpg"}
    for suffix, data in (("mp3", mp3), ("wav", wav), ("jpg", cover)):
        await asyncio.to_thread(_write_atomically, paths[suffix], data)
    stems_zip = None
    if track.stems:
        stems_zip = directory / f"{stem}-stems.zip"
        await asyncio.to_thread(_write_stems, track, stems_zip)
    return TrackFiles(
        mp3=paths["mp3"],
        wav=paths["wav"],
        cover=paths["jpg"],
        stems_zip=stems_zip,
        title=title,
        performer=performer,
        duration=max(1, round(track.duration)),
    )


def files_for(directory: Path, stem: str, *, prompt: str, engine: str, duration: float | None) -> TrackFiles | None:
    """The files of an earlier track, when they are still on disk."""
    mp3, wav, cover = (directory / f"{stem}.{suffix}" for suffix in ("mp3", "wav", "jpg"))
    if not mp3.exists():
        return None
    stems = directory / f"{stem}-stems.zip"
    return TrackFiles(
        mp3,
        wav,
        cover,
        stems if stems.exists() else None,
        title_for(prompt),
        performer_for(engine),
        max(1, round(duration or 0)),
    )


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".part")
    try:
        # Created 0600 in one step: no moment when another local user could open someone's track.
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        # On a full disk the half-written file would keep the space the database needs to release the credit.
        tmp.unlink(missing_ok=True)
        raise


async def write_stems_zip(track: GeneratedTrack, path: Path) -> Path:
    """Write the track's stems as a ZIP of WAVs at ``path`` (off the event loop); returns the path."""
    await asyncio.to_thread(_write_stems, track, path)
    return path


def _write_stems(track: GeneratedTrack, path: Path) -> None:
    assert track.stems is not None
    buffer = io.BytesIO()
    # Level 1: PCM barely compresses past it (14.5 vs 14.4 MB for 30 s of synth stems) at ~70 % of level 6's time.
    # Stored, not deflated: 16-bit PCM barely compresses (a few %), and deflating cost ~19 ms of the ~66 ms a job may
    # take for 30 generations/s (bench/results.md).
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, samples in sorted(track.stems.items()):
            archive.writestr(f"{name}.wav", wav_bytes(samples, track.sample_rate))
    _write_atomically(path, buffer.getvalue())

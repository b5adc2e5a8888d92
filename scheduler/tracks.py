"""Turning a generated track into the files a messenger sends: MP3 (tagged), WAV, cover JPEG, stems ZIP."""

from __future__ import annotations

import asyncio
import io
import logging
import unicodedata
import zipfile
from typing import Literal

from engines.audio import cover_jpeg_async, encode_flac_async, encode_wav_async, mp3_frames_async, mp3_tag
from engines.base import GeneratedTrack
from scheduler.delivery import TrackFiles
from storage.audio import AudioStore
from storage.errors import AudioMissing

log = logging.getLogger(__name__)

MAX_TITLE = 64
#: The largest file the bot uploads. The Bot API lets bots send files "of up to 50 MB" (sendDocument/sendAudio in
#: standin/telegram-bot-api.json; 413 "Request Entity Too Large" beyond, PITFALLS.md). Counted in decimal MB
#: (2.4 MB under 50 MiB), which leaves room in the request for a thumbnail (≤ 200 kB) and the other fields.
UPLOAD_LIMIT = 50_000_000
#: Punctuation a title or file name should not end on ("Dark techno!!!" → "Dark techno"). Closing brackets and
#: quotes stay (they close something), and so do ``#`` (a key: "in C#") and ``%`` / ``&`` / ``@`` / ``*``.
_KEEP_AT_END = frozenset("#%&@*'\"")
_TRAILING_CATEGORIES = frozenset({"Po", "Pd", "Pc", "Ps", "Pi"})
#: Characters a file name may not hold on some system (Windows' reserved set and the path separators).
_NOT_IN_FILE_NAMES = str.maketrans({ch: " " for ch in '/\\:*?"<>|'})


def visible(text: str) -> str:
    """``text`` without invisible characters (Unicode Cf: zero-width, bidi overrides and isolates, BOM; and Cc
    controls, which become spaces), whitespace collapsed: what a title or a file name may show."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif category != "Cf":
            kept.append(ch)
    return " ".join("".join(kept).split())


def _without_trailing_punctuation(text: str) -> str:
    end = len(text)
    while end and (
        text[end - 1].isspace()
        or (unicodedata.category(text[end - 1]) in _TRAILING_CATEGORIES and text[end - 1] not in _KEEP_AT_END)
    ):
        end -= 1
    return text[:end]


def title_for(prompt: str) -> str:
    """A track title from its prompt: first words, capitalised, at most 64 characters, no invisible characters
    and no trailing punctuation ("CloudMusic" when nothing visible is left)."""
    words = visible(prompt).split()
    title = ""
    for word in words:
        candidate = f"{title} {word}".strip()
        if len(candidate) > MAX_TITLE:
            break
        title = candidate
    title = _without_trailing_punctuation(title or " ".join(words)[:MAX_TITLE]) or "CloudMusic"
    return title[:1].upper() + title[1:]


def file_name_for(title: str, suffix: str) -> str:
    """A file name for a document: the title without invisible characters, characters file systems refuse and
    trailing punctuation, then ``suffix`` (e.g. ``.wav``); "track" when nothing is left."""
    base = _without_trailing_punctuation(visible(title.translate(_NOT_IN_FILE_NAMES))[:MAX_TITLE]).rstrip(".")
    return f"{base or 'track'}{suffix}"


def performer_for(engine: str) -> str:
    """The performer tag: ``CloudMusic · <engine>``."""
    return f"CloudMusic · {engine}"


async def write_track_files(
    track: GeneratedTrack, store: AudioStore, stem: str, *, prompt: str, mood: str | None = None
) -> TrackFiles:
    """Encode every file of a track and put it in the audio store under ``<stem>.mp3`` / ``.wav`` / ``.jpg``
    (and ``<stem>-stems.zip``…); the encoding runs in threads."""
    title, performer = title_for(prompt), performer_for(track.engine)
    frames, wav, cover = await asyncio.gather(
        mp3_frames_async(track),
        encode_wav_async(track),
        cover_jpeg_async(track.samples, track.sample_rate, mood=mood),
    )
    mp3 = mp3_tag(track, title=title, artist=performer, cover=cover) + frames  # the cover also as embedded art
    keys = {suffix: f"{stem}.{suffix}" for suffix in ("mp3", "wav", "jpg")}
    # The MP3 goes last: its presence is what a restart (files_for) takes as "the track is all there".
    for suffix, data in (("wav", wav), ("jpg", cover), ("mp3", mp3)):
        await store.put(keys[suffix], data)
    stems_zip = None
    if track.stems:
        try:
            stems_zip = (await write_stems_zip(track, store, stem))[0]
        except TooBigToSend as exc:  # the track itself still goes out; its Stems button is not offered
            log.warning("the stems of %s are not kept: %s", stem, exc)
    return TrackFiles(
        mp3=keys["mp3"],
        wav=keys["wav"],
        cover=keys["jpg"],
        stems_zip=stems_zip,
        title=title,
        performer=performer,
        duration=max(1, round(track.duration)),
        store=store,
    )


async def files_for(
    store: AudioStore, stem: str, *, prompt: str, engine: str, duration: float | None
) -> TrackFiles | None:
    """The files of an earlier track, when they are still in the store."""
    mp3, wav, cover = (f"{stem}.{suffix}" for suffix in ("mp3", "wav", "jpg"))
    if not await store.exists(mp3):
        return None
    stems = f"{stem}-stems.zip"
    return TrackFiles(
        mp3,
        wav,
        cover,
        stems if await store.exists(stems) else None,
        title_for(prompt),
        performer_for(engine),
        max(1, round(duration or 0)),
        store,
    )


class TooBigToSend(ValueError):
    """A file would be over Telegram's upload limit for bots (:data:`UPLOAD_LIMIT`) however it is cut."""


async def stems_keys(store: AudioStore, stem: str) -> list[str]:
    """The stems archives of a track in the store, in order: ``<stem>-stems.zip``, then ``<stem>-stems-2.zip``…;
    empty when there are none (the first part is written last, so its presence means every part is there)."""
    first = f"{stem}-stems.zip"
    if not await store.exists(first):
        return []
    parts = [first]
    while await store.exists(following := f"{stem}-stems-{len(parts) + 1}.zip"):
        parts.append(following)
    return parts


async def sendable_stems(store: AudioStore, stem: str) -> list[str]:
    """The track's stems archives when all of them are in the store and within :data:`UPLOAD_LIMIT`, else empty (an
    archive left over the limit by an older version must be made again)."""
    keys = await stems_keys(store, stem)
    for key in keys:
        size = await store.size(key)
        if size is None or size > UPLOAD_LIMIT:
            return []
    return keys


#: Why a worker could not make a track's stems (kept beside the track for the next 🎚 press to say so).
StemsFailure = Literal["engine", "too_big", "no_stems"]
_FAILURES: tuple[StemsFailure, ...] = ("engine", "too_big", "no_stems")


def _failure_key(stem: str) -> str:
    return f"{stem}-stems.failed"


async def note_stems_failure(store: AudioStore, stem: str, reason: StemsFailure) -> None:
    """Record that rendering the stems elsewhere failed, so the person's next press hears why."""
    await store.put(_failure_key(stem), reason.encode())


async def take_stems_failure(store: AudioStore, stem: str) -> StemsFailure | None:
    """The failure a worker recorded for the track's stems, removed as it is read (the press after asks again)."""
    key = _failure_key(stem)
    try:
        reason = (await store.read(key)).decode()
    except AudioMissing:
        return None
    await store.delete(key)
    return next((failure for failure in _FAILURES if failure == reason), "engine")


async def write_stems_zip(
    track: GeneratedTrack, store: AudioStore, stem: str, *, limit: int = UPLOAD_LIMIT
) -> list[str]:
    """Put the track's stems as FLACs in ZIPs of at most ``limit`` bytes each, ``<stem>-stems.zip`` first and the
    others after it (``…-stems-2.zip``…); returns their keys in order. TooBigToSend when one stem alone is over."""
    assert track.stems is not None
    names = sorted(track.stems)
    # One ffmpeg per stem, side by side: the encoder is a subprocess, so the threads do not contend for the GIL.
    flacs = await asyncio.gather(*(encode_flac_async(track.stems[name], track.sample_rate) for name in names))
    by_name = dict(zip(names, flacs, strict=True))
    groups = pack_stems(by_name, limit)
    keys = [f"{stem}-stems.zip"] + [f"{stem}-stems-{number}.zip" for number in range(2, len(groups) + 1)]
    for stale in (await stems_keys(store, stem))[1:]:  # parts of an earlier, differently cut archive
        await store.delete(stale)
    # Stored, not deflated: FLAC is already compressed. The first part goes last: it marks the set complete.
    for key, group in reversed(list(zip(keys, groups, strict=True))):
        await store.put(key, await asyncio.to_thread(_stored_zip, by_name, group))
    return keys


def _stored_zip(flacs: dict[str, bytes], names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in names:
            archive.writestr(f"{name}.flac", flacs[name])
    return buffer.getvalue()


#: What a stored ZIP adds per entry besides the name (local header 30 + central directory entry 46 bytes, the name
#: written in both) and once (end of central directory 22 bytes): APPNOTE.TXT §4.3.7, §4.3.12, §4.3.16.
_ZIP_ENTRY, _ZIP_END = 30 + 46, 22


def pack_stems(flacs: dict[str, bytes], limit: int) -> list[list[str]]:
    """Stem names grouped, in order, so that each group's stored ZIP is at most ``limit`` bytes; TooBigToSend when a
    single stem does not fit."""
    groups: list[list[str]] = []
    size = _ZIP_END
    for name in sorted(flacs):
        entry = _ZIP_ENTRY + 2 * len(f"{name}.flac".encode()) + len(flacs[name])
        if _ZIP_END + entry > limit:
            raise TooBigToSend(f"the {name} stem is {len(flacs[name])} bytes as FLAC, over {limit}")
        if not groups or size + entry > limit:
            groups.append([])
            size = _ZIP_END
        groups[-1].append(name)
        size += entry
    return groups

"""Where track audio lives: the ``AudioStore`` port, its local-files implementation, and the URL that picks one.

A track's files are objects under flat keys (``job-<id>.mp3``, ``job-<id>.wav``, ``job-<id>.jpg``,
``job-<id>-stems.zip``…). Workers write them, the bot reads them (the WAV and stems buttons, a re-send after
Telegram forgot a ``file_id``, the studio's downloads), and the daily maintenance deletes old ones. Two stores:

* :class:`LocalAudioStore` (``AUDIO_STORE=local``, the default): files under ``DATA_DIR/audio``, the same layout
  and file modes as before the port existed, so an existing data folder keeps working unchanged;
* ``storage.audio_s3.S3AudioStore`` (``AUDIO_STORE=s3://bucket/prefix``): S3-compatible object storage, for several
  bot processes on different machines, or a disk too small for the retention period.

``jobs.audio_path`` records :meth:`AudioStore.locator` of the MP3 (an absolute path, or ``s3://…``); its last path
segment is the key (:func:`key_of`), so rows written before the port still resolve.

Errors: a key with no object raises :class:`storage.errors.AudioMissing` (a ``NotFound``); a store that cannot be
reached raises :class:`storage.errors.Unavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import urlsplit

from storage.errors import AudioMissing, StorageError


@dataclass(frozen=True, slots=True)
class StoredAudio:
    """One object in the store: its key, size in bytes and when it was last written."""

    key: str
    size: int
    modified: datetime


class AudioStore(Protocol):
    """Track audio by key; every method is safe to call from many tasks at once."""

    @property
    def where(self) -> str:
        """Where the objects are, for logs and start-up messages (a folder, or ``s3://bucket/prefix``)."""
        ...

    def locator(self, key: str) -> str:
        """What ``jobs.audio_path`` records for ``key``: its last path segment is the key again (:func:`key_of`)."""
        ...

    async def probe(self) -> None:
        """Check at start-up that the store can be used (the bucket exists and answers); StorageError otherwise."""
        ...

    async def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing any object there; a reader never sees half of it."""
        ...

    async def put_file(self, key: str, path: Path) -> None:
        """Store the file at ``path`` under ``key``."""
        ...

    async def read(self, key: str) -> bytes:
        """The object's bytes; AudioMissing when there is none."""
        ...

    async def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is none."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    async def delete(self, key: str) -> None:
        """Delete the object; deleting one that is not there is not an error."""
        ...

    async def older_than(self, cutoff: datetime) -> list[StoredAudio]:
        """Every object last written before ``cutoff`` (the retention's candidates)."""
        ...

    def local_copy(self, key: str) -> contextlib.AbstractAsyncContextManager[Path]:
        """A path on this machine holding the object, for tools that need a file (ffmpeg): the file itself for
        the local store, a temporary copy (deleted on exit) for a remote one; AudioMissing when there is none."""
        ...


def key_of(audio_path: str) -> str:
    """The key of a recorded ``jobs.audio_path`` (a path or an ``s3://`` URL): its last segment."""
    return PurePosixPath(audio_path.replace("\\", "/")).name


def with_suffix(key: str, suffix: str) -> str:
    """``job-7.mp3`` → ``job-7.wav``: a sibling file of the same track."""
    return str(PurePosixPath(key).with_suffix(suffix))


class AudioStoreError(StorageError):
    """``AUDIO_STORE`` (or ``S3_ENDPOINT_URL``) does not name a store CloudMusic can use."""


@dataclass(frozen=True, slots=True)
class S3Location:
    """A bucket and a key prefix (no leading or trailing slash; empty for the bucket's root)."""

    bucket: str
    prefix: str


def parse_audio_store(value: str) -> S3Location | None:
    """None for ``local``; the bucket and prefix of ``s3://bucket/prefix``; AudioStoreError (one line) otherwise."""
    text = value.strip()
    if text.lower() in ("", "local"):
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() != "s3":
        raise AudioStoreError(f"must be 'local' or s3://bucket/prefix, not {text[:60]!r}")
    bucket = parts.netloc
    # S3 bucket naming rules: 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending
    # with a letter or digit (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789.-")
    if not 3 <= len(bucket) <= 63 or not set(bucket) <= allowed or not (bucket[0] + bucket[-1]).isalnum():
        raise AudioStoreError(f"{bucket[:70]!r} is not an S3 bucket name (3-63 lowercase letters, digits, . or -)")
    if parts.query or parts.fragment:
        raise AudioStoreError("s3://bucket/prefix takes no ?query or #fragment")
    return S3Location(bucket, parts.path.strip("/"))


def check_endpoint_url(value: str | None) -> str | None:
    """An S3 endpoint URL (http or https, a host, nothing after the path), or None; AudioStoreError otherwise."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AudioStoreError(f"must be an http(s):// URL such as https://s3.example.com, not {value[:60]!r}")
    return value.strip().rstrip("/")


def open_audio_store(audio_store: str, *, local_dir: Path, endpoint_url: str | None = None) -> AudioStore:
    """The store ``AUDIO_STORE`` names: files under ``local_dir``, or the S3 bucket (credentials and region from
    the standard ``AWS_*`` variables; ``endpoint_url`` for a store other than AWS)."""
    location = parse_audio_store(audio_store)
    if location is None:
        return LocalAudioStore(local_dir)
    from storage.audio_s3 import S3AudioStore  # imports obstore only when S3 is chosen

    return S3AudioStore(location.bucket, location.prefix, endpoint_url=check_endpoint_url(endpoint_url))


class LocalAudioStore:
    """Files under one folder (``DATA_DIR/audio``): the folder 0700 and each file 0600 (people's tracks), each
    written through a ``.part`` file so a reader never sees half of it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def where(self) -> str:
        """The folder."""
        return str(self.directory)

    def path(self, key: str) -> Path:
        """The file holding ``key``; a key that tries to leave the folder is refused."""
        name = PurePosixPath(key)
        if name.is_absolute() or ".." in name.parts or not name.parts:
            raise AudioMissing(f"{key!r} is not an audio key")
        return self.directory.joinpath(*name.parts)

    def locator(self, key: str) -> str:
        """The file's absolute path (what ``jobs.audio_path`` held before the store existed)."""
        return str(self.path(key))

    async def probe(self) -> None:
        """Nothing to check: the folder is created 0700 with the first track (a full disk shows then)."""

    async def put(self, key: str, data: bytes) -> None:
        """Write the file atomically, 0600, creating the folder 0700."""
        await asyncio.to_thread(self._write, self.path(key), data)

    async def put_file(self, key: str, path: Path) -> None:
        """Copy the file in (through the same atomic write)."""
        await self.put(key, await asyncio.to_thread(path.read_bytes))

    async def read(self, key: str) -> bytes:
        """The file's bytes; AudioMissing when it is not there."""
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise AudioMissing(f"no audio file {key!r} in {self.directory}") from None

    async def size(self, key: str) -> int | None:
        """The file's size, or None."""
        try:
            found = await asyncio.to_thread(self.path(key).stat)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return found.st_size if stat.S_ISREG(found.st_mode) else None

    async def exists(self, key: str) -> bool:
        """Whether the file is there."""
        return await asyncio.to_thread(self.path(key).is_file)

    async def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def older_than(self, cutoff: datetime) -> list[StoredAudio]:
        """Files (in sub-folders too, keyed ``sub/name``) last modified before ``cutoff``; none without the folder."""
        return await asyncio.to_thread(self._older_than, cutoff.timestamp())

    @contextlib.asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        """The file itself (no copy needed)."""
        path = self.path(key)
        if not await asyncio.to_thread(path.is_file):
            raise AudioMissing(f"no audio file {key!r} in {self.directory}")
        yield path

    def _older_than(self, cutoff: float) -> list[StoredAudio]:
        found = []
        for folder, _, names in os.walk(self.directory):
            for name in names:
                if name.endswith(".part"):  # being written now
                    continue
                path = Path(folder, name)
                try:
                    info = path.stat()
                except FileNotFoundError:  # deleted meanwhile
                    continue
                if info.st_mtime < cutoff:
                    key = path.relative_to(self.directory).as_posix()
                    found.append(StoredAudio(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC)))
        return sorted(found, key=lambda item: item.key)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(0o700, parents=True, exist_ok=True)  # people's tracks: owner only
        write_atomically(path, data)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (owner-only, 0600) through a ``.part`` file, so a reader never sees half a file."""
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


@contextlib.asynccontextmanager
async def temporary_copy(data: bytes, suffix: str) -> AsyncIterator[Path]:
    """``data`` in a temporary 0600 file, deleted on exit (for a remote store's :meth:`AudioStore.local_copy`)."""
    handle, name = await asyncio.to_thread(tempfile.mkstemp, suffix, "cloudmusic-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            await asyncio.to_thread(file.write, data)
        yield path
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)

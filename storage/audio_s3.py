"""Track audio in S3-compatible object storage (``AUDIO_STORE=s3://bucket/prefix``), through obstore.

obstore is the Python binding of the Rust ``object_store`` crate (Apache Arrow project): natively async, one small
wheel with no Python dependencies, the same code path for AWS, MinIO, Ceph, R2 and other S3-compatible servers.
Credentials and region come from the standard variables it reads itself (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, web identity and
container credentials); ``S3_ENDPOINT_URL`` points it at a store other than AWS (path-style requests, plain
``http://`` allowed only when the URL says so).

Keys are stored under ``<prefix>/<key>``; a put is one ``PutObject``, which S3 makes visible whole or not at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

import obstore
from obstore.exceptions import BaseError as ObstoreError
from obstore.store import S3Store

from storage.audio import StoredAudio, temporary_copy
from storage.errors import AudioMissing, Unavailable

#: A request that fails (connection refused, 5xx, throttled) is retried with backoff for at most this long, so a
#: store that is down fails the job (credit released) instead of holding a worker for obstore's default 3 minutes.
RETRY_TIMEOUT = timedelta(seconds=20)


class S3AudioStore:
    """Objects in one bucket under one prefix."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None) -> None:
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.endpoint_url = endpoint_url
        options = {"allow_http": True} if endpoint_url and endpoint_url.startswith("http://") else {}
        extra = {"endpoint": endpoint_url, "virtual_hosted_style_request": False} if endpoint_url else {}
        self._store = S3Store(
            bucket,
            prefix=self.prefix or None,
            client_options=options,  # type: ignore[arg-type]  # a ClientConfig TypedDict
            retry_config={"max_retries": 4, "retry_timeout": RETRY_TIMEOUT},
            **extra,  # type: ignore[arg-type]  # S3Config keys
        )

    @property
    def where(self) -> str:
        """``s3://bucket/prefix`` (and the endpoint when it is not AWS)."""
        place = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{place} at {self.endpoint_url}" if self.endpoint_url else place

    def locator(self, key: str) -> str:
        """``s3://bucket/prefix/key``."""
        return "/".join(part for part in (f"s3://{self.bucket}", self.prefix, key) if part)

    async def probe(self) -> None:
        """One ListObjectsV2 page of a single key: the bucket exists and the credentials may read it."""
        try:
            with _translated("(the bucket)"):
                async for _ in obstore.list(self._store, chunk_size=1):
                    break
        except (AudioMissing, Unavailable) as exc:  # S3 answers 404 NoSuchBucket (obstore: a generic error on lists)
            if isinstance(exc, AudioMissing) or "NoSuchBucket" in str(exc.__cause__):
                raise AudioMissing(f"the bucket {self.bucket!r} does not exist at {self.where}") from None
            raise

    async def put(self, key: str, data: bytes) -> None:
        """One PutObject."""
        with _translated(key):
            await obstore.put_async(self._store, _checked(key), data)

    async def put_file(self, key: str, path: Path) -> None:
        """Upload the file (obstore streams large ones in parts)."""
        with _translated(key):
            await obstore.put_async(self._store, _checked(key), path)

    async def read(self, key: str) -> bytes:
        """GetObject; AudioMissing on 404."""
        with _translated(key):
            result = await obstore.get_async(self._store, _checked(key))
            return bytes(await result.bytes_async())

    async def size(self, key: str) -> int | None:
        """HeadObject's size, or None on 404."""
        try:
            with _translated(key):
                meta = await obstore.head_async(self._store, _checked(key))
        except AudioMissing:
            return None
        return int(meta["size"])

    async def exists(self, key: str) -> bool:
        """HeadObject answered."""
        return await self.size(key) is not None

    async def delete(self, key: str) -> None:
        """DeleteObject (S3 answers 204 for a key that is not there too)."""
        with _translated(key):
            await obstore.delete_async(self._store, _checked(key))

    async def older_than(self, cutoff: datetime) -> list[StoredAudio]:
        """ListObjectsV2 under the prefix, keeping objects last modified before ``cutoff``."""
        found = []
        with _translated("(listing)"):
            async for batch in obstore.list(self._store, chunk_size=1000):
                for meta in batch:
                    if meta["last_modified"] < cutoff:
                        found.append(StoredAudio(str(meta["path"]), int(meta["size"]), meta["last_modified"]))
        return sorted(found, key=lambda item: item.key)

    @contextlib.asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        """A temporary file holding the object, deleted on exit."""
        async with temporary_copy(await self.read(key), PurePosixPath(key).suffix) as path:
            yield path


def _checked(key: str) -> str:
    name = PurePosixPath(key)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise AudioMissing(f"{key!r} is not an audio key")
    return name.as_posix()


@contextlib.contextmanager
def _translated(key: str) -> Iterator[None]:
    """obstore's errors as storage's: 404 → AudioMissing, anything else (network, auth, 5xx) → Unavailable."""
    try:
        yield
    except FileNotFoundError:  # obstore's NotFoundError is one
        raise AudioMissing(f"no audio object {key!r}") from None
    except ObstoreError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unavailable(f"the audio store failed on {key!r}: {first[:300]}") from exc

"""The AudioStore contract, held by both stores: files under a folder, and S3 (moto's server on loopback)."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.audio import (
    AudioStore,
    AudioStoreError,
    LocalAudioStore,
    S3Location,
    key_of,
    open_audio_store,
    parse_audio_store,
    with_suffix,
)
from storage.audio_s3 import S3AudioStore
from storage.errors import AudioMissing, NotFound, Unavailable
from tests.s3_server import S3Server


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AudioStore]:
    """Each store in turn: a folder in tmp_path, then a fresh bucket (with a prefix) on the moto server."""
    if request.param == "local":
        yield LocalAudioStore(tmp_path / "audio")
        return
    server: S3Server = request.getfixturevalue("s3_server")
    yield S3AudioStore(server.new_bucket(), "tracks/eu", endpoint_url=server.endpoint_url)


async def test_what_is_put_is_read_back_and_replaced_whole(store: AudioStore) -> None:
    await store.put("job-1.mp3", b"ID3 first")
    assert await store.read("job-1.mp3") == b"ID3 first"
    await store.put("job-1.mp3", b"ID3 second, longer")
    assert await store.read("job-1.mp3") == b"ID3 second, longer"
    assert (await store.size("job-1.mp3"), await store.exists("job-1.mp3")) == (18, True)


async def test_a_file_is_put_from_disk(store: AudioStore, tmp_path: Path) -> None:
    source = tmp_path / "rendered.wav"
    source.write_bytes(b"RIFF" + bytes(range(256)) * 64)
    await store.put_file("job-2.wav", source)
    assert await store.read("job-2.wav") == source.read_bytes()


async def test_a_missing_object_is_a_storage_not_found(store: AudioStore) -> None:
    with pytest.raises(AudioMissing) as raised:
        await store.read("job-404.mp3")
    assert isinstance(raised.value, NotFound)
    assert (await store.size("job-404.mp3"), await store.exists("job-404.mp3")) == (None, False)


async def test_delete_removes_and_tolerates_absence(store: AudioStore) -> None:
    await store.put("job-3.jpg", b"\xff\xd8 cover")
    await store.delete("job-3.jpg")
    await store.delete("job-3.jpg")  # twice: the retention may race a second run
    assert not await store.exists("job-3.jpg")
    with pytest.raises(AudioMissing):
        await store.read("job-3.jpg")


async def test_older_than_lists_what_was_written_before_the_cutoff(store: AudioStore) -> None:
    await store.put("job-4.mp3", b"a" * 10)
    await store.put("job-4-stems.zip", b"b" * 20)
    now = datetime.now(UTC)
    later = await store.older_than(now + timedelta(minutes=5))
    assert [(item.key, item.size) for item in later] == [("job-4-stems.zip", 20), ("job-4.mp3", 10)]
    assert all(now - timedelta(minutes=5) < item.modified < now + timedelta(minutes=5) for item in later)
    assert await store.older_than(now - timedelta(hours=1)) == []


async def test_keys_in_sub_folders_are_listed_with_their_folder(store: AudioStore) -> None:
    await store.put("clips/clip-9.wav", b"RIFF clip")
    assert await store.read("clips/clip-9.wav") == b"RIFF clip"
    assert [item.key for item in await store.older_than(datetime.now(UTC) + timedelta(minutes=1))] == [
        "clips/clip-9.wav"
    ]


async def test_a_key_leaving_the_store_is_refused(store: AudioStore) -> None:
    for key in ("../outside.mp3", "/etc/passwd"):
        with pytest.raises(AudioMissing):
            await store.read(key)


async def test_a_local_copy_holds_the_bytes_for_tools_that_need_a_file(store: AudioStore) -> None:
    await store.put("job-5.wav", b"RIFF five")
    async with store.local_copy("job-5.wav") as path:
        assert path.read_bytes() == b"RIFF five" and path.suffix == ".wav"
    with pytest.raises(AudioMissing):
        async with store.local_copy("job-6.wav"):
            pass


async def test_the_locator_ends_with_the_key(store: AudioStore) -> None:
    locator = store.locator("job-7.mp3")
    assert key_of(locator) == "job-7.mp3" and with_suffix(key_of(locator), ".wav") == "job-7.wav"


# --- each store's own promises ---------------------------------------------------------------------------------


async def test_local_files_keep_todays_layout_and_modes(tmp_path: Path) -> None:
    """Existing data folders keep working: DATA_DIR/audio/job-<id>.mp3, the folder 0700, files 0600."""
    folder = tmp_path / "audio"
    store = LocalAudioStore(folder)
    await store.put("job-8.mp3", b"ID3")
    assert store.locator("job-8.mp3") == str(folder / "job-8.mp3")
    assert (folder / "job-8.mp3").read_bytes() == b"ID3"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "job-8.mp3").stat().st_mode) == 0o600
    assert list(folder.iterdir()) == [folder / "job-8.mp3"]  # no .part left behind


async def test_local_retention_sees_a_files_age(tmp_path: Path) -> None:
    store = LocalAudioStore(tmp_path / "audio")
    await store.put("job-9.wav", b"RIFF")
    old = (datetime.now(UTC) - timedelta(days=40)).timestamp()
    os.utime(tmp_path / "audio" / "job-9.wav", (old, old))
    assert [i.key for i in await store.older_than(datetime.now(UTC) - timedelta(days=30))] == ["job-9.wav"]
    assert await LocalAudioStore(tmp_path / "nowhere").older_than(datetime.now(UTC)) == []


async def test_s3_objects_sit_under_the_prefix(s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket()
    store = S3AudioStore(bucket, "/cloudmusic/audio/", endpoint_url=s3_server.endpoint_url)
    await store.put("job-10.mp3", b"ID3")
    assert s3_server.keys(bucket) == ["cloudmusic/audio/job-10.mp3"]
    assert store.locator("job-10.mp3") == f"s3://{bucket}/cloudmusic/audio/job-10.mp3"
    assert [item.key for item in await store.older_than(datetime.now(UTC) + timedelta(minutes=1))] == ["job-10.mp3"]


async def test_the_start_up_probe_passes_for_a_usable_store_and_names_a_missing_bucket(
    store: AudioStore, s3_server: S3Server
) -> None:
    await store.probe()
    with pytest.raises(AudioMissing, match="'no-such-bucket-here' does not exist"):
        await S3AudioStore("no-such-bucket-here", endpoint_url=s3_server.endpoint_url).probe()
    with pytest.raises(Unavailable):
        await S3AudioStore("cloudmusic-audio", endpoint_url="http://127.0.0.1:9").probe()


async def test_s3_store_that_cannot_be_reached_is_unavailable(s3_server: S3Server) -> None:
    missing_bucket = S3AudioStore("no-such-bucket-here", endpoint_url=s3_server.endpoint_url)
    with pytest.raises(AudioMissing):  # S3 answers 404 NoSuchBucket
        await missing_bucket.read("job-1.mp3")
    closed = S3AudioStore("bucket", endpoint_url="http://127.0.0.1:9")  # discard port: connection refused
    with pytest.raises(Unavailable):
        await closed.put("job-1.mp3", b"ID3")


# --- choosing a store -------------------------------------------------------------------------------------------


def test_audio_store_urls_are_parsed() -> None:
    assert parse_audio_store("local") is None and parse_audio_store("") is None
    assert parse_audio_store("s3://cloudmusic-audio") == S3Location("cloudmusic-audio", "")
    assert parse_audio_store("s3://cloudmusic-audio/prod/tracks/") == S3Location("cloudmusic-audio", "prod/tracks")


@pytest.mark.parametrize(
    "value",
    ["/data/audio", "https://bucket.s3.amazonaws.com/x", "s3://", "s3://Bad_Bucket", "s3://ab", "s3://b-/x?y=1"],
)
def test_a_bad_audio_store_url_is_refused(value: str) -> None:
    with pytest.raises(AudioStoreError):
        parse_audio_store(value)


def test_open_audio_store_picks_the_store(tmp_path: Path) -> None:
    local = open_audio_store("local", local_dir=tmp_path)
    assert isinstance(local, LocalAudioStore) and local.where == str(tmp_path)
    remote = open_audio_store("s3://tracks-bucket/p", local_dir=tmp_path, endpoint_url="http://127.0.0.1:9000/")
    assert isinstance(remote, S3AudioStore) and remote.where == "s3://tracks-bucket/p at http://127.0.0.1:9000"
    with pytest.raises(AudioStoreError):
        open_audio_store("s3://tracks-bucket", local_dir=tmp_path, endpoint_url="ftp://host")

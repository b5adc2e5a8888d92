"""Audio store latency: put and read of a track's files, local folder vs S3 (moto's server on loopback).

What a delivered track costs the store: the worker puts its MP3, WAV and cover; a 💾 WAV press reads the WAV.
Sizes are a 30 s track's (mock engine, 44.1 kHz stereo): MP3 ≈ 0.7 MB, WAV ≈ 5.3 MB, cover ≈ 30 kB. Moto runs
in this process on loopback, so the S3 figure is the client's and the protocol's cost without a network: a real
bucket adds the round trips to it (tens of ms per request within a region). Informational, no target.

``python -m bench.audio_store`` prints the figure; ``make bench`` includes it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.harness import Figure, median, percentile
from storage.audio import AudioStore, LocalAudioStore
from storage.audio_s3 import S3AudioStore
from tests.s3_server import running_s3_server, s3_credentials_in_env

ROUNDS = 30
SIZES = {"mp3": 720_000, "wav": 5_292_044, "jpg": 30_000}  # a 30 s track's files (bytes)


async def _rounds(store: AudioStore) -> tuple[list[float], list[float]]:
    """Per round: seconds to put the three files of a track, and to read its WAV back."""
    payload = {suffix: bytes([n % 251 for n in range(997)]) * (size // 997 + 1) for suffix, size in SIZES.items()}
    puts, reads = [], []
    for index in range(ROUNDS):
        began = time.perf_counter()
        for suffix, data in payload.items():
            await store.put(f"job-{index}.{suffix}", data[: SIZES[suffix]])
        puts.append(time.perf_counter() - began)
        began = time.perf_counter()
        wav = await store.read(f"job-{index}.wav")
        reads.append(time.perf_counter() - began)
        assert len(wav) == SIZES["wav"]
    return puts, reads


def _ms(values: list[float]) -> str:
    return f"{median(values) * 1000:.1f} ms p50 / {percentile(values, 95) * 1000:.1f} ms p95"


async def measure() -> Figure:
    """Local and S3 side by side, same payloads, same loop."""
    with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as tmp:
        local_puts, local_reads = await _rounds(LocalAudioStore(Path(tmp) / "audio"))
    with s3_credentials_in_env(), running_s3_server() as server:
        bucket = await asyncio.to_thread(server.new_bucket, "bench-audio")
        s3_puts, s3_reads = await _rounds(S3AudioStore(bucket, "audio", endpoint_url=server.endpoint_url))
    return Figure(
        "audio store: put a track's MP3+WAV+cover; read its WAV (S3 = moto on loopback)",
        f"S3 put {_ms(s3_puts)}; read {_ms(s3_reads)}",
        f"local put {_ms(local_puts)}; read {_ms(local_reads)}",
        "—",
        None,
        [
            f"{ROUNDS} tracks of {sum(SIZES.values()) / 1e6:.1f} MB each (MP3 {SIZES['mp3']:,}, WAV {SIZES['wav']:,}, "
            f"cover {SIZES['jpg']:,} bytes) through `AudioStore.put` then `read`; obstore client, moto's "
            "ThreadedMotoServer in the same process (its Python request handling is most of the S3 time)"
        ],
    )


def main() -> None:
    """Print the figure (``python -m bench.audio_store``)."""
    figure = asyncio.run(measure())
    print(f"{figure.name}\n  {figure.result}\n  baseline: {figure.baseline}")


if __name__ == "__main__":
    main()

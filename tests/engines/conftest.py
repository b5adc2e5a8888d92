"""Shared fixtures for the engine tests: the official Replicate client on the stand-in (the ``replicate_standin``
fixture is in tests/conftest.py) and helpers that build tracks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import numpy as np
import pytest_asyncio
from replicate import Client

from engines.base import GeneratedTrack, License, Samples
from standin.replicate_standin import ReplicateStandIn

__all__ = ["make_track", "official_api", "tone"]


@pytest_asyncio.fixture
async def official_api(replicate_standin: ReplicateStandIn) -> AsyncIterator[Client]:
    """Replicate's official client on the stand-in, as a caller that ignores the engine's guidance would use it."""
    transport = httpx.AsyncHTTPTransport()
    yield Client(api_token=replicate_standin.token, base_url=replicate_standin.base_url, transport=transport)
    await transport.aclose()


TEST_LICENSE = License(id="CC0-1.0", name="CC0", url="https://creativecommons.org/", commercial_use=True)


def tone(seconds: float, sample_rate: int = 44_100, *, freq: float = 440.0, level: float = 0.5) -> Samples:
    """A stereo sine, float32 ``(frames, 2)``; the right channel a little quieter so channels differ."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave = level * np.sin(2 * np.pi * freq * t)
    return np.stack([wave, 0.8 * wave], axis=1).astype(np.float32)


def make_track(samples: Samples, sample_rate: int = 44_100, *, seed: int = 1) -> GeneratedTrack:
    """A GeneratedTrack around ``samples`` as if the mock engine had made it."""
    return GeneratedTrack(
        samples=samples, sample_rate=sample_rate, engine="mock", model="mock-1", seed=seed, license=TEST_LICENSE
    )

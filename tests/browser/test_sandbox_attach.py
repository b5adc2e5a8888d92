"""The 📎 button in a real headless Chromium: attach a clip, see the analysis with its buttons, compose to match."""

from __future__ import annotations

import contextlib
from pathlib import Path

from bot.__main__ import Runtime
from engines import audio
from engines.base import GenerationRequest
from engines.synth import render
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_sandbox_page import open_chat, page

with contextlib.suppress(ImportError):
    from playwright.async_api import Page, expect

__all__ = ["page"]  # the fixture, shared with the page tests


async def test_attaching_a_clip_shows_the_analysis_and_compose_to_match_delivers(
    page: Page, sandbox_bot: Runtime, tmp_path: Path
) -> None:
    clip = tmp_path / "groove.wav"
    track = render(GenerationRequest(prompt="house", duration=6.0, bpm=120.0, key="D minor", seed=8))
    clip.write_bytes(audio.encode_wav(track))
    await open_chat(page, sandbox_bot)
    await expect(page.get_by_role("button", name="Send a clip to analyse")).to_be_visible()
    await page.locator("#attach-input").set_input_files(str(clip))
    await expect(page.locator("li.msg.out .doc-name, li.msg.out .track-title").last).to_contain_text("groove.wav")
    analysis = page.locator("li[data-kind=photo]", has_text="What I heard")
    await expect(analysis).to_contain_text("D minor", timeout=20_000)
    await expect(analysis.locator("img.photo")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "sandbox-analysis.png")
    await analysis.get_by_role("button", name="🎵 Compose to match").click()
    await expect(page.locator("li[data-kind=audio].in audio")).to_be_visible(timeout=20_000)

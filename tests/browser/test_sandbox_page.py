"""The sandbox chat page in a real headless Chromium, against the real bot running in sandbox mode in-process.

Screenshots land in ``test-artifacts/`` (git-ignored): ``sandbox-desktop.png`` (1280×800),
``sandbox-phone.png`` (390×844), ``sandbox-channel.png`` and ``sandbox-payment.png``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.__main__ import Runtime
from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS

# Without playwright the ``chromium`` fixture reports it: a loud skip, or a failure with CLOUDMUSIC_REQUIRE_BROWSER=1.
with contextlib.suppress(ImportError):
    from playwright.async_api import Page, async_playwright, expect

WAIT_MS = 10_000
CHANNEL_ID = -1001000000001


@pytest.fixture
async def page(chromium: str, tmp_path: Path) -> AsyncIterator[Page]:
    """A fresh headless Chromium profile with one 1280×800 tab."""
    expect.set_options(timeout=WAIT_MS)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            tab = context.pages[0] if context.pages else await context.new_page()
            yield tab
        finally:
            await context.close()


async def open_chat(page: Page, runtime: Runtime) -> None:
    """Load the page and wait until the live stream is connected."""
    await page.goto(runtime.http.url + "/")
    await expect(page.locator("#chat-subtitle")).to_have_text("bot · sandbox")


async def say(page: Page, text: str) -> None:
    """Type ``text`` in the composer and press Enter."""
    await page.locator("#input").fill(text)
    await page.locator("#input").press("Enter")


async def test_chat_page_composes_plays_and_downloads_a_track_live(page: Page, sandbox_bot: Runtime) -> None:
    """Prompt → live status edits → playable MP3 with cover → WAV document via an inline button; users and channel."""
    ARTIFACTS.mkdir(exist_ok=True)
    await open_chat(page, sandbox_bot)
    await expect(page.locator("#user-select option")).to_have_text(["Ada · 1001", "Bob · 1002", "Admin · 1003 (admin)"])

    await say(page, "dark techno 128 bpm")
    await expect(page.locator("li.msg.out .text").last).to_have_text("dark techno 128 bpm")
    status = page.locator("li.msg.in", has_text="Done: dark techno 128 bpm")
    await expect(status.locator(".meta")).to_contain_text("edited")  # one bubble, edited in place over SSE
    track = page.locator("li[data-kind=audio]")
    await expect(track.locator("audio")).to_be_visible()
    await expect(track.locator(".track-title")).to_have_text("Dark techno 128 bpm")
    await page.wait_for_function("document.querySelector('li[data-kind=audio] audio').readyState >= 1")
    source = await track.locator("audio").get_attribute("src")
    assert source is not None
    mp3 = await page.request.get(sandbox_bot.http.url + source)
    assert mp3.headers["content-type"] == "audio/mpeg"
    assert (await mp3.body())[:3] == b"ID3" or (await mp3.body())[0] == 0xFF
    cover_width = await track.locator("img.cover").evaluate("img => img.complete ? img.naturalWidth : 0")
    assert cover_width > 0, "the cover thumbnail did not load"

    wav = track.get_by_role("button", name="💾 WAV")
    await wav.focus()  # keyboard: a focused inline button is pressed with Enter
    await page.keyboard.press("Enter")
    document_link = page.locator("li[data-kind=document] a.file-link")
    await expect(document_link).to_have_attribute("download", re.compile(r"\.wav$"))
    wav_file = await page.request.get(sandbox_bot.http.url + (await document_link.get_attribute("href") or ""))
    assert wav_file.headers["content-type"] in ("audio/wav", "audio/x-wav")
    assert (await wav_file.body())[:4] == b"RIFF"
    await page.screenshot(path=ARTIFACTS / "sandbox-desktop.png")

    bot = sandbox_bot.application.bot
    await bot.send_message(CHANNEL_ID, "🎧 Today's teaser: dark techno 128 bpm")
    await expect(page.locator("#channel-unread")).to_have_text("1")
    await page.get_by_role("button", name=re.compile("^Channel")).click()
    await expect(page.locator("#channel-messages li.msg")).to_have_text(re.compile("Today's teaser"))
    await expect(page.locator("#composer")).to_be_hidden()
    await page.screenshot(path=ARTIFACTS / "sandbox-channel.png")
    await page.get_by_role("button", name="Chat").click()

    await page.locator("#user-select").select_option("1002")
    await expect(page.locator("#chat-messages .empty")).to_be_visible()
    await say(page, "/start")
    await expect(page.locator("li.msg.in .text").first).to_contain_text("Hi Bob")
    await page.locator("#user-select").select_option("1001")
    await expect(page.locator("li[data-kind=audio] audio")).to_be_visible()  # Ada's chat comes back as a snapshot

    for width in (375, 390):
        await page.set_viewport_size({"width": width, "height": 844})
        await expect(page.locator("li[data-kind=audio]")).to_be_visible()
        overflow = await page.evaluate(
            "Math.max(document.documentElement.scrollWidth - window.innerWidth,"
            " ...[...document.querySelectorAll('.view, .composer')].map(e => e.scrollWidth - e.clientWidth))"
        )
        assert overflow <= 0, f"the page is {overflow} px wider than a {width} px phone screen"
    await page.screenshot(path=ARTIFACTS / "sandbox-phone.png")


async def test_chat_page_pays_a_stars_invoice_through_the_standin(page: Page, sandbox_bot: Runtime) -> None:
    """/buy → pack button → invoice with "Pay ⭐" → pre-checkout approved by the bot → receipt and credits."""
    ARTIFACTS.mkdir(exist_ok=True)
    await open_chat(page, sandbox_bot)
    await say(page, "/buy")
    pack = page.locator('button[data-callback^="pack:"]').first
    await expect(pack).to_be_visible()
    await pack.click()

    invoice = page.locator("li[data-kind=invoice]")
    await expect(invoice.locator(".invoice-amount")).to_contain_text("⭐")
    pay = invoice.get_by_role("button", name=re.compile(r"^Pay ⭐"))
    await pay.click()
    await expect(page.locator("li.note.local")).to_have_attribute("data-outcome", "approved")
    await expect(page.locator("li.note:not(.local)")).to_contain_text("You paid ⭐")
    await expect(page.locator("li.msg.in .text").last).to_contain_text("credits")
    await page.screenshot(path=ARTIFACTS / "sandbox-payment.png")
    receipts = [m for m in sandbox_bot.standin.transcript(1001) if m.service and "successful_payment" in m.service]
    assert len(receipts) == 1


async def test_chat_page_admin_answers_a_support_message_with_reply(page: Page, sandbox_bot: Runtime) -> None:
    """Ada writes to support; the Admin taps ↩ on the copy, answers, and Ada reads the answer; nothing is composed."""
    await open_chat(page, sandbox_bot)
    await say(page, "/support")
    await expect(page.locator("li.msg.in .text").last).to_contain_text("next message goes to an admin")
    await say(page, "my track is silent")
    await expect(page.locator("li.msg.in .text").last).to_contain_text("Sent to the CloudMusic team")
    await page.locator("#user-select").select_option("1003")
    copy = page.locator("li.msg.in", has_text="🆘 Support")
    await copy.get_by_role("button", name="Reply to this message").click()
    await expect(page.locator("#reply-text")).to_contain_text("🆘 Support")
    await say(page, "Try another seed")
    await expect(page.locator("#reply-bar")).to_be_hidden()
    await expect(page.locator("li.msg.in .text").last).to_contain_text("answer was sent to user 1001")
    await page.locator("#user-select").select_option("1001")
    await expect(page.locator("li.msg.in .text").last).to_contain_text("Try another seed")
    assert sandbox_bot.standin is not None
    assert not [m for m in sandbox_bot.standin.transcript(1001) if m.kind == "audio"], "support is never composed"

"""The sandbox page, issue 20: switch a person's app language; type ``@CloudMusicBot lofi`` to list tracks inline."""

from __future__ import annotations

import contextlib
import re

from bot.__main__ import Runtime
from tests.browser.test_sandbox_page import open_chat, page, say

with contextlib.suppress(ImportError):
    from playwright.async_api import Page, expect

__all__ = ["page"]  # the fixture, shared with the page tests


async def test_language_switch_and_inline_mode_in_the_page(page: Page, sandbox_bot: Runtime) -> None:
    await open_chat(page, sandbox_bot)
    await expect(page.locator("#language-select")).to_have_value("en")
    await page.locator("#language-select").select_option("es")
    await expect(page.locator("#language-select")).to_have_value("es")
    await say(page, "/start")
    await expect(page.locator("li.msg.in .text").first).to_contain_text("Hola, Ada")

    await say(page, "lofi rain 3s")
    await expect(page.locator("li.msg.in", has_text="✅")).to_be_visible()
    await page.locator("#input").fill("@CloudMusicBot lofi")
    results = page.locator("#inline-results li.inline-result")
    await expect(results).to_have_count(1)
    await expect(results.first.locator("audio")).to_have_attribute("src", re.compile("/files/AU"))
    assert await page.locator("li.msg.out .text").last.text_content() == "lofi rain 3s", "not sent as a message"
    await page.locator("#input").fill("hello")
    await expect(page.locator("#inline-results")).to_be_hidden()

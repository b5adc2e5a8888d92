"""The sandbox page, issue 20: switch a person's app language; type ``@CloudMusicBot lofi`` to list tracks inline."""

from __future__ import annotations

import contextlib
import re

from bot.__main__ import Runtime
from bot.texts import default_texts
from tests.browser.test_sandbox_page import open_chat, page, say
from tests.browser.test_studio_page import TELEGRAM_JS

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


async def test_the_page_speaks_each_persons_language_and_so_does_their_studio(
    page: Page, shipped_sandbox: Runtime
) -> None:
    """As shipped, Ada's app runs in pt-br and Bob's in es: the page's own words and the menu follow the person."""
    pt, es, ru = "pt", "es", "ru"
    await page.route(TELEGRAM_JS, lambda route: route.abort())  # offline, as `make run` may be
    await page.goto(shipped_sandbox.http.url + "/")
    await expect(page.locator("#chat-subtitle")).to_have_text(_text(pt, "online"))
    await expect(page.locator("html")).to_have_attribute("lang", "pt")
    await expect(page.locator("#language-select")).to_have_value("pt-br")
    await expect(page.locator(".user-pick-label").first).to_have_text("Falar como")
    await expect(page.locator("#input")).to_have_attribute("placeholder", _text(pt, "input_placeholder"))
    await expect(page.locator("#chat-messages .empty")).to_have_text(_text(pt, "chat_empty"))
    await expect(page.locator("#tab-channel")).to_contain_text(_text(pt, "tab_channel"))
    await page.locator("#menu-button").click()
    start = page.locator("#command-menu button", has=page.locator(".cmd", has_text=re.compile("^/start$")))
    await expect(start.locator(".desc")).to_have_text(default_texts().get(pt, "command.start"))
    await page.locator("#menu-button").click()

    await page.locator("#input").fill("@CloudMusicBot " + "x" * 300)  # too long for an inline query
    await page.locator("#input").press("Enter")
    await expect(page.locator("#toast")).to_have_text(
        default_texts().get(pt, "sandbox.page.error_inline_long", limit=256)
    )
    await page.locator("#input").fill("")

    await page.get_by_role("button", name=_text(pt, "studio")).click()
    studio = page.frame_locator("#studio-frame")
    await expect(studio.locator("#compose-title")).to_have_text(default_texts().get(pt, "studio.page.compose"))
    await expect(studio.locator("#genre option[value=cinematic]")).to_have_text("cinematográfico")
    await page.get_by_role("button", name=_text(pt, "studio_close")).click()

    await page.locator("#user-select").select_option("1002")
    await expect(page.locator(".user-pick-label").first).to_have_text("Hablar como")
    await expect(page.locator("#language-select")).to_have_value("es")
    await expect(page.locator("#chat-messages .empty")).to_have_text(_text(es, "chat_empty"))
    await page.locator("#language-select").select_option("ru")
    await expect(page.locator(".user-pick-label").first).to_have_text(_text(ru, "talk_as"))
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await say(page, "/start")
    await expect(page.locator("li.msg.in .text").first).to_contain_text("Привет, Bob")


def _text(language: str, key: str) -> str:
    return default_texts().get(language, f"sandbox.page.{key}")


async def test_a_web_visitor_gets_the_studio_in_the_browsers_language(page: Page, shipped_sandbox: Runtime) -> None:
    """Outside Telegram there is no language_code: the studio reads the browser's Accept-Language."""
    await page.route(TELEGRAM_JS, lambda route: route.fulfill(body="", content_type="text/javascript"))
    await page.set_extra_http_headers({"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    await page.goto(shipped_sandbox.http.url + "/app/")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.locator("#web-note")).to_have_text(default_texts().get("de", "studio.page.web_note"))
    await expect(page.locator("#balance")).to_have_text("4 von 4 heute gratis · 0 Credits")
    await expect(page.locator("#mood option[value=dark]")).to_have_text("düster")
    await expect(page.locator("#prompt")).to_have_attribute("placeholder", "verträumter Synthwave für eine Nachtfahrt")
    await expect(page.locator("#library li")).to_have_text(default_texts().get("de", "studio.page.empty_library"))

"""The studio page (/app/) in a real headless Chromium, against the real bot in sandbox mode in-process.

Telegram mode: Telegram's script (https://telegram.org/js/telegram-web-app.js, the network edge) is answered by a
stand-in that sets ``Telegram.WebApp`` with ``initData`` signed with the sandbox bot's token the way Telegram signs
it, and records ``openInvoice``. Screenshots (phone and desktop, light and dark) are written to ``test-artifacts/``
(git-ignored; the copies in ``docs/`` were taken from there).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.__main__ import SANDBOX_TOKEN, Runtime, running_bot
from standin.stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn
from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, sandbox_settings
from tests.studio.helpers import signed_init_data

with contextlib.suppress(ImportError):
    from playwright.async_api import BrowserContext, Page, async_playwright, expect

WAIT_MS = 15_000
ADA = 1001
DOCS = ARTIFACTS  # never rewrite tracked files from a test run
TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"
LIGHT = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#707579", "link_color": "#3390ec",
         "button_color": "#3390ec", "button_text_color": "#ffffff", "secondary_bg_color": "#f4f4f5"}  # fmt: skip
DARK = {"bg_color": "#212121", "text_color": "#ffffff", "hint_color": "#aaaaaa", "link_color": "#8774e1",
        "button_color": "#8774e1", "button_text_color": "#ffffff", "secondary_bg_color": "#181818"}  # fmt: skip


def telegram_script(init_data: str, scheme: str) -> str:
    """What Telegram's script provides to the page, as far as the studio uses it."""
    theme = DARK if scheme == "dark" else LIGHT
    web_app = (
        f"initData: {json.dumps(init_data)}, colorScheme: {json.dumps(scheme)}, themeParams: {json.dumps(theme)},"
        " invoices: [], ready() {}, expand() {}, onEvent() {},"
        " openInvoice(url, callback) { this.invoices.push(url); if (callback) callback('pending'); }"
    )
    return "window.Telegram = { WebApp: { " + web_app + " } };"


@pytest.fixture
async def browser(chromium: str, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A fresh headless Chromium profile."""
    expect.set_options(timeout=WAIT_MS)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        try:
            yield context
        finally:
            await context.close()


async def until(page: Page, function: str, timeout: float = WAIT_MS / 1000) -> None:
    """Wait until ``function`` (JS, run with CDP, since the page's CSP rightly forbids eval) returns true."""
    async with asyncio.timeout(timeout):
        while not await page.evaluate(function):
            await asyncio.sleep(0.1)


async def open_studio(context: BrowserContext, runtime: Runtime, *, scheme: str = "light", telegram: bool = True,
                      phone: bool = False) -> Page:  # fmt: skip
    page = context.pages[0] if context.pages else await context.new_page()
    if phone:
        await page.set_viewport_size({"width": 390, "height": 844})
    init_data = signed_init_data(ADA, datetime.now(UTC), token=SANDBOX_TOKEN) if telegram else ""
    body = telegram_script(init_data, scheme) if telegram else ""
    await page.route(TELEGRAM_JS, lambda route: route.fulfill(body=body, content_type="text/javascript"))
    await page.goto(runtime.http.url + "/app/")
    return page


async def test_in_telegram_compose_plays_lists_and_buy_opens_the_invoice(
    browser: BrowserContext, sandbox_bot: Runtime
) -> None:
    page = await open_studio(browser, sandbox_bot)
    await expect(page.locator("#balance")).to_have_text("4 of 4 free today · 0 credits")
    await page.locator("#genre").select_option("synthwave")
    await page.locator("#mood").select_option("dreamy")
    await page.locator("#length").select_option("15")
    await page.get_by_role("button", name="Compose").first.click()
    await expect(page.locator("#progress")).to_contain_text("Done", timeout=30_000)
    await until(page, "() => document.getElementById('audio').readyState >= 1")
    assert await page.locator("#audio").evaluate("a => a.src.startsWith('blob:') && a.duration > 14")
    await expect(page.locator("#now-title")).to_contain_text("dreamy synthwave", ignore_case=True)
    await expect(page.locator("#library li")).to_have_count(1)
    await expect(page.locator("#library li .name")).to_contain_text("15 s")
    await expect(page.locator("#balance")).to_have_text("3 of 4 free today · 0 credits")
    assert sandbox_bot.standin is not None
    assert [m for m in sandbox_bot.standin.transcript(ADA) if m.from_bot and m.kind == "audio"], "sent to the chat"
    await page.locator("#q").fill("polka")
    await expect(page.locator("#library li")).to_have_text(["No track matches “polka”."])
    await page.locator("#q").fill("synth")
    await expect(page.locator("#library li button")).to_have_count(5)
    async with page.expect_download() as stems:
        await page.get_by_role("button", name="Download the stems of Dreamy synthwave").click()
    assert (await stems.value).suggested_filename.endswith("stems.zip")
    await page.get_by_role("button", name="Let Dreamy synthwave be featured in the channel").click()
    await expect(page.locator("#progress")).to_contain_text("may be featured")

    await page.locator("#packs button").first.click()
    await until(page, "() => window.Telegram.WebApp.invoices.length === 1")
    link = await page.evaluate("window.Telegram.WebApp.invoices[0]")
    assert link.startswith("https://t.me/$")
    outcome = await sandbox_bot.standin.pay_invoice_link(ADA, link)
    assert outcome.approved

    DOCS.mkdir(exist_ok=True)
    await page.screenshot(path=str(DOCS / "studio-desktop-light.png"), full_page=True)


async def test_keyboard_only_compose_in_advanced_mode_with_a_clear_error(
    browser: BrowserContext, sandbox_bot: Runtime
) -> None:
    page = await open_studio(browser, sandbox_bot, scheme="dark", phone=True)
    await expect(page.locator("#balance")).to_contain_text("free today")
    await page.locator("#mode-advanced").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#advanced")).to_be_visible()
    await page.locator("#prompt").fill("bpm=120")
    await page.locator("#prompt").press("Tab")
    await page.keyboard.press("Shift+Tab")
    await page.locator("#loop").focus()
    await page.keyboard.press("Tab")  # the engine
    await expect(page.locator("#engine")).to_be_focused()
    await page.keyboard.press("Tab")  # Compose
    await page.keyboard.press("Enter")
    await expect(page.locator("#error")).to_contain_text("Add a few words describing the music")
    await expect(page.locator("#balance")).to_have_text("4 of 4 free today · 0 credits")
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(33, 33, 33)", "Telegram's dark theme colours are applied"
    DOCS.mkdir(exist_ok=True)
    await page.screenshot(path=str(DOCS / "studio-phone-dark.png"), full_page=True)


async def test_screenshots_phone_light_and_desktop_dark(browser: BrowserContext, sandbox_bot: Runtime) -> None:
    page = await open_studio(browser, sandbox_bot, phone=True)
    await expect(page.locator("#balance")).to_contain_text("free today")
    await page.screenshot(path=str(DOCS / "studio-phone-light.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.unroute(TELEGRAM_JS)
    page = await open_studio(browser, sandbox_bot, scheme="dark")
    await expect(page.locator("#balance")).to_contain_text("free today")
    await page.screenshot(path=str(DOCS / "studio-desktop-dark.png"), full_page=True)


@contextlib.asynccontextmanager
async def sandbox_with(tmp_path: Path, **overrides: Any) -> AsyncIterator[Runtime]:
    """The bot in sandbox mode with some settings changed."""
    async with running_bot(sandbox_settings(tmp_path / "bot", **overrides), poll_timeout=1) as runtime:
        yield runtime
        assert runtime.standin is not None and not runtime.standin.violations


async def test_on_the_web_a_visitor_gets_four_free_tracks_then_buys_credits_by_card(
    browser: BrowserContext, tmp_path: Path
) -> None:
    async with StripeStandIn() as stripe_standin, sandbox_with(
        tmp_path, stripe_secret_key=API_KEY, stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stripe_standin.base_url,
    ) as runtime:  # fmt: skip
        page = await open_studio(browser, runtime, telegram=False)
        await expect(page.locator("#web-note")).to_be_visible()
        await expect(page.locator("#balance")).to_have_text("4 of 4 free today · 0 credits")
        await page.locator("#length").select_option("15")
        for done in range(1, 5):
            await page.get_by_role("button", name="Compose").first.click()
            await expect(page.locator("#library li button")).to_have_count(5 * done, timeout=30_000)
        await expect(page.locator("#balance")).to_have_text("0 of 4 free today · 0 credits")
        await page.get_by_role("button", name="Compose").first.click()
        await expect(page.locator("#error")).to_contain_text("used today's 4 free tracks")
        DOCS.mkdir(exist_ok=True)
        await page.screenshot(path=str(DOCS / "studio-web-desktop.png"), full_page=True)

        await page.get_by_role("button", name="Buy 10 credits for $1.99 by card").click()
        await page.wait_for_url(stripe_standin.base_url + "/pay/**")
        (session,) = stripe_standin.sessions.values()
        body, signature = stripe_standin.completed_event(str(session["id"]), event_id="evt_browser")
        async with aiohttp.ClientSession() as http, http.post(
            runtime.http.url + "/stripe/webhook", data=body, headers={"Stripe-Signature": signature}
        ) as answer:  # fmt: skip
            assert (await answer.json())["result"] == "credited"
        await page.goto(runtime.http.url + "/app/")
        await expect(page.locator("#balance")).to_have_text("0 of 4 free today · 10 credits")
        await page.get_by_role("button", name="Compose").first.click()
        await expect(page.locator("#library li button")).to_have_count(25, timeout=30_000)
        await expect(page.locator("#balance")).to_have_text("0 of 4 free today · 9 credits")


async def test_with_web_studio_off_the_page_asks_to_open_it_from_the_bot(
    browser: BrowserContext, tmp_path: Path
) -> None:
    async with sandbox_with(tmp_path, web_studio=False) as runtime:
        page = await open_studio(browser, runtime, telegram=False)
        await expect(page.locator("#signin")).to_be_visible()
        await expect(page.locator("#compose")).to_be_hidden()


async def test_the_sandbox_menu_button_opens_the_studio_for_the_selected_person(
    browser: BrowserContext, sandbox_bot: Runtime
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await page.route(TELEGRAM_JS, lambda route: route.abort())  # offline, as `make run` may be
    await page.goto(sandbox_bot.http.url + "/")
    await expect(page.locator("#chat-subtitle")).to_have_text("bot · sandbox")
    await page.locator("#user-select").select_option("1002")
    await page.get_by_role("button", name="Studio").click()
    studio = page.frame_locator("#studio-frame")
    await expect(studio.locator("#balance")).to_have_text("4 of 4 free today · 0 credits")
    await studio.locator("#length").select_option("15")
    await studio.get_by_role("button", name="Compose").first.click()
    await expect(studio.locator("#progress")).to_contain_text("Done", timeout=30_000)
    await expect(studio.locator("#library li")).to_have_count(1)
    await expect(page.locator("li[data-kind=audio]")).to_have_count(1)  # the track is in Bob's chat as well
    assert sandbox_bot.standin is not None
    assert [m for m in sandbox_bot.standin.transcript(1002) if m.from_bot and m.kind == "audio"]
    await page.get_by_role("button", name="Close the studio").click()
    await expect(page.locator("#studio-panel")).to_be_hidden()


async def test_in_the_sandbox_panel_buying_with_stars_runs_the_stand_ins_payment_and_the_page_hears_the_outcome(
    browser: BrowserContext, sandbox_bot: Runtime
) -> None:
    """The panel plays Telegram's client for the Mini App (web_app_open_invoice → a payment sheet → invoice_closed
    with paid/cancelled), offline, with the studio's own WebApp shim."""
    assert sandbox_bot.standin is not None
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await page.route(TELEGRAM_JS, lambda route: route.abort())  # offline: the studio's own shim is the WebApp
    await page.goto(sandbox_bot.http.url + "/")
    await page.locator("#user-select").select_option("1002")
    await page.get_by_role("button", name="Studio").click()
    studio = page.frame_locator("#studio-frame")
    await expect(studio.locator("#balance")).to_have_text("4 of 4 free today · 0 credits")
    pack = studio.locator("#packs button").first
    credits = int((await pack.inner_text()).split(" credits")[0])
    sheet = page.get_by_role("dialog", name="Pay with Telegram Stars")

    await pack.click()
    await expect(sheet).to_contain_text("⭐")
    await sheet.get_by_role("button", name="Cancel").click()
    await expect(studio.locator("#progress")).to_contain_text("Payment cancelled")
    await expect(sheet).to_have_count(0)
    assert not sandbox_bot.standin.commerce.charges, "a cancelled payment charges nothing"

    await pack.click()
    await sheet.get_by_role("button", name="Pay", exact=False).first.click()
    await expect(studio.locator("#progress")).to_contain_text(f"{credits} credits added")
    await expect(studio.locator("#balance")).to_have_text(f"4 of 4 free today · {credits} credits")
    (charge,) = sandbox_bot.standin.commerce.charges.values()
    assert charge.user_id == 1002
    await expect(page.locator("#studio-panel")).to_be_visible()


async def test_the_advanced_form_offers_the_engines_with_price_licence_and_capabilities(
    browser: BrowserContext, tmp_path: Path
) -> None:
    offer = {"engines": "mock,synth", "model_costs": "synth=3", "takes_per_prompt": "mock=1"}
    async with sandbox_with(tmp_path, **offer) as runtime:
        page = await open_studio(browser, runtime)
        await expect(page.locator("#balance")).to_have_text("4 of 4 free today · 0 credits")
        await page.get_by_role("button", name="Advanced").click()
        engine = page.get_by_label("Engine")
        await expect(engine.locator("option")).to_have_text(["mock — 1 credit", "synth — 3 credits (bought only)"])
        await expect(engine).to_have_value("mock")
        await engine.select_option("synth")
        info = page.locator("#engine-info")
        await expect(info).to_contain_text("CC0 1.0")
        await expect(info).to_contain_text("commercial use allowed")
        await expect(info).to_contain_text("up to 300 s")
        await expect(info).to_contain_text("stems")
        await page.locator("#prompt").fill("dreamy synthwave")
        await page.locator("#duration").fill("5")
        await page.locator("#advanced").get_by_role("button", name="Compose").click()
        await expect(page.locator("#error")).to_contain_text("costs 3 credits")
        await expect(page.locator("#balance")).to_have_text("4 of 4 free today · 0 credits")

        await engine.select_option("mock")
        await page.locator("#advanced").get_by_role("button", name="Compose").click()
        await expect(page.locator("#progress")).to_contain_text("Done", timeout=30_000)
        await expect(page.locator("#balance")).to_have_text("3 of 4 free today · 0 credits")

"""The sandbox page's API for issue 20: a Telegram app language per simulated person, and inline mode."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.__main__ import Runtime
from standin.web.guard import TOKEN_HEADER

ADA, BOB, ADMIN = 1001, 1002, 1003


async def _call(runtime: Runtime, path: str, body: Any = None) -> tuple[int, Any]:
    assert runtime.sandbox_token is not None  # every sandbox API call carries this run's token, as the page does
    async with aiohttp.ClientSession(headers={TOKEN_HEADER: runtime.sandbox_token}) as session:
        url = f"{runtime.http.url}/sandbox/api/{path}"
        request = session.get(url) if body is None else session.post(url, data=json.dumps(body))
        async with request as response:
            return response.status, await response.json()


async def test_sandbox_people_start_in_their_own_languages_and_are_greeted_in_them(
    shipped_sandbox: Runtime,
) -> None:
    """As the issue asks: Ada speaks Brazilian Portuguese and Bob Spanish; each /start is answered in that language."""
    standin = shipped_sandbox.standin
    assert standin is not None
    _, users = await _call(shipped_sandbox, "users")
    assert {p["name"]: p["language"] for p in users["people"]} == {"Ada": "pt-br", "Bob": "es", "Admin": "en"}
    for person, greeting in ((ADA, "Oi, Ada!"), (BOB, "¡Hola, Bob!"), (ADMIN, "Hi Admin!")):
        await standin.send_text(person, "/start")
        await standin.wait_for(person, lambda m, greeting=greeting: greeting in m.content)


async def test_the_sandbox_bot_has_inline_mode_on_from_its_first_get_me(shipped_sandbox: Runtime) -> None:
    assert shipped_sandbox.application.bot.supports_inline_queries is True


async def test_a_persons_language_is_switched_and_the_bot_answers_in_it(sandbox_bot: Runtime) -> None:
    standin = sandbox_bot.standin
    assert standin is not None
    status, users = await _call(sandbox_bot, "users")
    assert status == 200 and {"pt-br", "es", "ru", "de"} <= set(users["languages"])
    assert users["people"][0]["language"] == "en"
    status, _ = await _call(sandbox_bot, "language", {"user_id": ADA, "language_code": "pt-br"})
    assert status == 200
    await standin.send_text(ADA, "/start")
    await standin.wait_for(ADA, lambda m: "Oi, Ada" in m.content)
    status, answer = await _call(sandbox_bot, "language", {"user_id": ADA, "language_code": "klingon"})
    assert status == 400 and "language_code" in answer["error"]
    _, users = await _call(sandbox_bot, "users")
    assert users["people"][0]["language"] == "pt-br"


async def test_typing_the_bots_name_lists_the_persons_tracks(sandbox_bot: Runtime) -> None:
    standin = sandbox_bot.standin
    assert standin is not None
    status, empty = await _call(sandbox_bot, "inline", {"user_id": BOB, "query": "lofi"})
    assert status == 200 and empty["results"] == [] and empty["button"]["start_parameter"] == "inline"
    await standin.send_text(BOB, "lofi rain 5s")
    await standin.wait_for(BOB, lambda m: m.content.startswith("✅"), timeout=20)  # delivered and settled
    track = next(m for m in standin.transcript(BOB) if m.kind == "audio")
    assert track.file is not None
    status, found = await _call(sandbox_bot, "inline", {"user_id": BOB, "query": "lofi"})
    assert status == 200 and [r["file_id"] for r in found["results"]] == [track.file.file_id]
    _, ada = await _call(sandbox_bot, "inline", {"user_id": ADA, "query": "lofi"})
    assert ada["results"] == []
    status, refused = await _call(sandbox_bot, "inline", {"user_id": ADA, "query": "x" * 300})
    assert status == 400 and "256" in refused["error"]


async def test_the_sandbox_page_gets_its_texts_and_command_menu_in_the_persons_language(
    shipped_sandbox: Runtime,
) -> None:
    status, pt = await _call(shipped_sandbox, "strings?language=pt-br")
    assert status == 200 and pt["language"] == "pt"
    assert pt["strings"]["sandbox.page.talk_as"] == "Falar como"
    assert {c["command"] for c in pt["commands"]} >= {"start", "help"}
    start = next(c for c in pt["commands"] if c["command"] == "start")
    _, en = await _call(shipped_sandbox, "strings?language=en")
    english_start = next(c for c in en["commands"] if c["command"] == "start")
    assert start["description"] != english_start["description"], "the menu published for pt (setMyCommands)"
    _, unknown = await _call(shipped_sandbox, "strings?language=ja")
    assert unknown["language"] == "en" and unknown["strings"] == en["strings"]
    assert unknown["commands"] == en["commands"], "no Japanese menu: the default one, as Telegram shows"
    status, refused = await _call(shipped_sandbox, "strings?language=" + "x" * 40)
    assert status == 400 and "35" in refused["error"]


async def _studio_strings(runtime: Runtime, query: str = "", accept: str | None = None) -> tuple[int, Any]:
    headers = {} if accept is None else {"Accept-Language": accept}
    url = f"{runtime.http.url}/app/strings.json{query}"
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        # JSON, not a page: the studio's headers middleware gives it the strict CSP of everything but HTML
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        return response.status, await response.json()


async def test_the_studio_page_gets_its_texts_in_the_telegram_language_else_the_browsers(
    shipped_sandbox: Runtime,
) -> None:
    status, es = await _studio_strings(shipped_sandbox, "?lang=es", accept="de-DE,de;q=0.9")
    assert status == 200 and es["language"] == "es", "the Telegram user's language comes first"
    assert es["strings"]["studio.page.compose"] == "Componer"
    _, de = await _studio_strings(shipped_sandbox, accept="de-DE,de;q=0.9,en;q=0.5")
    assert de["language"] == "de" and de["strings"]["studio.page.library"] == "Bibliothek"
    _, plain = await _studio_strings(shipped_sandbox)
    assert plain["language"] == "en" and plain["strings"]["studio.page.library"] == "Library"
    assert all(key.startswith("studio.page.") for key in plain["strings"])


async def test_a_problem_a_person_meets_names_its_text_for_the_page_in_their_language(
    shipped_sandbox: Runtime,
) -> None:
    status, answer = await _call(shipped_sandbox, "send", {"user_id": ADA, "text": "x" * 4097})
    assert status == 400 and "at most 4096" in answer["error"], "the API's own message stays for its callers"
    assert answer["error_key"] == "sandbox.page.error_text_long"
    assert answer["error_values"] == {"length": 4097, "limit": 4096}
    _, strings = await _call(shipped_sandbox, "strings?language=pt-br")
    assert "4097" in strings["strings"][answer["error_key"]].format(**answer["error_values"])
    status, answer = await _call(shipped_sandbox, "send", {"user_id": "1001", "text": "hi"})
    assert status == 400 and "error_key" not in answer, "a malformed call is the caller's bug, not the person's"


async def test_the_studio_panel_launches_with_the_persons_current_app_language(shipped_sandbox: Runtime) -> None:
    async def launch_language() -> str:
        _, launch = await _call(shipped_sandbox, f"studio?user={BOB}")
        fragment = parse_qs(urlsplit(launch["url"]).fragment)
        return str(json.loads(parse_qs(fragment["tgWebAppData"][0])["user"][0])["language_code"])

    assert await launch_language() == "es"
    status, _ = await _call(shipped_sandbox, "language", {"user_id": BOB, "language_code": "ru"})
    assert status == 200
    assert await launch_language() == "ru", "initData carries the app's language as it is now"

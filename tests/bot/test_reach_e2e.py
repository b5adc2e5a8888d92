"""Reach, end to end through the stand-in: languages, /language, per-language menus, inline mode, guided polish."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from standin import ChatMessage
from tests.conftest import ADA, BOB, LiveBot

# A person per language: (id, name, Telegram language_code, greeting word, "done" word).
PEOPLE = [
    (2001, "Ana", "pt-br", "Oi, Ana", "✅ Pronto"),
    (2002, "Beto", "es", "Hola, Beto", "✅ Listo"),
    (2003, "Вера", "ru", "Привет, Вера", "✅ Готово"),
    (2004, "Dora", "de", "Hallo Dora", "✅ Fertig"),
    (2005, "Eve", "en-GB", "Hi Eve", "✅ Done"),
]


async def _track(live_bot: LiveBot, user_id: int, prompt: str, done: str = "✅ Done") -> ChatMessage:
    """Send a prompt; return the audio once the status message says done."""
    before = len(live_bot.audio_messages(user_id))
    await live_bot.say(user_id, prompt)
    await live_bot.reply(user_id, lambda m: m.content.startswith(done), 15)
    assert len(live_bot.audio_messages(user_id)) == before + 1
    return live_bot.audio_messages(user_id)[-1]


async def _answered(live_bot: LiveBot, query_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """The bot's answerCallbackQuery for ``query_id``, once it has been made."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (answer := live_bot.standin.callback_answer(query_id)) is None:
        assert loop.time() < deadline, f"callback query {query_id} was not answered within {timeout} s"
        await asyncio.sleep(0.02)
    return answer


@pytest.mark.parametrize(("user_id", "name", "code", "hello", "done"), PEOPLE)
async def test_a_chat_in_each_language_from_start_to_a_track(
    live_bot: LiveBot, user_id: int, name: str, code: str, hello: str, done: str
) -> None:
    live_bot.standin.add_user(user_id, first_name=name, language_code=code)
    await live_bot.ask(user_id, "/start", hello)
    # The first /start also plays the demo with the example buttons: wait for it, so it is not counted as the track.
    await live_bot.reply(user_id, lambda m: any((b.callback_data or "").startswith("try:") for b in m.buttons), 15)
    audio = await _track(live_bot, user_id, "calm piano 2s", done)
    assert audio.duration == 2  # and the status message above it said "done" in the person's language


async def test_language_command_switches_and_remembers_the_language(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(ADA, "/language", "Choose your language")
    assert {b.callback_data for b in menu.buttons} >= {"lang:en", "lang:pt", "lang:es", "lang:ru", "lang:de"}
    assert "🇧🇷 Português" in [b.text for b in menu.buttons]
    await live_bot.standin.press_button(ADA, menu.message_id, "lang:pt")
    await live_bot.reply(ADA, lambda m: "português" in m.content, 5)
    user = await live_bot.runtime.services.users.get(ADA)
    assert user is not None and user.chosen_language == "pt" and user.language == "pt"
    reply = await live_bot.ask(ADA, "/help", "comandos")
    assert "Todos os comandos" in reply.content
    own_menu = live_bot.standin.messaging.commands[f"[('chat_id', {ADA}), ('type', 'chat')]|"]
    assert {"command": "language", "description": "Escolher o idioma"} in own_menu, "her menu follows her choice"
    assert "stats" in {c["command"] for c in own_menu}, "an admin keeps the admin commands"
    await _track(live_bot, ADA, "calm piano 1s", "✅ Pronto")


async def test_an_unknown_language_button_changes_nothing(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(ADA, "/language", "Choose your language")
    await live_bot.standin.press_button(ADA, menu.message_id, "lang:de")
    await live_bot.reply(ADA, lambda m: "Deutsch" in m.content, 5)
    live_bot.standin.messaging.callback_answers["99"] = None  # a press Telegram knows of, with forged data
    live_bot.standin.push_update(
        "callback_query",
        {
            "id": "99",
            "from": live_bot.standin.world.users[ADA],
            "message": menu.raw,
            "chat_instance": "x",
            "data": "lang:xx",
        },
    )
    answer = await _answered(live_bot, "99")
    assert "abgelaufen" in answer["text"]
    await live_bot.ask(ADA, "/help", "Alle Befehle")
    user = await live_bot.runtime.services.users.get(ADA)
    assert user is not None and user.chosen_language == "de"


async def test_menus_and_descriptions_are_published_per_language(live_bot: LiveBot) -> None:
    commands = {c.params.get("language_code", "") for c in live_bot.standin.calls if c.method == "setMyCommands"}
    assert commands >= {"", "pt", "es", "ru", "de"}
    inline = live_bot.standin.inline
    assert set(inline.descriptions) >= {"", "pt", "es", "ru", "de"}
    assert set(inline.short_descriptions) >= {"", "pt", "es", "ru", "de"}
    assert "música original" in inline.descriptions["pt"]
    assert all(len(text) <= 120 for text in inline.short_descriptions.values())
    menu = live_bot.standin.messaging.commands
    pt = next(v for k, v in menu.items() if k.endswith("|pt") and "default" in k)
    assert {"command": "language", "description": "Escolher o idioma"} in pt


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": frozenset({ADA})}


async def test_admins_see_admin_commands_in_help_and_their_own_menu_nobody_else(live_bot: LiveBot) -> None:
    menus = live_bot.standin.messaging.commands
    scoped = [k for k in menus if "'chat'" in k]
    assert scoped and all(f"('chat_id', {ADA})" in k for k in scoped)
    english_admin_menu = next(v for k, v in menus.items() if f"('chat_id', {ADA})" in k and k.endswith("|"))
    assert "stats" in {c["command"] for c in english_admin_menu}
    default_menu = next(v for k, v in menus.items() if "default" in k and k.endswith("|"))
    assert "stats" not in {c["command"] for c in default_menu}
    admin_help = await live_bot.ask(ADA, "/help", "Admin commands")
    assert "/stats" in admin_help.content and "/grant" in admin_help.content
    bob_help = await live_bot.ask(BOB, "/help", "Befehle")
    assert "/stats" not in bob_help.content and "/grant" not in bob_help.content


async def test_guided_mode_offers_lengths_up_to_the_engine_maximum_and_ends_in_a_summary(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(ADA, "/generate", "Pick a genre")
    await live_bot.standin.press_button(ADA, menu.message_id, "gm:m:1")
    await live_bot.reply(ADA, lambda m: "pick a mood" in m.content, 5)
    await live_bot.standin.press_button(ADA, menu.message_id, "gm:l:1:2")
    lengths = await live_bot.reply(ADA, lambda m: "How long" in m.content, 5)
    offered = [b.callback_data for b in lengths.buttons if (b.callback_data or "").startswith("gm:c:")]
    assert offered == [f"gm:c:1:2:{s}" for s in (15, 30, 60, 120, 180)]  # the mock engine makes up to 600 s
    await live_bot.standin.press_button(ADA, menu.message_id, "gm:c:1:2:15")
    summary = await live_bot.reply(ADA, lambda m: m.message_id == menu.message_id and "🎛" in m.content, 5)
    assert summary.content == "🎛 house · calm · 15 s" and not summary.buttons
    await live_bot.reply(ADA, lambda m: m.kind == "audio", 15)


async def test_guided_mode_speaks_the_persons_language(live_bot: LiveBot) -> None:
    menu = await live_bot.ask(BOB, "/generate", "Genre")
    assert "Filmmusik" in [b.text for b in menu.buttons]
    await live_bot.standin.press_button(BOB, menu.message_id, "gm:m:0")
    mood = await live_bot.reply(BOB, lambda m: "Stimmung" in m.content, 5)
    assert "düster" in [b.text for b in mood.buttons]


async def test_first_start_plays_the_demo_once_rendered_then_resent_by_file_id(live_bot: LiveBot) -> None:
    greeting = await live_bot.ask(ADA, "/start", "Hi Ada")
    assert greeting.content.count("\n") == 0, "one short paragraph"
    demo = await live_bot.reply(ADA, lambda m: m.kind == "audio", 15)
    assert "taste" in demo.content
    labels = {b.callback_data: b.text for b in demo.buttons}
    assert set(labels) == {"try:house", "try:lofi", "try:techno"}
    assert all("1 free track" in text for text in labels.values())
    first_id = demo.raw["audio"]["file_id"]
    await live_bot.ask(BOB, "/start", "Hallo Bob")
    again = await live_bot.reply(BOB, lambda m: m.kind == "audio", 15)
    assert again.raw["audio"]["file_id"] == first_id and "Kostprobe" in again.content
    uploads = [c for c in live_bot.standin.calls if c.method == "sendAudio"]
    assert len(uploads) == 2 and uploads[1].params["audio"] == first_id, "the second one is not uploaded again"
    returning = await live_bot.ask(ADA, "/start", "Welcome back")
    assert returning.kind == "text"
    assert len(live_bot.audio_messages(ADA)) == 1, "only a first contact gets the demo"


async def test_an_example_button_composes_for_one_free_track(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/start", "Hi Ada")
    demo = await live_bot.reply(ADA, lambda m: m.kind == "audio", 15)
    await live_bot.standin.press_button(ADA, demo.message_id, "try:techno")
    await live_bot.reply(ADA, lambda m: m.content.startswith("✅ Done") and "dark techno" in m.content, 15)
    services = live_bot.runtime.services
    balance = await services.studio.credits.balance(services.fingerprint(ADA))
    assert balance.free_left == balance.free_quota - 1


async def test_history_shows_lengths_searches_and_deletes(live_bot: LiveBot) -> None:
    await _track(live_bot, ADA, "lofi rain 2s")
    await _track(live_bot, ADA, "dark techno 1s")
    listing = await live_bot.ask(ADA, "/history", "page 1 of 1")
    assert "· 2 s" in listing.content and "· 1 s" in listing.content
    found = await live_bot.ask(ADA, "/history lofi", "page 1 of 1")
    assert "· 2 s" in found.content and "· 1 s" not in found.content
    nothing = await live_bot.ask(ADA, "/history polka", "No tracks match")
    assert "polka" in nothing.content
    delete = next(b.callback_data for b in found.buttons if (b.callback_data or "").startswith("hdel:"))
    assert delete is not None
    query = await live_bot.standin.press_button(ADA, found.message_id, delete)
    answer = await _answered(live_bot, query)
    assert answer["text"] == "🗑 Track deleted."
    after = await live_bot.ask(ADA, "/history", "page 1 of 1")
    assert "· 2 s" not in after.content and "· 1 s" in after.content
    live_bot.standin.enable_inline()
    shelf = await live_bot.standin.ask_inline(ADA, "")
    assert len(shelf["results"]) == 1, "a deleted track is not offered inline either"
    services = live_bot.runtime.services
    assert not await services.tracks.delete(BOB, int(delete.removeprefix("hdel:")), services.clock())

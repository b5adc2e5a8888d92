"""End to end through the stand-in: /start, /help, unknown commands, unreadable messages, the command menu."""

from __future__ import annotations

from tests.conftest import ADA, BOB, LiveBot


async def test_start_welcomes_with_the_free_quota_and_how_to_buy(live_bot: LiveBot) -> None:
    reply = await live_bot.ask(ADA, "/start", "Hi Ada")
    assert "4 free tracks every day" in reply.content
    assert "/buy" in reply.content and "/help" in reply.content
    again = await live_bot.ask(ADA, "/start", "Welcome back")
    assert "Hi Ada" not in again.content
    user = await live_bot.runtime.services.users.get(ADA)
    assert user is not None and user.fingerprint == live_bot.runtime.services.fingerprint(ADA)


async def test_start_accepts_a_deep_link_payload(live_bot: LiveBot) -> None:
    reply = await live_bot.ask(ADA, "/start teaser_5", "shared link")
    assert "teaser_5" in reply.content


async def test_help_lists_every_public_command(live_bot: LiveBot) -> None:
    reply = await live_bot.ask(ADA, "/help", "commands")
    for command in ("/generate", "/presets", "/history", "/balance", "/cancel", "/help", "/start"):
        assert command in reply.content
    assert "bpm=120" in reply.content


async def test_an_unknown_command_gets_a_polite_answer(live_bot: LiveBot) -> None:
    reply = await live_bot.ask(ADA, "/dance", "/dance")
    assert "don't know the command" in reply.content and "/help" in reply.content
    reply = await live_bot.ask(ADA, "/dance@CloudMusicBot now", "/dance")
    assert "@CloudMusicBot" not in reply.content


async def test_the_command_menu_is_published_at_start_up(live_bot: LiveBot) -> None:
    calls = [c for c in live_bot.standin.calls if c.method == "setMyCommands"]
    assert calls, "setMyCommands was not called"
    assert "generate" in calls[0].params["commands"]


async def test_a_german_telegram_client_is_greeted_in_german(live_bot: LiveBot) -> None:
    reply = await live_bot.ask(BOB, "/start", "Hallo Bob")
    assert "Gratis-Tracks" in reply.content
    user = await live_bot.runtime.services.users.get(BOB)
    assert user is not None and user.language == "de"


async def test_health_endpoint_reports_the_database(live_bot: LiveBot) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(live_bot.runtime.http.url + "/healthz") as response:
        body = await response.json()
    assert response.status == 200 and body["database"] == "ok"

"""Admin commands end to end: hidden from everyone else, audited, and doing what they say."""

from __future__ import annotations

from typing import Any

import pytest

from storage import AuditRepository, BroadcastRepository, LedgerRepository
from tests.conftest import ADA, BOB, LiveBot

ADMIN = 4242
# /engine is not here: users get their own view of it (prices and capabilities, issue 17), tested below.
COMMANDS = ("/stats", "/user 1001", "/grant 1001 5", "/ban 1001", "/unban 1001", "/broadcast hi", "/batch a")


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": frozenset({ADMIN})}


@pytest.fixture
async def admin(live_bot: LiveBot) -> LiveBot:
    live_bot.standin.add_user(ADMIN, first_name="Root")
    await live_bot.ask(ADMIN, "/start", "Hi Root")
    await live_bot.ask(ADA, "/start", "Hi Ada")
    return live_bot


async def audit_actions(live_bot: LiveBot) -> list[tuple[int, str, str]]:
    entries = await AuditRepository(live_bot.runtime.core.db).recent(100)
    return [(e.admin_id, e.action, e.arguments) for e in reversed(entries)]


@pytest.mark.parametrize("command", COMMANDS)
async def test_admin_commands_look_unknown_to_everyone_else(admin: LiveBot, command: str) -> None:
    reply = await admin.ask(ADA, command, "don't know the command")
    assert reply.content.startswith("🤔") and command.split()[0] in reply.content
    assert await audit_actions(admin) == []


async def test_stats_summarise_users_generations_revenue_and_genres(admin: LiveBot) -> None:
    await admin.say(ADA, "dark techno 1s")
    await admin.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)
    await admin.say(ADA, "[fail] house 1s")
    await admin.reply(ADA, lambda m: "credit was returned" in m.content)
    stats = await admin.ask(ADMIN, "/stats", "CloudMusic")
    text = stats.content
    assert "Users: 2 total" in text and "2 active in 24 h" in text
    assert "mock/delivered 1" in text and "mock/failed 1" in text and "Failure rate: 50.0%" in text
    assert "techno 1" in text and "0 Stars" in text
    assert await audit_actions(admin) == [(ADMIN, "stats", "")]


async def test_user_grant_ban_and_unban(admin: LiveBot) -> None:
    report = await admin.ask(ADMIN, "/user 1001", "Ada")
    assert "Free left today: 4" in report.content and "Banned: no" in report.content
    assert "Usage" in (await admin.ask(ADMIN, "/grant 1001 lots", "Usage")).content
    assert "No user" in (await admin.ask(ADMIN, "/grant 999 5", "No user")).content
    granted = await admin.ask(ADMIN, "/grant 1001 5 contest winner", "Granted")
    assert "paid balance is now 5" in granted.content
    told = await admin.standin.wait_for(ADA, lambda m: "received 5 free credits" in m.content, since=0)
    assert "contest winner" in told.content
    services = admin.runtime.services
    assert await LedgerRepository(admin.runtime.core.db).balance(services.fingerprint(ADA), "paid") == 5

    await admin.ask(ADMIN, "/ban 1001", "is banned")
    refused = await admin.ask(ADA, "calm piano 2s", "can't use CloudMusic")
    assert refused.kind == "text"
    assert "Banned: yes" in (await admin.ask(ADMIN, "/user 1001", "Ada")).content
    await admin.ask(ADMIN, "/unban 1001", "no longer banned")
    await admin.say(ADA, "calm piano 2s")
    await admin.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)
    actions = [action for _, action, _ in await audit_actions(admin)]
    assert actions == ["user", "grant", "grant", "grant", "ban", "user", "unban"]


async def test_broadcast_confirms_paces_skips_blocked_users_and_survives_a_429(admin: LiveBot) -> None:
    for user_id in range(5000, 5012):
        admin.standin.add_user(user_id, first_name=f"U{user_id}")
        await admin.ask(user_id, "/start", "Hi")
    admin.standin.block_bot(5003)
    prompt = await admin.ask(ADMIN, "/broadcast New genres are live: try synthwave!", "Send this message to 14 users")
    admin.standin.inject_fault("sendMessage", kind="429", retry_after=1, times=1)
    await admin.standin.press_button(ADMIN, prompt.message_id, prompt.buttons[0].callback_data or "")
    report = await admin.reply(ADMIN, lambda m: "Broadcast finished" in m.content, 30)
    assert "13 sent, 1 blocked the bot" in report.content and "0 failed" in report.content
    received = [
        uid
        for uid in (ADA, BOB, ADMIN, *range(5000, 5012))
        if any("New genres are live" in m.content for m in admin.standin.transcript(uid) if m.from_bot)
    ]
    assert 5003 not in received and BOB not in received, "blocked users and strangers get nothing"
    assert len(received) == 13  # every reachable user, the admin included
    user = await admin.runtime.services.users.get(5003)
    assert user is not None and user.blocked_at is not None
    (confirmation,) = [m for m in admin.standin.transcript(ADMIN) if m.message_id == prompt.message_id]
    assert confirmation.buttons == [], "the buttons are gone once it is sending"
    assert await BroadcastRepository(admin.runtime.core.db).claim(1, "sending") is None, "a double tap sends once"
    again = await admin.ask(ADMIN, "/broadcast second", "Send this message to 13 users")
    assert again.buttons


async def test_a_canceled_broadcast_sends_nothing(admin: LiveBot) -> None:
    prompt = await admin.ask(ADMIN, "/broadcast never mind", "Send this message")
    await admin.standin.press_button(ADMIN, prompt.message_id, prompt.buttons[1].callback_data or "")
    await admin.reply(ADMIN, lambda m: "canceled" in m.content)
    assert not any("never mind" in m.content for m in admin.standin.transcript(ADA))


async def test_batch_queues_house_generations_and_reports_each(admin: LiveBot) -> None:
    reply = await admin.ask(ADMIN, "/batch lofi study 1s | tempo=9 bad | ambient drone 1s", "Batch")
    assert "2 queued, 1 refused" in reply.content and "don't know the parameter" in reply.content
    done = lambda _: sum(m.content.startswith("✅ Done") for m in admin.standin.transcript(ADMIN)) == 2  # noqa: E731
    await admin.standin.wait_for(ADMIN, done, timeout=20, since=0)
    jobs = await admin.runtime.services.studio.jobs.for_user(ADMIN)
    assert {j.funding for j in jobs} == {"house"} and {j.status for j in jobs} == {"delivered"}
    services = admin.runtime.services
    assert await LedgerRepository(admin.runtime.core.db).entries(services.fingerprint(ADMIN)) == [], "the house paid"
    assert (await services.studio.credits.balance(services.fingerprint(ADMIN))).free_left == 4


async def test_engine_lists_health_licence_and_queue(admin: LiveBot) -> None:
    reply = await admin.ask(ADMIN, "/engine", "mock")
    assert "healthy" in reply.content and "mock-1: CC0-1.0 (commercial use allowed)" in reply.content
    assert "Workers: 2" in reply.content


async def test_engine_shows_users_the_offer_and_nothing_of_the_admin_view(admin: LiveBot) -> None:
    reply = await admin.ask(ADA, "/engine", "credit a prompt")
    assert "Every track is made by mock" in reply.content
    assert "healthy" not in reply.content and "Workers" not in reply.content
    assert await audit_actions(admin) == []

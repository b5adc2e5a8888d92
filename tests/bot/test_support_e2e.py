"""/support and /paysupport end to end: the next message reaches every admin free of charge, replies come back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import running_bot
from standin import ChatMessage, TelegramStandIn
from tests.conftest import ADA, Clock, LiveBot, make_settings

ADMINS = (4242, 4343)


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": frozenset(ADMINS)}


@pytest.fixture
async def chat(live_bot: LiveBot) -> LiveBot:
    for admin in ADMINS:
        live_bot.standin.add_user(admin, first_name=f"Admin{admin}")
    await live_bot.ask(ADA, "/start", "Hi Ada")
    return live_bot


async def job_count(live_bot: LiveBot) -> int:
    return int(await live_bot.runtime.core.db.scalar("SELECT COUNT(*) FROM jobs"))


def from_support(message: ChatMessage) -> bool:
    return message.from_bot and "🆘 Support" in message.content


async def test_the_next_message_reaches_every_admin_with_id_balance_and_payments_and_costs_nothing(
    chat: LiveBot,
) -> None:
    asked = await chat.ask(ADA, "/support", "next message goes to an admin")
    assert [b.callback_data for b in asked.buttons] == ["sup:cancel"]
    await chat.ask(ADA, "dark techno 128 bpm never arrived, please help", "Sent to the CloudMusic team")
    for admin in ADMINS:
        copy = await chat.reply(admin, from_support)
        assert "id 1001" in copy.content and "Ada" in copy.content
        assert "Free left today: 4 · paid credits: 0" in copy.content and "Recent payments: —" in copy.content
        assert copy.content.endswith("dark techno 128 bpm never arrived, please help")
    assert await job_count(chat) == 0, "a support message must never be composed"
    await chat.ask(ADA, "/balance", "4")
    await chat.say(ADA, "calm piano 1s")  # support mode is over: this one is a prompt again
    await chat.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)
    assert await job_count(chat) == 1


async def test_an_admins_reply_to_the_support_message_reaches_the_user(chat: LiveBot) -> None:
    await chat.ask(ADA, "/support", "next message goes to an admin")
    await chat.ask(ADA, "where is my refund?", "Sent to the CloudMusic team")
    copy = await chat.reply(ADMINS[1], from_support)
    await chat.standin.send_text(ADMINS[1], "It is on its way, Ada.", reply_to=copy.message_id)
    answer = await chat.reply(ADA, lambda m: "CloudMusic support" in m.content)
    assert answer.content.endswith("It is on its way, Ada.")
    await chat.reply(ADMINS[1], lambda m: "answer was sent to user 1001" in m.content)
    assert await job_count(chat) == 0, "neither the question nor the answer is a prompt"


async def test_the_cancel_button_leaves_support_mode_and_sends_nothing(chat: LiveBot) -> None:
    asked = await chat.ask(ADA, "/paysupport", "Payment help")
    await chat.standin.press_button(ADA, asked.message_id, "sup:cancel")
    await chat.reply(ADA, lambda m: m.message_id == asked.message_id and "nothing was sent" in m.content)
    await chat.say(ADA, "calm piano 1s")
    await chat.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)
    for admin in ADMINS:
        assert not [m for m in chat.standin.transcript(admin) if from_support(m)]


async def test_cancel_command_in_support_mode_only_leaves_support_mode(chat: LiveBot) -> None:
    await chat.ask(ADA, "/support", "next message goes to an admin")
    await chat.ask(ADA, "/cancel", "nothing was sent")
    await chat.say(ADA, "calm piano 1s")
    await chat.reply(ADA, lambda m: m.content.startswith("✅ Done"), 15)


async def test_a_command_that_composes_is_sent_to_support_instead(chat: LiveBot) -> None:
    await chat.ask(ADA, "/support", "next message goes to an admin")
    await chat.ask(ADA, "/generate the bot charged me twice", "Sent to the CloudMusic team")
    assert (await chat.reply(ADMINS[0], from_support)).content.endswith("/generate the bot charged me twice")
    assert await job_count(chat) == 0


async def test_support_mode_survives_a_restart(tmp_path: Path, standin: TelegramStandIn, clock: Clock) -> None:
    settings = make_settings(tmp_path / "data", standin, admin_ids=frozenset(ADMINS))
    for admin in ADMINS:
        standin.add_user(admin, first_name="Admin")
    async with running_bot(settings, clock=clock, poll_timeout=1):
        await standin.send_text(ADA, "/support")
        await standin.wait_for(ADA, lambda m: "next message goes to an admin" in m.content)
    async with running_bot(settings, clock=clock, poll_timeout=1) as runtime:
        await standin.send_text(ADA, "still waiting for my credits")
        await standin.wait_for(ADA, lambda m: "Sent to the CloudMusic team" in m.content)
        copy = await standin.wait_for(ADMINS[0], from_support)
        assert copy.content.endswith("still waiting for my credits")
        assert await runtime.core.db.scalar("SELECT COUNT(*) FROM jobs") == 0


async def test_other_commands_answer_as_usual_and_support_mode_stays_open(chat: LiveBot) -> None:
    await chat.ask(ADA, "/paysupport", "Payment help")
    await chat.ask(ADA, "/terms", "Terms of sale")
    await chat.ask(ADA, "I was charged but got no credits", "Sent to the CloudMusic team")
    assert (await chat.reply(ADMINS[0], from_support)).content.endswith("I was charged but got no credits")


async def test_the_admins_see_the_buyers_paid_balance_and_recent_payments(chat: LiveBot) -> None:
    from tests.bot.test_payments_stars import invoice_for

    invoice = await invoice_for(chat, ADA)
    assert (await chat.standin.pay_invoice(ADA, invoice.message_id)).approved
    await chat.reply(ADA, lambda m: "Payment received" in m.content)
    await chat.ask(ADA, "/paysupport", "Payment help")
    await chat.ask(ADA, "I bought 10 credits, thanks!", "Sent to the CloudMusic team")
    copy = await chat.reply(ADMINS[0], from_support)
    assert "Support (payment)" in copy.content and "paid credits: 10" in copy.content
    assert "stars 50 XTR paid" in copy.content, copy.content


async def test_a_message_as_long_as_telegram_allows_still_reaches_the_admins_cut_to_4096(chat: LiveBot) -> None:
    await chat.ask(ADA, "/support", "next message goes to an admin")
    await chat.ask(ADA, "x" * 4096, "Sent to the CloudMusic team")  # the header makes the admin's copy longer
    copy = await chat.reply(ADMINS[0], from_support)
    assert len(copy.content.encode("utf-16-le")) // 2 == 4096 and copy.content.endswith("x…")  # 🆘 counts twice
    await chat.standin.send_text(ADMINS[0], "y" * 4096, reply_to=copy.message_id)
    answer = await chat.reply(ADA, lambda m: "CloudMusic support" in m.content)
    assert len(answer.content.encode("utf-16-le")) // 2 == 4096 and answer.content.endswith("y…")


async def test_without_reachable_admins_the_user_is_told_and_nothing_is_composed(
    tmp_path: Path, standin: TelegramStandIn, clock: Clock
) -> None:
    settings = make_settings(tmp_path / "data", standin)  # no ADMIN_IDS
    async with running_bot(settings, clock=clock, poll_timeout=1) as runtime:
        await standin.send_text(ADA, "/support")
        await standin.wait_for(ADA, lambda m: "next message goes to an admin" in m.content)
        await standin.send_text(ADA, "hello?")
        await standin.wait_for(ADA, lambda m: "no one could be reached" in m.content)
        assert await runtime.core.db.scalar("SELECT COUNT(*) FROM jobs") == 0

"""Invitations end to end: /invite links, both sides paid once on the invited person's first delivered track."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from storage import LedgerRepository
from tests.conftest import ADA, BOB, LiveBot

CARA = 3001


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": frozenset({BOB}), "referral_credits": 2}


async def _link_payload(live_bot: LiveBot, user_id: int) -> str:
    reply = await live_bot.ask(user_id, "/invite", "t.me/")
    match = re.search(r"https://t\.me/CloudMusicBot\?start=(\S+)", reply.content)
    assert match is not None, reply.content
    return match.group(1)


async def _paid(live_bot: LiveBot, user_id: int) -> int:
    services = live_bot.runtime.services
    return (await services.studio.credits.balance(services.fingerprint(user_id))).paid


async def _track(live_bot: LiveBot, user_id: int, prompt: str, done: str = "✅") -> None:
    await live_bot.say(user_id, prompt)
    await live_bot.reply(user_id, lambda m: m.content.startswith(done), 15)


async def test_an_invited_persons_first_track_pays_both_sides_once(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/start", "Hi Ada")
    payload = await _link_payload(live_bot, ADA)
    assert payload.startswith("inv_") and str(ADA) not in payload, "the link does not reveal the Telegram id"
    live_bot.standin.add_user(CARA, first_name="Cara", language_code="pt-br")
    welcome = await live_bot.ask(CARA, f"/start {payload}", "Oi, Cara")
    assert payload not in welcome.content
    assert await _paid(live_bot, ADA) == 0 and await _paid(live_bot, CARA) == 0
    await _track(live_bot, CARA, "calm piano 1s")
    await live_bot.reply(CARA, lambda m: "2 créditos de bônus" in m.content, 5)
    await live_bot.reply(ADA, lambda m: "2 credits were added" in m.content, 5)
    assert await _paid(live_bot, ADA) == 2 and await _paid(live_bot, CARA) == 2
    ledger = LedgerRepository(live_bot.runtime.core.db)
    rows = [e for e in await ledger.entries(live_bot.runtime.services.fingerprint(ADA)) if e.kind == "referral"]
    assert [(r.amount, r.note) for r in rows] == [(2, f"invited {CARA}")]
    # The second track pays nothing more (it spends a free track as usual).
    await _track(live_bot, CARA, "calm piano again 1s")
    assert await _paid(live_bot, ADA) == 2 and await _paid(live_bot, CARA) == 2
    stats = await live_bot.ask(BOB, "/stats", "🤝")
    assert "1 (4" in stats.content


async def test_a_self_invitation_pays_nothing(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/start", "Hi Ada")
    payload = await _link_payload(live_bot, ADA)
    await live_bot.ask(ADA, f"/start {payload}", "Ada")
    await _track(live_bot, ADA, "calm piano 1s")
    assert await _paid(live_bot, ADA) == 0


async def test_an_account_that_already_used_the_bot_is_not_counted_as_invited(live_bot: LiveBot) -> None:
    await live_bot.ask(ADA, "/start", "Hi Ada")
    payload = await _link_payload(live_bot, ADA)
    await live_bot.ask(BOB, "/start", "Hallo Bob")
    await live_bot.ask(BOB, f"/start {payload}", "Bob")
    await _track(live_bot, BOB, "calm piano 1s")
    assert await _paid(live_bot, ADA) == 0 and await _paid(live_bot, BOB) == 0


async def test_an_unknown_or_forged_invitation_code_is_just_a_start(live_bot: LiveBot) -> None:
    for payload in ("inv_000000000000", "inv_%", "inv_", "inv_' OR 1=1 --"):
        await live_bot.ask(ADA, f"/start {payload}", "Ada")
    await _track(live_bot, ADA, "calm piano 1s")
    assert await _paid(live_bot, ADA) == 0


async def test_a_reward_claimed_twice_at_once_is_paid_once(live_bot: LiveBot) -> None:
    services = live_bot.runtime.services
    referrals = services.referrals
    assert referrals is not None
    await live_bot.ask(ADA, "/start", "Hi Ada")
    payload = await _link_payload(live_bot, ADA)
    live_bot.standin.add_user(CARA, first_name="Cara", language_code="en")
    await live_bot.ask(CARA, f"/start {payload}", "Hi Cara")
    rewards = await asyncio.gather(*(referrals.reward(CARA, job_id=None) for _ in range(5)))
    assert sum(r is not None for r in rewards) == 1
    assert await _paid(live_bot, ADA) == 2 and await _paid(live_bot, CARA) == 2
    assert await referrals.rewarded() == (1, 4)

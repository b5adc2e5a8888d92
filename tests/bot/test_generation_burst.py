"""A burst of prompts from one user: the ledger, not the timing, decides how many tracks are made."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from storage import LedgerRepository
from tests.conftest import ADA, LiveBot


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"max_active_jobs": 100}


async def test_fifty_prompts_at_once_never_make_more_tracks_than_credits(live_bot: LiveBot) -> None:
    await asyncio.gather(*(live_bot.say(ADA, f"burst {i} 1s") for i in range(50)))
    await live_bot.reply(ADA, lambda m: len(live_bot.audio_messages(ADA)) == 4, 30)
    await live_bot.settled()  # every prompt has had its answer; a fifth track would need a fifth reserve (below)
    blocked = [m for m in live_bot.standin.transcript(ADA) if m.from_bot and "used today's" in m.content]
    assert len(live_bot.audio_messages(ADA)) == 4 and len(blocked) == 46
    ledger = LedgerRepository(live_bot.runtime.core.db)
    fingerprint = live_bot.runtime.services.fingerprint(ADA)
    assert [e.kind for e in await ledger.entries(fingerprint)].count("reserve") == 4

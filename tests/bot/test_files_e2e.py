"""Files in chat, end to end: Telegram's upload limit, re-sends after Telegram forgets a file, tags and names.

Real PTB against the stand-in (which answers 413 over 50 MB like Telegram), ENGINE=mock, real SQLite and ffmpeg.
"""

from __future__ import annotations

import pytest

from tests.bot.test_generation_e2e import free_left, track
from tests.conftest import ADA, LiveBot


@pytest.mark.parametrize("text", ["ambient 0.5s", "ambient -5s", "ambient duration=-2"])
async def test_a_length_under_the_minimum_or_negative_is_refused_and_costs_nothing(
    live_bot: LiveBot, text: str
) -> None:
    reply = await live_bot.ask(ADA, text, "s")
    assert "shorter than" in reply.content or "isn't a length" in reply.content, reply.describe()
    assert await free_left(live_bot, ADA) == 4
    assert await live_bot.runtime.services.studio.jobs.count_for_user(ADA) == 0


async def test_the_track_title_and_file_names_have_no_invisible_characters(live_bot: LiveBot) -> None:
    audio = await track(live_bot, ADA, "dark\u202e techno\u200b!!! 2s")
    assert audio.title == "Dark techno" and audio.file is not None
    assert audio.file.file_name == "dark-techno.mp3"

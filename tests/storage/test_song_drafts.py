"""Song drafts asked step by step: the stage a draft waits at is in the database, and each step is taken once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import Database
from storage.songs import SongDraftRepository

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_a_step_is_taken_once_and_the_draft_remembers_where_it_waits(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        drafts = SongDraftRepository(db)
        draft_id = await drafts.create(7, "", None, "ace-step-1.5", NOW, stage="style")
        waiting = await drafts.waiting(7)
        assert waiting is not None and (waiting.id, waiting.stage) == (draft_id, "style")

        later = NOW + timedelta(minutes=5)
        moved = await drafts.advance(waiting, "lyrics", style="fado pop 6s", now=later)
        again = await drafts.advance(waiting, "lyrics", style="a second message", now=later)

        assert moved is not None and moved.style == "fado pop 6s" and moved.created_at == later
        assert again is None, "the step was taken by the first answer"
        assert await drafts.take(draft_id, 7, ready_only=True) is None, "no confirm button for a draft mid-steps"
        assert await drafts.waiting(8) is None, "someone else's draft"


async def test_a_new_song_drops_the_steps_waiting_but_keeps_drafts_waiting_for_their_confirm_button(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        drafts = SongDraftRepository(db)
        ready = await drafts.create(7, "pop", "[verse]\nla", "ace-step-1.5", NOW)
        await drafts.create(7, "pop", None, "ace-step-1.5", NOW, stage="lyrics")

        await drafts.drop_waiting(7)

        assert await drafts.waiting(7) is None
        kept = await drafts.take(ready, 7, ready_only=True)
        assert kept is not None and kept.lyrics == "[verse]\nla" and kept.stage == "ready"

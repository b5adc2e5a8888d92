"""The database records who created it; the sandbox and a real bot never open each other's database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Database, UserRepository
from storage.owner import OwnerMismatch, claim, owner

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_the_first_claim_is_recorded_and_the_same_mode_opens_it_again(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        assert await owner(db) is None
        first = await claim(db, "telegram", 111, NOW)
        assert (first.mode, first.bot_id) == ("telegram", 111)
        assert await claim(db, "telegram", 111, NOW) == first


@pytest.mark.parametrize(("made_by", "opened_by"), [("telegram", "sandbox"), ("sandbox", "telegram")])
async def test_a_database_made_in_one_mode_is_refused_in_the_other(
    tmp_path: Path, made_by: str, opened_by: str
) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        await claim(db, made_by, 111, NOW)  # type: ignore[arg-type]
        with pytest.raises(OwnerMismatch, match=f"refused in {opened_by} mode"):
            await claim(db, opened_by, 123456789, NOW)  # type: ignore[arg-type]


async def test_an_older_database_with_users_is_adopted_by_a_real_bot_and_refused_by_the_sandbox(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        await UserRepository(db).seen(
            telegram_id=1, fingerprint="f", first_name="A", username=None, language="en", now=NOW
        )
        with pytest.raises(OwnerMismatch, match="no record of who created it"):
            await claim(db, "sandbox", 123456789, NOW)
        assert (await claim(db, "telegram", 111, NOW)).mode == "telegram"

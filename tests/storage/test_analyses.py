"""The daily count of clip analyses: reserved in one statement, failed ones given back, counted per day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from storage import Database
from storage.analyses import AnalysisRepository

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 21)


async def test_reservations_stop_at_the_limit_even_when_asked_at_once(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        runs = AnalysisRepository(db)
        taken = await asyncio.gather(*(runs.reserve(7, DAY, 3, NOW) for _ in range(8)))
        assert sum(run is not None for run in taken) == 3
        assert await runs.count(7, DAY) == 3
        assert await runs.reserve(8, DAY, 3, NOW) is not None, "another person has their own allowance"
        assert await runs.reserve(7, date(2026, 11, 22), 3, NOW) is not None, "a new day, a new allowance"


async def test_a_failed_analysis_is_given_back_and_a_finished_one_keeps_its_results(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        runs = AnalysisRepository(db)
        first, second = await runs.reserve(7, DAY, 2, NOW), await runs.reserve(7, DAY, 2, NOW)
        assert first is not None and second is not None and await runs.reserve(7, DAY, 2, NOW) is None
        await runs.fail(first)
        assert await runs.count(7, DAY) == 1 and await runs.reserve(7, DAY, 2, NOW) is not None
        await runs.finish(second, {"bpm": 124.0, "key": "A minor"}, {"genre": "house"})
        run = await runs.get(second)
        assert run is not None and run.status == "done" and run.telegram_id == 7 and run.day == DAY
        assert run.features == {"bpm": 124.0, "key": "A minor"} and run.recommendation == {"genre": "house"}
        assert await runs.get(9999) is None

"""Figures for the admins' /stats: users, generations, revenue, cost, queue, popular genres."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage.database import Database

#: Words that name a genre in a prompt, and the genre they count for.
GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "techno": ("techno",),
    "house": ("house",),
    "lo-fi": ("lo-fi", "lofi", "lo fi"),
    "ambient": ("ambient",),
    "synthwave": ("synthwave", "retrowave"),
    "drum & bass": ("drum & bass", "drum and bass", "dnb", "d&b"),
    "trap": ("trap",),
    "cinematic": ("cinematic", "orchestral", "epic"),
    "jazzy": ("jazz", "jazzy"),
    "hip hop": ("hip hop", "hip-hop", "boom bap"),
}


@dataclass(frozen=True, slots=True)
class Stats:
    """A snapshot of the service."""

    users_total: int
    users_new_24h: int
    active_24h: int
    active_7d: int
    generations: dict[tuple[str, str], int]  # (engine, status) → count
    stars_revenue: int
    stripe_revenue: dict[str, int]  # currency → minor units
    engine_cost_usd: float
    queue_depth: dict[str, int]
    top_genres: list[tuple[str, int]] = field(default_factory=list)

    @property
    def failure_rate(self) -> float:
        """Failed ÷ (delivered + failed), 0 when nothing finished."""
        failed = sum(n for (_, status), n in self.generations.items() if status == "failed")
        delivered = sum(n for (_, status), n in self.generations.items() if status == "delivered")
        return failed / (failed + delivered) if failed + delivered else 0.0


class StatsRepository:
    """Computes :class:`Stats` with a handful of aggregate queries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def snapshot(self, now: datetime) -> Stats:
        """The figures as of ``now``."""
        day, week = (now - timedelta(days=1)).isoformat(), (now - timedelta(days=7)).isoformat()
        users = await self._db.fetchone(
            """
            SELECT COUNT(*), SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END),
                   SUM(CASE WHEN last_seen_at >= ? THEN 1 ELSE 0 END),
                   SUM(CASE WHEN last_seen_at >= ? THEN 1 ELSE 0 END)
            FROM users
            """,
            (day, day, week),
        )
        assert users is not None
        generations = {
            (r[0], r[1]): int(r[2])
            for r in await self._db.fetchall("SELECT engine, status, COUNT(*) FROM jobs GROUP BY engine, status")
        }
        stars = await self._db.scalar(
            "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE provider = 'stars' AND status = 'paid'"
        )
        stripe = {
            str(r[0]).upper(): int(r[1])
            for r in await self._db.fetchall(
                "SELECT currency, SUM(amount) FROM payments WHERE provider = 'stripe' AND status = 'paid' "
                "GROUP BY currency"
            )
        }
        cost = await self._db.scalar("SELECT COALESCE(SUM(cost_usd), 0) FROM jobs")
        queue = {
            r[0]: int(r[1])
            for r in await self._db.fetchall(
                "SELECT engine, COUNT(*) FROM jobs WHERE status = 'queued' GROUP BY engine"
            )
        }
        return Stats(
            users_total=int(users[0] or 0),
            users_new_24h=int(users[1] or 0),
            active_24h=int(users[2] or 0),
            active_7d=int(users[3] or 0),
            generations=generations,
            stars_revenue=int(stars),
            stripe_revenue=stripe,
            engine_cost_usd=float(cost),
            queue_depth=queue,
            top_genres=await self._top_genres(week),
        )

    async def _top_genres(self, since: str, limit: int = 5) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for genre, words in GENRE_WORDS.items():
            clauses = " OR ".join("LOWER(prompt) LIKE ?" for _ in words)
            count = await self._db.scalar(
                f"SELECT COUNT(*) FROM jobs WHERE created_at >= ? AND ({clauses})", (since, *(f"%{w}%" for w in words))
            )
            if count:
                counts[genre] = int(count)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


async def jobs_by_status(db: Database, telegram_id: int) -> dict[str, int]:
    """One user's jobs counted by status."""
    rows = await db.fetchall("SELECT status, COUNT(*) FROM jobs WHERE telegram_id = ? GROUP BY status", (telegram_id,))
    return {r[0]: int(r[1]) for r in rows}

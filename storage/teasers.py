"""Channel teasers: one row per post (or attempt at one), and the claim that makes a daily post happen once.

A daily teaser owns the slot ``(channel, day)`` (UNIQUE); an admin's ``/teaser`` has no day, so it never takes the
daily slot. A row moves ``preparing`` → ``sending`` → ``posted``, or to ``failed`` when every attempt failed::

    preparing   claimed; the audio is being chosen and rendered; nothing has been sent yet
    sending     a post request may be in flight right now; its outcome is not known
    posted      the destination gave a message id (recorded in the same write)
    failed      every attempt was refused; nothing was posted, so a later run may claim the slot again

The only states a later run may take over are ``failed`` and a ``preparing`` claim older than the caller's lease
(its process died before sending anything). A ``sending`` claim is never taken over: the request may have been
posted before the crash, and a missed day is better than a double post. Because a slow run might only *look*
abandoned, the writes of a run carry the ``updated_at`` it last saw (``since``): once another run has taken the
claim over, they match nothing and the slow run learns it lost the claim instead of posting a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, Literal

from storage.database import Database, Duplicate, Row
from storage.jobs import Job

TeaserStatus = Literal["preparing", "sending", "posted", "failed"]
TeaserKind = Literal["daily", "manual"]
SourceOutcome = Literal["set", "featured_elsewhere", "claim_lost"]
_TIMES = ("created_at", "updated_at", "posted_at")


@dataclass(frozen=True, slots=True)
class Teaser:
    """One row of ``teasers``: where it goes, what it features and how far it got."""

    id: int
    channel: str
    day: date | None
    kind: TeaserKind
    status: TeaserStatus
    attempts: int
    created_at: datetime
    updated_at: datetime
    job_id: int | None = None  # the shared user track it features; None for a house track
    prompt: str | None = None
    engine: str | None = None
    model: str | None = None
    seed: int | None = None
    message_id: int | None = None
    error: str | None = None
    posted_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Row) -> Teaser:
        """Build a Teaser from a ``teasers`` row."""
        values: dict[str, Any] = {f.name: row[f.name] for f in fields(cls)}
        for name in _TIMES:
            values[name] = None if values[name] is None else datetime.fromisoformat(values[name])
        values["day"] = None if values["day"] is None else date.fromisoformat(values["day"])
        return cls(**values)

    @property
    def house(self) -> bool:
        """True when it features a house track rather than a listener's shared one."""
        return self.job_id is None


def _ts(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO strings, so comparing the text compares the times."""
    return moment.astimezone(UTC).isoformat()


class TeaserRepository:
    """Reads and writes ``teasers``; every state change is one statement, so it is atomic on its own."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _returning(self, sql: str, params: tuple[Any, ...]) -> Teaser | None:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            row = await cursor.fetchone()
            await cursor.close()
        return None if row is None else Teaser.from_row(row)

    async def claim_daily(self, channel: str, day: date, now: datetime, *, stale_before: datetime) -> Teaser | None:
        """Take the ``(channel, day)`` slot: a new claim, a failed one, or a ``preparing`` one older than
        ``stale_before``. Returns the claim (status ``preparing``, source cleared), or None when the slot is
        posted, being sent, or freshly claimed by someone else."""
        return await self._returning(
            """
            INSERT INTO teasers (channel, day, kind, status, attempts, created_at, updated_at)
            VALUES (?, ?, 'daily', 'preparing', 0, ?, ?)
            ON CONFLICT (channel, day) DO UPDATE SET
                status = 'preparing', job_id = NULL, prompt = NULL, engine = NULL, model = NULL, seed = NULL,
                error = NULL, updated_at = excluded.updated_at
            WHERE teasers.status = 'failed' OR (teasers.status = 'preparing' AND teasers.updated_at < ?)
            RETURNING *
            """,
            (channel, day.isoformat(), _ts(now), _ts(now), _ts(stale_before)),
        )

    async def open_manual(self, channel: str, now: datetime) -> Teaser:
        """A claim for an extra post outside the daily slot (an admin's ``/teaser``)."""
        teaser = await self._returning(
            """
            INSERT INTO teasers (channel, day, kind, status, attempts, created_at, updated_at)
            VALUES (?, NULL, 'manual', 'preparing', 0, ?, ?) RETURNING *
            """,
            (channel, _ts(now), _ts(now)),
        )
        assert teaser is not None
        return teaser

    async def set_source(
        self,
        teaser_id: int,
        *,
        since: datetime,
        job_id: int | None,
        prompt: str,
        engine: str,
        model: str | None,
        seed: int | None,
    ) -> SourceOutcome:
        """Record what the claim ``since`` features: ``set``; ``featured_elsewhere`` when another live teaser
        features that job; ``claim_lost`` when another run took the claim over."""
        try:
            async with self._db.transaction() as conn:
                cursor = await conn.execute(
                    "UPDATE teasers SET job_id = ?, prompt = ?, engine = ?, model = ?, seed = ? "
                    "WHERE id = ? AND status = 'preparing' AND updated_at = ?",
                    (job_id, prompt, engine, model, seed, teaser_id, _ts(since)),
                )
                return "set" if cursor.rowcount == 1 else "claim_lost"
        except Duplicate:  # teasers_job_once: a concurrent run picked the same track first
            return "featured_elsewhere"

    async def begin_send(self, teaser_id: int, now: datetime, *, since: datetime) -> bool:
        """Mark a post request about to go out (counted as an attempt); False when the claim ``since`` was lost."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE teasers SET status = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ? AND status = 'preparing' AND updated_at = ?",
                (_ts(now), teaser_id, _ts(since)),
            )
            return cursor.rowcount == 1

    async def mark_unsent(self, teaser_id: int, error: str, now: datetime, *, since: datetime, final: bool) -> None:
        """Nothing was posted (refused, or failed before sending): back to ``preparing`` for another attempt, or
        ``failed`` so a later run may claim the slot again. A no-op when the claim ``since`` was lost."""
        await self._db.execute(
            "UPDATE teasers SET status = ?, error = ?, updated_at = ? "
            "WHERE id = ? AND status IN ('preparing', 'sending') AND updated_at = ?",
            ("failed" if final else "preparing", error[:500], _ts(now), teaser_id, _ts(since)),
        )

    async def mark_posted(self, teaser_id: int, message_id: int, now: datetime) -> None:
        """Record the message id the destination gave: the teaser is out."""
        await self._db.execute(
            "UPDATE teasers SET status = 'posted', message_id = ?, error = NULL, posted_at = ?, updated_at = ? "
            "WHERE id = ?",
            (message_id, _ts(now), _ts(now), teaser_id),
        )

    async def get(self, teaser_id: int) -> Teaser | None:
        """The teaser with this id, or None."""
        row = await self._db.fetchone("SELECT * FROM teasers WHERE id = ?", (teaser_id,))
        return None if row is None else Teaser.from_row(row)

    async def daily(self, channel: str, day: date) -> Teaser | None:
        """The daily teaser of ``channel`` on ``day``, whatever its status."""
        row = await self._db.fetchone("SELECT * FROM teasers WHERE channel = ? AND day = ?", (channel, day.isoformat()))
        return None if row is None else Teaser.from_row(row)

    async def shared_candidates(self, limit: int = 20) -> list[Job]:
        """Delivered tracks whose owner pressed "Share to channel", not featured yet, owner not banned; newest
        first. Only these may ever be posted: consent is ``jobs.shared_at``."""
        rows = await self._db.fetchall(
            """
            SELECT j.* FROM jobs j JOIN users u ON u.telegram_id = j.telegram_id
            WHERE j.status = 'delivered' AND j.shared_at IS NOT NULL AND u.banned = 0
              AND NOT EXISTS (SELECT 1 FROM teasers t WHERE t.job_id = j.id AND t.status <> 'failed')
            ORDER BY j.id DESC LIMIT ?
            """,
            (limit,),
        )
        return [Job.from_row(r) for r in rows]

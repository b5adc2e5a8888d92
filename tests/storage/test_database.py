"""The database: WAL and pragmas, migrations applied once and recorded, an append-only ledger, clean closing."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import (
    MIGRATIONS,
    Database,
    Duplicate,
    JobRepository,
    LedgerEntry,
    LedgerRepository,
    Migration,
    MigrationError,
    Refused,
    StorageError,
    UserRepository,
    apply_migrations,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def test_open_sets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        assert (await db.scalar("PRAGMA journal_mode")).lower() == "wal"
        assert await db.scalar("PRAGMA foreign_keys") == 1
        assert await db.scalar("PRAGMA busy_timeout") == 10000
        names = [r[0] for r in await db.fetchall("SELECT name FROM schema_migrations ORDER BY name")]
        assert names == sorted(m.name for m in MIGRATIONS)  # ORDER BY name; the list itself is in apply order


async def test_migrations_run_once_and_new_steps_are_appended(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    async with await Database.open(path):
        pass
    async with await Database.open(path) as db:
        assert await apply_migrations(db, MIGRATIONS) == []
        extra = (*MIGRATIONS, Migration("9999_test_extra", "CREATE TABLE extra (x INTEGER);"))
        assert await apply_migrations(db, extra) == ["9999_test_extra"]
        assert await db.scalar("SELECT COUNT(*) FROM extra") == 0


async def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    async with await Database.open(path) as db:
        await db.execute("INSERT INTO schema_migrations VALUES ('9999_from_the_future', 'now')")
    with pytest.raises(MigrationError, match="newer CloudMusic"):
        await Database.open(path)


async def test_a_failing_migration_rolls_back_and_is_not_recorded(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        broken = (
            *MIGRATIONS,
            Migration("9999_broken", "CREATE TABLE half (x INTEGER);\nSELECT * FROM nowhere;"),
        )
        with pytest.raises(MigrationError, match="9999_broken"):
            await apply_migrations(db, broken)
        assert await db.scalar("SELECT COUNT(*) FROM schema_migrations WHERE name = '9999_broken'") == 0
        assert await db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'") == 0


async def test_an_unwritable_data_dir_is_a_clear_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="data directory"):
        await Database.open(blocker / "sub" / "cloudmusic.db")


async def test_users_are_upserted_and_first_contact_is_reported(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        users = UserRepository(db)
        user, first = await users.seen(
            telegram_id=1,
            fingerprint="f1",
            first_name="Ada",
            username=None,
            language="en",
            now=NOW,
            start_payload="teaser_3",
        )
        assert first and user.first_name == "Ada" and not user.banned
        later = NOW + timedelta(hours=1)
        again, first = await users.seen(
            telegram_id=1, fingerprint="f1", first_name="Ada L.", username="ada", language="de", now=later
        )
        assert not first
        assert (again.first_name, again.username, again.language) == ("Ada L.", "ada", "de")
        assert again.created_at == NOW and again.last_seen_at == later
        assert await users.set_banned(1, True) and (await users.get(1)).banned  # type: ignore[union-attr]
        assert not await users.set_banned(999, True)
        assert await users.count() == 1


async def test_the_ledger_is_append_only_and_references_are_unique(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        ledger = LedgerRepository(db)
        async with db.transaction() as conn:
            await ledger.append(conn, LedgerEntry("f1", "paid", "purchase", 10, NOW, reference="charge-1"))
            await ledger.append(conn, LedgerEntry("f1", "paid", "reserve", -1, NOW))
        assert await ledger.balance("f1", "paid") == 9
        with pytest.raises(Duplicate):
            async with db.transaction() as conn:
                await ledger.append(conn, LedgerEntry("f1", "paid", "purchase", 10, NOW, reference="charge-1"))
        assert await ledger.balance("f1", "paid") == 9, "the duplicate was rolled back whole"
        for statement in ("UPDATE credit_ledger SET amount = 100", "DELETE FROM credit_ledger"):
            with pytest.raises(Refused, match="append-only"):
                await db.execute(statement)
        assert [e.kind for e in await ledger.entries("f1")] == ["purchase", "reserve"]


async def test_jobs_reference_users_and_list_newest_first(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        jobs = JobRepository(db)
        with pytest.raises(Refused):
            async with db.transaction() as conn:
                await jobs.insert(
                    conn,
                    telegram_id=5,
                    fingerprint="f5",
                    chat_id=5,
                    prompt="x",
                    engine="mock",
                    funding="free",
                    now=NOW,
                )
        await UserRepository(db).seen(
            telegram_id=5, fingerprint="f5", first_name="B", username=None, language="en", now=NOW
        )
        async with db.transaction() as conn:
            first = await jobs.insert(
                conn,
                telegram_id=5,
                fingerprint="f5",
                chat_id=5,
                prompt="techno",
                engine="mock",
                funding="free",
                now=NOW,
                params={"bpm": 128},
            )
            second = await jobs.insert(
                conn,
                telegram_id=5,
                fingerprint="f5",
                chat_id=5,
                prompt="house",
                engine="mock",
                funding="paid",
                now=NOW,
            )
        listed = await jobs.for_user(5)
        assert [j.id for j in listed] == [second, first]
        job = await jobs.get(first)
        assert job is not None and job.params == {"bpm": 128} and job.status == "queued"
        assert await jobs.count_by_status() == {"queued": 2}


async def test_concurrent_transactions_are_serialised_and_readers_see_only_commits(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        ledger = LedgerRepository(db)
        seen_mid_transaction: list[int] = []

        async def slow_writer() -> None:
            async with db.transaction() as conn:
                await ledger.append(conn, LedgerEntry("f1", "paid", "grant", 5, NOW))
                await asyncio.sleep(0.05)
                seen_mid_transaction.append(await ledger.balance("f1"))

        async def adder() -> None:
            async with db.transaction() as conn:
                await ledger.append(conn, LedgerEntry("f1", "paid", "grant", 1, NOW))

        await asyncio.gather(slow_writer(), *(adder() for _ in range(20)))
        assert seen_mid_transaction == [0], "an uncommitted write is invisible to readers"
        assert await ledger.balance("f1") == 25


async def test_the_database_its_wal_and_its_directory_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual default: without explicit modes, files would be 0644 and directories 0755
    try:
        async with await Database.open(tmp_path / "data" / "cloudmusic.db") as db:
            await UserRepository(db).seen(
                telegram_id=1, fingerprint="f", first_name="A", username=None, language="en", now=datetime.now(UTC)
            )
            modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "data").iterdir()}
    finally:
        os.umask(old)
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    assert modes == {"cloudmusic.db": 0o600, "cloudmusic.db-wal": 0o600, "cloudmusic.db-shm": 0o600}

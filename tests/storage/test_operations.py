"""``python -m storage migrate`` and ``python -m storage copy``: real processes, real databases of both kinds."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from billing.credits import Credits, JobSpec
from storage import (
    BroadcastRepository,
    DailyRunRepository,
    Database,
    JobRepository,
    LedgerRepository,
    PaymentRepository,
    UserRepository,
)
from storage.backends import connect
from storage.copy import tally

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
FP = "a" * 64


async def _storage(*args: str, data_dir: Path) -> tuple[int, str, str]:
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "storage", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _installation(db: Database) -> None:
    """A small but real installation: two users, jobs settled both ways, a payment with its ledger row."""

    users = UserRepository(db)
    for telegram_id, fingerprint in ((1, FP), (2, "b" * 64)):
        await users.seen(
            telegram_id=telegram_id, fingerprint=fingerprint, first_name="A", username=None, language="en", now=NOW
        )
    credits = Credits(db, free_daily_quota=2, zone=ZoneInfo("UTC"), clock=lambda: NOW, max_active_jobs=10)
    await credits.add_paid(FP, 10, kind="purchase", reference="stars:ch-1")
    async with db.transaction() as conn:
        await PaymentRepository.insert(
            conn, provider="stars", external_id="ch-1", telegram_id=1, fingerprint=FP, pack_id="10", credits=10,
            amount=50, currency="XTR", now=NOW,
        )  # fmt: skip
    spec = JobSpec(telegram_id=1, fingerprint=FP, chat_id=1, prompt="techno", engine="mock", params={"bpm": 128})
    admitted = [await credits.admit(spec, banned=False) for _ in range(3)]
    assert all(a.job_id is not None for a in admitted)
    await credits.settle(admitted[0].job_id or 0, "delivered")
    await credits.settle(admitted[1].job_id or 0, "failed", error="engine down")
    broadcasts = BroadcastRepository(db)  # a broadcast in progress: its recipients refer to it
    assert await broadcasts.claim(await broadcasts.create(1, "news", NOW), "sending") is not None
    await broadcasts.record(1, 2, "sent")
    assert await DailyRunRepository(db).claim("maintenance", NOW.date(), NOW)


async def test_migrate_brings_an_empty_sqlite_file_and_a_postgresql_database_up_to_date(
    tmp_path: Path, postgres_url: str
) -> None:
    code, out, err = await _storage("migrate", "--url", "sqlite:///fresh.db", data_dir=tmp_path)
    assert code == 0, err
    assert (tmp_path / "fresh.db").exists() and "sqlite database" in out and "schema up to date" in out
    code, out, err = await _storage("migrate", "--url", postgres_url, data_dir=tmp_path)
    assert code == 0, err
    assert "postgresql database" in out and "schema up to date" in out


async def test_copy_moves_a_sqlite_installation_to_postgresql_with_counts_checked_and_refuses_a_second_time(
    tmp_path: Path, postgres_url: str
) -> None:
    source_url = f"sqlite:///{tmp_path / 'old' / 'cloudmusic.db'}"
    source = await connect(source_url, tmp_path)
    try:
        await _installation(source)
        expected = await tally(source)
    finally:
        await source.close()
    code, out, err = await _storage("copy", "--from", source_url, "--to", postgres_url, data_dir=tmp_path)
    assert code == 0, err
    assert "counts match" in out and "users: 2 rows" in out and "payments: 1 for 10 credits" in out
    assert "broadcast_recipients: 2 rows" in out and "daily_runs: 1 rows" in out

    target = await connect(postgres_url, tmp_path)
    try:
        assert await tally(target) == expected
        jobs = await JobRepository(target).for_user(1)
        assert sorted(j.status for j in jobs) == ["delivered", "failed", "queued"]
        assert jobs[0].params == {"bpm": 128} and jobs[0].created_at == NOW
        assert await LedgerRepository(target).balance(FP, "paid") == 9, "10 bought, 1 held by the queued job"
        # The copied ids moved the id sequence on: the next job gets a fresh id, not a copied one.
        new = await Credits(target, free_daily_quota=0, zone=UTC_ZONE, clock=lambda: NOW, max_active_jobs=10).admit(
            JobSpec(telegram_id=1, fingerprint=FP, chat_id=1, prompt="x", engine="mock", params={}), banned=False
        )
        assert new.job_id is not None and new.job_id > max(j.id for j in jobs)
    finally:
        await target.close()

    code, out, err = await _storage("copy", "--from", source_url, "--to", postgres_url, data_dir=tmp_path)
    assert code == 1 and "the target is not empty" in err and "users: 2" in err


async def test_copy_back_from_postgresql_to_a_new_sqlite_file_keeps_every_count(
    tmp_path: Path, postgres_url: str
) -> None:
    source = await connect(postgres_url, tmp_path)
    try:
        await _installation(source)
        expected = await tally(source)
    finally:
        await source.close()
    code, _, err = await _storage("copy", "--from", postgres_url, "--to", "sqlite:///back.db", data_dir=tmp_path)
    assert code == 0, err
    target = await connect("sqlite:///back.db", tmp_path)
    try:
        assert await tally(target) == expected
    finally:
        await target.close()


async def test_a_bad_url_is_named_and_changes_nothing(tmp_path: Path) -> None:
    code, _, err = await _storage("migrate", "--url", "mysql://x@y/z", data_dir=tmp_path)
    assert code == 1 and "DATABASE_URL must be sqlite:///path or postgresql://" in err
    assert not (tmp_path / "cloudmusic.db").exists()

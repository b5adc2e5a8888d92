"""Schema migrations: an append-only list of named steps, each recorded in ``schema_migrations`` once applied.

Never edit or reorder a released step; add a new one at the end. A database that records a step this code does
not know was written by a newer CloudMusic and is refused rather than silently downgraded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Migration:
    """One named schema step."""

    name: str
    sql: str  # SQLite's DDL; PostgreSQL runs it translated (storage.postgres.postgres_ddl)…
    postgres: str | None = None  # …unless the step must be spelled differently there
    #: A third party's schema, read when the step runs and applied on PostgreSQL as it is (SQLite skips the step)
    postgres_verbatim: Callable[[], str] | None = None


def _procrastinate_schema() -> str:
    from storage.pgqueue import procrastinate_schema

    return procrastinate_schema()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_users",
        """
        CREATE TABLE users (
            telegram_id   INTEGER PRIMARY KEY,
            fingerprint   TEXT    NOT NULL UNIQUE,
            first_name    TEXT    NOT NULL DEFAULT '',
            username      TEXT,
            language      TEXT    NOT NULL DEFAULT 'en',
            banned        INTEGER NOT NULL DEFAULT 0 CHECK (banned IN (0, 1)),
            start_payload TEXT,
            visits        INTEGER NOT NULL DEFAULT 1,
            created_at    TEXT    NOT NULL,
            last_seen_at  TEXT    NOT NULL
        );
        """,
    ),
    Migration(
        "0002_jobs",
        """
        CREATE TABLE jobs (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            telegram_id   INTEGER NOT NULL REFERENCES users (telegram_id),
            fingerprint   TEXT    NOT NULL,
            chat_id       INTEGER NOT NULL,
            prompt        TEXT    NOT NULL,
            params        TEXT    NOT NULL DEFAULT '{}',
            engine        TEXT    NOT NULL,
            model         TEXT,
            status        TEXT    NOT NULL DEFAULT 'queued'
                          CHECK (status IN ('queued', 'running', 'delivered', 'failed', 'canceled')),
            funding       TEXT    NOT NULL CHECK (funding IN ('free', 'paid', 'house')),
            priority      INTEGER NOT NULL DEFAULT 0,
            attempts      INTEGER NOT NULL DEFAULT 0,
            seed          INTEGER,
            error         TEXT,
            audio_path    TEXT,
            file_id       TEXT,
            wav_file_id   TEXT,
            stems_file_id TEXT,
            status_message_id INTEGER,
            title         TEXT,
            duration      REAL,
            bpm           REAL,
            music_key     TEXT,
            license_id    TEXT,
            commercial    INTEGER,
            has_stems     INTEGER NOT NULL DEFAULT 0,
            shared_at     TEXT,
            cost_usd      REAL    NOT NULL DEFAULT 0,
            created_at    TEXT    NOT NULL,
            started_at    TEXT,
            finished_at   TEXT
        );
        CREATE INDEX jobs_queue ON jobs (status, engine, priority DESC, id);
        CREATE INDEX jobs_owner ON jobs (telegram_id, id DESC);
        """,
    ),
    Migration(
        "0003_credit_ledger",
        """
        CREATE TABLE credit_ledger (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            fingerprint TEXT    NOT NULL,
            bucket      TEXT    NOT NULL CHECK (bucket IN ('free', 'paid')),
            kind        TEXT    NOT NULL,
            amount      INTEGER NOT NULL,
            job_id      INTEGER REFERENCES jobs (id),
            reference   TEXT,
            day         TEXT,
            note        TEXT,
            created_at  TEXT    NOT NULL
        );
        CREATE INDEX credit_ledger_owner ON credit_ledger (fingerprint, bucket, day);
        CREATE UNIQUE INDEX credit_ledger_reference ON credit_ledger (kind, reference) WHERE reference IS NOT NULL;
        CREATE TRIGGER credit_ledger_no_update BEFORE UPDATE ON credit_ledger
            BEGIN SELECT RAISE(ABORT, 'credit_ledger is append-only'); END;
        CREATE TRIGGER credit_ledger_no_delete BEFORE DELETE ON credit_ledger
            BEGIN SELECT RAISE(ABORT, 'credit_ledger is append-only'); END;
        """,
    ),
    Migration(
        "0004_payments",
        """
        CREATE TABLE payments (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            provider       TEXT    NOT NULL CHECK (provider IN ('stars', 'telegram', 'stripe')),
            external_id    TEXT    NOT NULL,
            telegram_id    INTEGER,
            fingerprint    TEXT    NOT NULL,
            pack_id        TEXT    NOT NULL,
            credits        INTEGER NOT NULL CHECK (credits > 0),
            amount         INTEGER NOT NULL,
            currency       TEXT    NOT NULL,
            status         TEXT    NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'refunded')),
            payment_intent TEXT,
            refunded_credits INTEGER,
            created_at     TEXT    NOT NULL,
            refunded_at    TEXT,
            UNIQUE (provider, external_id)
        );
        CREATE INDEX payments_owner ON payments (telegram_id, id DESC);
        CREATE TABLE stripe_events (
            id          TEXT PRIMARY KEY,
            type        TEXT NOT NULL,
            received_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        "0005_teasers",
        """
        CREATE TABLE teasers (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            channel     TEXT    NOT NULL,
            day         TEXT,
            kind        TEXT    NOT NULL CHECK (kind IN ('daily', 'manual')),
            status      TEXT    NOT NULL CHECK (status IN ('preparing', 'sending', 'posted', 'failed')),
            job_id      INTEGER REFERENCES jobs (id),
            prompt      TEXT,
            engine      TEXT,
            model       TEXT,
            seed        INTEGER,
            message_id  INTEGER,
            attempts    INTEGER NOT NULL DEFAULT 0,
            error       TEXT,
            created_at  TEXT    NOT NULL,
            updated_at  TEXT    NOT NULL,
            posted_at   TEXT,
            UNIQUE (channel, day),
            CHECK ((kind = 'daily') = (day IS NOT NULL))
        );
        CREATE UNIQUE INDEX teasers_job_once ON teasers (job_id) WHERE job_id IS NOT NULL AND status <> 'failed';
        """,
    ),
    Migration(
        "0006_operations",
        """
        CREATE TABLE admin_audit (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            admin_id    INTEGER NOT NULL,
            action      TEXT    NOT NULL,
            arguments   TEXT    NOT NULL DEFAULT '',
            created_at  TEXT    NOT NULL
        );
        CREATE INDEX admin_audit_time ON admin_audit (created_at);
        CREATE TRIGGER admin_audit_no_update BEFORE UPDATE ON admin_audit
            BEGIN SELECT RAISE(ABORT, 'admin_audit is append-only'); END;
        CREATE TRIGGER admin_audit_no_delete BEFORE DELETE ON admin_audit
            BEGIN SELECT RAISE(ABORT, 'admin_audit is append-only'); END;
        ALTER TABLE users ADD COLUMN blocked_at TEXT;
        CREATE TABLE broadcasts (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            admin_id    INTEGER NOT NULL,
            text        TEXT    NOT NULL,
            status      TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'done', 'canceled')),
            sent        INTEGER NOT NULL DEFAULT 0,
            blocked     INTEGER NOT NULL DEFAULT 0,
            failed      INTEGER NOT NULL DEFAULT 0,
            created_at  TEXT    NOT NULL,
            finished_at TEXT
        );
        """,
    ),
    Migration(
        "money_stripe_reversals",
        # One row per Stripe refund (re_…) or dispute (dp_…) applied to a payment, so each is handled once
        # whichever event (and however many redeliveries) carries it.
        """
        CREATE TABLE stripe_reversals (
            id          TEXT PRIMARY KEY,
            kind        TEXT    NOT NULL CHECK (kind IN ('refund', 'dispute')),
            payment_id  INTEGER NOT NULL REFERENCES payments (id),
            received_at TEXT    NOT NULL
        );
        """,
    ),
    Migration(
        "workers_job_sending",
        # Set just before the track is uploaded: /cancel is refused from then on, and a restart knows the upload
        # may have reached the user (it re-sends from disk and charges once).
        """
        ALTER TABLE jobs ADD COLUMN sending_at TEXT;
        """,
    ),
    Migration(  # who created this database: the sandbox or a real bot (h-sandbox, issue 12 item 9)
        "sandbox_database_owner",
        """
        CREATE TABLE database_owner (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            mode       TEXT    NOT NULL CHECK (mode IN ('sandbox', 'telegram')),
            bot_id     INTEGER NOT NULL,
            created_at TEXT    NOT NULL
        );
        """,
    ),
    Migration(  # users waiting to write to support, and the admins' copies of their messages (issue 12 item 11)
        "sandbox_support",
        """
        CREATE TABLE support_requests (
            telegram_id INTEGER PRIMARY KEY,
            topic       TEXT    NOT NULL,
            created_at  TEXT    NOT NULL
        );
        CREATE TABLE support_messages (
            admin_id         INTEGER NOT NULL,
            admin_message_id INTEGER NOT NULL,
            telegram_id      INTEGER NOT NULL,
            created_at       TEXT    NOT NULL,
            PRIMARY KEY (admin_id, admin_message_id)
        );
        """,
    ),
    Migration(
        "studio_api_keys",
        # Third-party API keys: only the SHA-256 of the key is kept; a revoked key keeps its row (and its name).
        """
        CREATE TABLE api_keys (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            owner_id    INTEGER NOT NULL,
            name        TEXT    NOT NULL,
            key_hash    TEXT    NOT NULL UNIQUE,
            created_by  INTEGER NOT NULL,
            created_at  TEXT    NOT NULL,
            revoked_at  TEXT
        );
        """,
    ),
    Migration(
        "analysis_runs",
        """
        CREATE TABLE analysis_runs (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            telegram_id     INTEGER NOT NULL,
            day             TEXT    NOT NULL,
            status          TEXT    NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
            features        TEXT,
            recommendation  TEXT,
            created_at      TEXT    NOT NULL
        );
        CREATE INDEX analysis_runs_user_day ON analysis_runs (telegram_id, day);
        """,
    ),
    Migration(
        "studio_web_sessions",
        # Anonymous web visitors: a session is known by the SHA-256 of its cookie's random token; its id, negated,
        # stands for it where a Telegram user id would (jobs, ledger fingerprint). /link codes are kept hashed too
        # and join a session to a Telegram account once.
        """
        CREATE TABLE web_sessions (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            token_hash  TEXT    NOT NULL UNIQUE,
            created_at  TEXT    NOT NULL,
            linked_to   INTEGER,
            linked_at   TEXT
        );
        CREATE TABLE link_codes (
            code_hash   TEXT    PRIMARY KEY,
            telegram_id INTEGER NOT NULL,
            fingerprint TEXT    NOT NULL,
            created_at  TEXT    NOT NULL,
            expires_at  TEXT    NOT NULL,
            used_at     TEXT,
            session_id  INTEGER REFERENCES web_sessions (id)
        );
        """,
    ),
    Migration(
        "reach_user_language_choice",
        """
        ALTER TABLE users ADD COLUMN chosen_language TEXT;
        """,
    ),
    Migration(
        "reach_referrals",
        """
        CREATE TABLE referrals (
            invited_id  INTEGER PRIMARY KEY REFERENCES users (telegram_id),
            inviter_id  INTEGER NOT NULL REFERENCES users (telegram_id) CHECK (inviter_id <> invited_id),
            created_at  TEXT    NOT NULL,
            rewarded_at TEXT,
            job_id      INTEGER REFERENCES jobs (id),
            credits     INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX referrals_inviter ON referrals (inviter_id);
        """,
    ),
    Migration(
        "reach_demo_tracks",
        """
        CREATE TABLE demo_tracks (
            name       TEXT PRIMARY KEY,
            file_id    TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        "reach_track_deleted",
        """
        ALTER TABLE jobs ADD COLUMN deleted_at TEXT;
        """,
    ),
    Migration(  # the words a song's vocals sing, as the user wrote them; NULL for an instrumental (issue 17)
        "vocals_job_lyrics",
        """
        ALTER TABLE jobs ADD COLUMN lyrics TEXT;
        """,
    ),
    Migration(  # /song drafts waiting for their confirm button (storage.songs; issue 17)
        "vocals_song_drafts",
        """
        CREATE TABLE song_drafts (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            telegram_id  INTEGER NOT NULL,
            style        TEXT    NOT NULL,
            lyrics       TEXT,
            offer        TEXT    NOT NULL,
            created_at   TEXT    NOT NULL
        );
        """,
    ),
    Migration(  # each user's default engine/model, chosen with /engine <name> (storage.songs; issue 17)
        "vocals_engine_choices",
        """
        CREATE TABLE engine_choices (
            telegram_id  INTEGER PRIMARY KEY,
            offer        TEXT    NOT NULL,
            chosen_at    TEXT    NOT NULL
        );
        """,
    ),
    Migration(  # the AI lyric writer's runs: the daily count of free writes (storage.songs; issue 17)
        "vocals_lyric_writes",
        """
        CREATE TABLE lyric_writes (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            telegram_id  INTEGER NOT NULL,
            day          TEXT    NOT NULL,
            failed       INTEGER NOT NULL DEFAULT 0,
            created_at   TEXT    NOT NULL
        );
        CREATE INDEX lyric_writes_user_day ON lyric_writes (telegram_id, day);
        """,
    ),
    Migration(
        "synth_job_style",
        """
        ALTER TABLE jobs ADD COLUMN style TEXT;
        """,
    ),
    Migration(  # /song asked step by step: which answer a draft waits for, and the AI writer's theme (issue 17)
        "vocals_song_draft_steps",
        """
        ALTER TABLE song_drafts ADD COLUMN stage TEXT NOT NULL DEFAULT 'ready';
        ALTER TABLE song_drafts ADD COLUMN theme TEXT;
        CREATE INDEX song_drafts_user_stage ON song_drafts (telegram_id, stage);
        """,
    ),
    # procrastinate's tables and functions: the PostgreSQL queue backend (storage.pgqueue; issue 16). Its schema
    # belongs to the pinned procrastinate minor line; a new line brings its own migration files to add here.
    Migration("procrastinate_3_10", "", postgres_verbatim=_procrastinate_schema),
    Migration(  # bot replicas: a broadcast's progress survives a restart; a daily job runs once (issue 16)
        "replicas_broadcast_progress",
        """
        CREATE TABLE broadcast_recipients (
            broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
            telegram_id  INTEGER NOT NULL,
            outcome      TEXT CHECK (outcome IN ('sending', 'sent', 'blocked', 'failed')),
            PRIMARY KEY (broadcast_id, telegram_id)
        );
        CREATE TABLE daily_runs (
            job          TEXT    NOT NULL,
            day          TEXT    NOT NULL,
            claimed_at   TEXT    NOT NULL,
            PRIMARY KEY (job, day)
        );
        """,
    ),
)


async def apply_migrations(db: Database, migrations: tuple[Migration, ...]) -> list[str]:
    """Apply every step not yet recorded, in order; returns the names applied now."""
    from storage.database import MigrationError

    await db.executescript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in await db.fetchall("SELECT name FROM schema_migrations")}
    known = {m.name for m in migrations}
    unknown = sorted(done - known)
    if unknown:
        raise MigrationError(
            f"the database has migrations this version does not know ({', '.join(unknown)}); "
            "it was written by a newer CloudMusic"
        )
    applied = []
    for migration in migrations:
        if migration.name in done:
            continue
        try:
            async with db.transaction() as conn:
                postgres = conn.dialect == "postgresql"
                if postgres and migration.postgres_verbatim is not None:
                    await conn.run_script(migration.postgres_verbatim(), verbatim=True)
                else:
                    await conn.run_script((migration.postgres if postgres else None) or migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (migration.name, datetime.now(UTC).isoformat()),
                )
        except Exception as exc:
            raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
        log.info("applied migration %s", migration.name)
        applied.append(migration.name)
    return applied


def statements(sql: str) -> list[str]:
    """Split a step into statements, keeping trigger bodies (BEGIN … END;) whole."""
    import sqlite3

    statements: list[str] = []
    current = ""
    for line in sql.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements

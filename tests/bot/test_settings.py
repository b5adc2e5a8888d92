"""Settings: defaults, parsing, one-line errors naming the variable, secrets kept out of repr."""

from __future__ import annotations

import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_error, fingerprint_secret

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_match_the_documented_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "ENGINE",
        "DATA_DIR",
        "FREE_DAILY_QUOTA",
        "HTTP_PORT",
        "ADMIN_IDS",
        "TEASER_CHANNEL",
    ):
        monkeypatch.delenv(name, raising=False)
    s = settings()
    assert s.sandbox and s.telegram_bot_token is None
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.data_dir == Path("./data") and s.database_path == Path("data/sandbox/cloudmusic.db")
    assert (s.engine, s.free_daily_quota, s.quota_timezone) == ("synth", 4, "UTC")
    assert (s.teaser_time, s.teaser_timezone) == (time(18, 0), "UTC")
    assert (s.http_host, s.http_port, s.log_level, s.log_format) == ("127.0.0.1", 8080, "INFO", "text")
    assert s.admin_ids == {1003} and s.teaser_channel == "@cloudmusic_teasers", (
        "sandbox mode: the page's Admin, Channel"
    )
    assert (s.audio_store, s.s3_endpoint_url) == ("local", None)


def test_audio_store_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIO_STORE", " s3://cloudmusic-audio/prod ")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9000/")
    s = settings()
    assert (s.audio_store, s.s3_endpoint_url) == ("s3://cloudmusic-audio/prod", "http://127.0.0.1:9000")
    monkeypatch.setenv("AUDIO_STORE", "LOCAL")
    monkeypatch.setenv("S3_ENDPOINT_URL", "")
    assert (settings().audio_store, settings().s3_endpoint_url) == ("local", None)


def test_environment_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "42, 7,1001")
    monkeypatch.setenv("QUOTA_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("TEASER_TIME", "09:30")
    monkeypatch.setenv("TEASER_CHANNEL", "@cloudmusic_daily")
    s = settings()
    assert not s.sandbox
    assert s.admin_ids == frozenset({42, 7, 1001})
    assert s.teaser_time == time(9, 30)
    assert s.teaser_timezone == "Europe/Berlin", "the teaser zone defaults to the quota zone"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FREE_DAILY_QUOTA", "many", "FREE_DAILY_QUOTA"),
        ("QUOTA_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("TEASER_TIME", "25:00", "expected HH:MM"),
        ("ADMIN_IDS", "42,bob", "'bob'"),
        ("HTTP_PORT", "70000", "HTTP_PORT"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN"),
        ("TEASER_CHANNEL", "my channel", "TEASER_CHANNEL"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("AUDIO_STORE", "/srv/audio", "must be 'local' or s3://bucket/prefix"),
        ("AUDIO_STORE", "s3://My_Bucket/tracks", "is not an S3 bucket name"),
        ("S3_ENDPOINT_URL", "minio:9000", "must be an http(s):// URL"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        settings()
    line = describe_error(caught.value)
    assert "\n" not in line
    assert name in line and expected in line


def test_secrets_never_appear_in_repr_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_supersecretvalue")
    s = settings()
    assert TOKEN not in repr(s) and "supersecretvalue" not in repr(s)
    monkeypatch.setenv("FREE_DAILY_QUOTA", "x")
    with pytest.raises(ValidationError) as caught:
        settings()
    assert "supersecretvalue" not in describe_error(caught.value)


def test_fingerprint_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    s = settings(data_dir=tmp_path)
    first = fingerprint_secret(s)
    assert len(first) == 64
    assert fingerprint_secret(s) == first
    assert (tmp_path / "sandbox" / "fingerprint.secret").stat().st_mode & 0o777 == 0o600
    assert fingerprint_secret(settings(data_dir=tmp_path, fingerprint_secret="given")) == b"given"


@pytest.mark.parametrize("entry_point", ["bot", "worker"])
def test_python_m_bot_or_worker_refuses_a_bad_value_with_one_line(tmp_path: Path, entry_point: str) -> None:
    root = str(Path(__file__).resolve().parents[2])  # this checkout's bot and worker, whatever is installed
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": root, "FREE_DAILY_QUOTA": "-3", "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", entry_point], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "FREE_DAILY_QUOTA" in lines[0], result.stderr


def test_python_m_bot_refuses_a_bad_audio_store_with_one_line(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])  # this checkout's bot, whatever is installed
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": root,
        "AUDIO_STORE": "s3:/cloudmusic-audio",
        "DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Bad configuration: AUDIO_STORE: "), result.stderr


def test_a_real_bot_keeps_its_data_in_data_dir_and_the_sandbox_in_data_dir_sandbox(tmp_path: Path) -> None:
    real = settings(data_dir=tmp_path, telegram_bot_token=TOKEN)
    assert (real.database_path, real.audio_dir) == (tmp_path / "cloudmusic.db", tmp_path / "audio")
    sandbox = settings(data_dir=tmp_path)
    assert (sandbox.database_path, sandbox.audio_dir) == (
        tmp_path / "sandbox" / "cloudmusic.db",
        tmp_path / "sandbox" / "audio",
    )
    assert not sandbox.sandbox_public and settings(sandbox_public="true").sandbox_public


def test_an_empty_fingerprint_secret_file_stops_start_up_with_one_line(tmp_path: Path) -> None:
    secret = tmp_path / "sandbox" / "fingerprint.secret"
    secret.parent.mkdir(parents=True)
    secret.write_text("\n")
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "ENGINE": "mock", "HTTP_PORT": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "fingerprint.secret is empty" in lines[0], result.stderr
    assert secret.read_text() == "\n", "the file is left for the operator to restore"


def test_sections_group_the_same_variables_and_keep_secrets_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """``settings.quota`` & co. are views: the variable names stay; derived values are computed there once."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "42,7")
    monkeypatch.setenv("QUOTA_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("FREE_DAILY_QUOTA", "6")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://music.example.com/")
    monkeypatch.setenv("PAYMENT_PROVIDER_TOKEN", "provider-secret-123")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_secret_456")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:pg-password-789@db:5432/cloudmusic")
    monkeypatch.setenv("AUDIO_RETENTION_DAYS", "7")
    s = settings()
    assert (s.telegram.admin_ids, s.telegram.bot_id, s.telegram.sandbox) == (frozenset({42, 7}), 123456, False)
    assert (s.quota.free_daily, s.quota.timezone, str(s.quota.zone)) == (6, "Europe/Berlin", "Europe/Berlin")
    assert s.studio.page_url == s.studio.mini_app_url == "https://music.example.com/app/" and s.studio.secure_cookies
    assert s.storage.backend == "postgresql" and s.storage.audio_retention.days == 7
    assert s.teaser.zone == s.quota.zone, "the teaser's zone defaults to the quota's"
    shown = repr((s.telegram, s.storage, s.generation, s.quota, s.payments, s.studio, s.http))
    for secret in (TOKEN, "provider-secret-123", "sk_test_secret_456", "pg-password-789"):
        assert secret not in shown


def test_a_plain_http_address_gives_a_link_but_no_mini_app() -> None:
    studio = settings(public_base_url="http://localhost:8080").studio
    assert (studio.page_url, studio.mini_app_url, studio.secure_cookies) == ("http://localhost:8080/app/", None, False)
    assert settings().studio.page_url is None

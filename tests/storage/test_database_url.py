"""DATABASE_URL: which backend and file it names, a bad one named in one line, its password never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_error
from storage.backends import backend_of, sqlite_path
from storage.postgres import redact

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_unset_relative_and_absolute_sqlite_urls_name_files_under_or_beside_data_dir(tmp_path: Path) -> None:
    assert sqlite_path(None, tmp_path) == tmp_path / "cloudmusic.db"
    assert sqlite_path("sqlite:///other.db", tmp_path) == tmp_path / "other.db"
    assert sqlite_path("sqlite:////srv/data/x.db", tmp_path) == Path("/srv/data/x.db")
    assert [backend_of(u) for u in (None, "", "sqlite:///a.db", "postgresql://u@h/d", "postgres://u@h/d")] == [
        "sqlite",
        "sqlite",
        "sqlite",
        "postgresql",
        "postgresql",
    ]
    s = settings(data_dir=tmp_path, database_url="sqlite:///other.db", telegram_bot_token=TOKEN)
    assert s.database_backend == "sqlite" and s.database_path == tmp_path / "other.db"
    assert s.payment_inbox_path == tmp_path / "payments-inbox.db"


def test_a_bad_database_url_stops_start_up_with_one_line_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(database_url="mysql://root@db/cloudmusic")
    line = describe_error(caught.value)
    assert "\n" not in line and "database_url" in line.lower() and "postgresql://" in line


def test_the_database_password_never_appears_in_repr_or_locations() -> None:
    s = settings(database_url="postgresql://cloudmusic:hunter2secret@db.internal:5432/cloudmusic")
    assert s.database_backend == "postgresql" and "hunter2secret" not in repr(s)
    assert redact("postgresql://cloudmusic:hunter2secret@db:5432/x") == "postgresql://cloudmusic:***@db:5432/x"

"""Teaser settings: TEASER_PROMPTS split on | or ",", AUDIO_RETENTION_DAYS bounded, errors naming the variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import DEFAULT_TEASER_PROMPTS, Settings, describe_error


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("raw", "prompts"),
    [
        ("calm piano | dark techno, 128 bpm", ("calm piano", "dark techno, 128 bpm")),
        ("calm piano, dark techno", ("calm piano", "dark techno")),
        ("  only one  ", ("only one",)),
    ],
)
def test_teaser_prompts_split_on_bars_else_commas(
    monkeypatch: pytest.MonkeyPatch, raw: str, prompts: tuple[str, ...]
) -> None:
    monkeypatch.setenv("TEASER_PROMPTS", raw)
    assert settings().teaser_prompts == prompts


def test_defaults_give_house_prompts_and_a_30_day_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TEASER_PROMPTS", "AUDIO_RETENTION_DAYS", "TEASER_CHANNEL", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    s = settings(telegram_bot_token="123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345")
    assert s.teaser_prompts == DEFAULT_TEASER_PROMPTS and len(DEFAULT_TEASER_PROMPTS) >= 5
    assert s.audio_retention_days == 30
    config = s.teaser
    assert config.channel is None and config.prompts == DEFAULT_TEASER_PROMPTS and config.teaser_seconds == 20.0
    assert settings().teaser.channel == "@cloudmusic_teasers", "sandbox mode (no token) posts to the page's channel"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TEASER_PROMPTS", " | ", "TEASER_PROMPTS: expected at least one prompt"),
        ("TEASER_PROMPTS", "ok|bad\x07bell", "TEASER_PROMPTS: a prompt must be printable text"),
        ("AUDIO_RETENTION_DAYS", "0", "AUDIO_RETENTION_DAYS: Input should be greater than or equal to 1"),
    ],
)
def test_bad_teaser_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        settings()
    assert describe_error(raised.value).startswith(f"Bad configuration: {message}")

"""TELEGRAM_RATE_SHARE: each bot replica takes its share of Telegram's flood limits, so N replicas stay under them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.observed_limiter import shared_limits
from bot.settings import Settings, describe_error
from tests.conftest import TOKEN


def test_the_whole_limit_by_default_and_a_share_scales_both_limits() -> None:
    assert Settings(_env_file=None, telegram_bot_token=TOKEN).telegram.rate_share == 1.0  # type: ignore[call-arg]
    assert shared_limits(1.0) == {
        "overall_max_rate": 30,
        "overall_time_period": 1.0,
        "group_max_rate": 20,
        "group_time_period": 60.0,
    }
    half = shared_limits(0.5)
    assert (half["overall_max_rate"], half["group_max_rate"]) == (15, 10)


def test_three_replicas_together_stay_under_telegrams_limits() -> None:
    third = shared_limits(1 / 3)
    assert 3 * third["overall_max_rate"] / third["overall_time_period"] <= 30 + 1e-9
    assert 3 * third["group_max_rate"] / third["group_time_period"] <= 20 / 60 + 1e-9


def test_a_tiny_share_becomes_one_call_per_longer_period() -> None:
    tiny = shared_limits(0.01)  # 0.3 calls a second; the limiter's bucket must hold at least one call
    assert tiny["overall_max_rate"] == 1.0 and tiny["overall_time_period"] == pytest.approx(1 / 0.3)
    assert tiny["group_max_rate"] == 1.0 and tiny["group_time_period"] == pytest.approx(60 / 0.2)


@pytest.mark.parametrize("value", ["0", "-0.5", "1.5", "half"])
def test_a_share_outside_zero_to_one_is_refused_naming_the_key(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, telegram_bot_token=TOKEN, telegram_rate_share=value)  # type: ignore[call-arg]
    assert "TELEGRAM_RATE_SHARE: " in describe_error(caught.value)


def test_the_share_reaches_the_settings_section() -> None:
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, telegram_rate_share="0.25")  # type: ignore[call-arg]
    assert settings.telegram.rate_share == 0.25

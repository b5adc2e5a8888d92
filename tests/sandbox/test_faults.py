"""Injected faults reach PTB as the exceptions production code must handle."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from standin import TelegramStandIn
from tests.sandbox.conftest import ADA


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside RetryAfter()
async def test_429_becomes_retry_after_with_the_servers_delay(bot: Bot, standin: TelegramStandIn) -> None:
    standin.inject_fault("sendMessage", "429", retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ADA, "hi")

    assert "7" in caught.value.message
    assert await bot.send_message(ADA, "hi again")  # times=1: the next call goes through
    assert [c.status for c in standin.calls if c.method == "sendMessage"] == [429, 200]


@pytest.mark.parametrize(("kind", "error"), [("403", Forbidden), ("500", NetworkError), ("502", NetworkError)])
async def test_answering_faults_raise_the_matching_error(
    bot: Bot, standin: TelegramStandIn, kind: str, error: type[Exception]
) -> None:
    standin.inject_fault("sendMessage", kind)  # type: ignore[arg-type]

    with pytest.raises(error) as caught:
        await bot.send_message(ADA, "hi")

    assert not isinstance(caught.value, BadRequest | TimedOut)
    assert standin.transcript(ADA) == [] and standin.violations == []


async def test_a_dropped_connection_is_a_network_error_and_nothing_is_sent(bot: Bot, standin: TelegramStandIn) -> None:
    standin.inject_fault(None, "drop")

    with pytest.raises(NetworkError) as caught:
        await bot.send_message(ADA, "hi")

    assert not isinstance(caught.value, BadRequest | TimedOut)
    assert standin.transcript(ADA) == []


async def test_a_slow_answer_times_out_but_the_message_still_lands(bot: Bot, standin: TelegramStandIn) -> None:
    standin.inject_fault("sendMessage", "slow", delay=0.4)

    with pytest.raises(TimedOut):
        await bot.send_message(ADA, "late", read_timeout=0.1)

    landed = await standin.wait_for(ADA, lambda m: m.text == "late", timeout=2.0)
    assert landed.from_bot  # the duplicate-on-retry hazard production code must live with


async def test_faults_match_by_chat_and_count_down(bot: Bot, standin: TelegramStandIn) -> None:
    standin.add_user(2002, "Bo")
    fault = standin.inject_fault(kind="403", times=2, chat_id=2002)

    assert await bot.send_message(ADA, "Ada is fine")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(2002, "Bo is not")
    assert await bot.send_message(2002, "Bo again")
    assert fault.times == 0


def test_an_unknown_fault_kind_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="drop"):
        TelegramStandIn().inject_fault(kind="418")  # type: ignore[arg-type]

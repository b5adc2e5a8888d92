"""The admin commands' argument parsers: what each command asks for, or the usage text's key for anything else."""

from __future__ import annotations

import pytest

from bot.admin_args import (
    MAX_BATCH,
    MAX_BROADCAST,
    BadArguments,
    BanArgs,
    GrantArgs,
    IssueKey,
    ListKeys,
    RevokeKey,
    apikey_args,
    ban_args,
    batch_args,
    broadcast_args,
    grant_args,
    is_ban,
    user_args,
)
from bot.texts import Texts
from scheduler.admin import MAX_GRANT


def usage_of(call: object) -> tuple[str, dict[str, object]]:
    assert callable(call)
    with pytest.raises(BadArguments) as caught:
        call()
    return caught.value.key, caught.value.values


def test_user_takes_one_telegram_id() -> None:
    assert user_args(["1001"]) == 1001
    assert user_args(["1001", "extra"]) == 1001


@pytest.mark.parametrize("args", [[], ["ada"], ["²"], ["1.5"], [""]])
def test_user_without_a_number_gets_the_usage(args: list[str]) -> None:
    assert usage_of(lambda: user_args(args)) == ("admin.usage.user", {})


def test_grant_takes_id_credits_and_an_optional_reason_cut_to_200_characters() -> None:
    assert grant_args(["1001", "5"]) == GrantArgs(1001, 5, "")
    assert grant_args(["1001", "5", "contest", "winner"]) == GrantArgs(1001, 5, "contest winner")
    assert grant_args(["1", str(MAX_GRANT), "x" * 300]).reason == "x" * 200


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["1001"],
        ["1001", "lots"],
        ["²", "5"],
        ["1001", "¹⁰"],
        ["1001", "0"],
        ["1001", "-3"],
        ["1", str(MAX_GRANT + 1)],
    ],
)
def test_grant_outside_one_to_max_or_without_numbers_gets_the_usage(args: list[str]) -> None:
    assert usage_of(lambda: grant_args(args)) == ("admin.usage.grant", {})


@pytest.mark.parametrize(
    ("text", "banning"), [("/ban 7", True), ("/BAN@CloudMusicBot 7", True), ("/unban 7", False), ("", False)]
)
def test_the_command_says_ban_or_unban(text: str, banning: bool) -> None:
    assert is_ban(text) is banning


def test_ban_and_unban_take_a_telegram_id() -> None:
    assert ban_args("/ban 7", ["7"]) == BanArgs(7, banning=True)
    assert ban_args("/unban 7", ["7"]) == BanArgs(7, banning=False)
    assert usage_of(lambda: ban_args("/ban ²", ["²"])) == ("admin.usage.ban", {})
    assert usage_of(lambda: ban_args("/unban", [])) == ("admin.usage.ban", {})


def test_broadcast_takes_the_text_after_the_command_up_to_4000_characters() -> None:
    assert broadcast_args("/broadcast  New genres\nare live! ") == "New genres\nare live!"
    assert broadcast_args("/broadcast " + "x" * MAX_BROADCAST) == "x" * MAX_BROADCAST
    for text in ("/broadcast", "/broadcast    ", "/broadcast " + "x" * (MAX_BROADCAST + 1)):
        assert usage_of(lambda text=text: broadcast_args(text)) == ("admin.usage.broadcast", {})


def test_batch_splits_prompts_on_bars_and_drops_empty_ones() -> None:
    assert batch_args("/batch lofi 1s | | ambient drone ") == ["lofi 1s", "ambient drone"]
    assert len(batch_args("/batch " + " | ".join(["a"] * MAX_BATCH))) == MAX_BATCH


@pytest.mark.parametrize("text", ["/batch", "/batch | |", "/batch " + " | ".join(["a"] * (MAX_BATCH + 1))])
def test_batch_with_no_prompt_or_too_many_gets_the_usage_with_its_limit(text: str) -> None:
    assert usage_of(lambda: batch_args(text)) == ("admin.usage.batch", {"limit": MAX_BATCH})


def test_apikey_new_revoke_and_list() -> None:
    assert apikey_args(["new", "1001", "Ada's", "mixer"]) == IssueKey(1001, "Ada's mixer")
    assert apikey_args(["NEW", "1001", "n" * 100]) == IssueKey(1001, "n" * 64)
    assert apikey_args(["revoke", "3"]) == RevokeKey(3)
    assert apikey_args(["list", "1001"]) == ListKeys(1001)


@pytest.mark.parametrize(
    "args",
    [[], ["new", "1001"], ["new", "ada", "mixer"], ["revoke"], ["revoke", "²"], ["list", "-1"], ["drop", "1"]],
)
def test_apikey_anything_else_gets_the_usage(args: list[str]) -> None:
    assert usage_of(lambda: apikey_args(args)) == ("apikey.usage", {})


@pytest.mark.parametrize("language", ["en", "de", "es", "pt", "ru"])
def test_every_usage_key_has_a_text_that_takes_its_values(language: str) -> None:
    texts = Texts.load()
    for key, values in [
        ("admin.usage.user", {}),
        ("admin.usage.grant", {}),
        ("admin.usage.ban", {}),
        ("admin.usage.broadcast", {}),
        ("admin.usage.batch", {"limit": MAX_BATCH}),
        ("apikey.usage", {}),
    ]:
        assert "/" in texts.get(language, key, **values)

"""The admin commands' arguments, parsed without Telegram: each parser returns what the command asks for, or raises
:class:`BadArguments` carrying the catalog key (and values) of the command's usage text.

Numbers are what ``int()`` accepts: ``"²".isdigit()`` is True, but ``int("²")`` raises, so a superscript is refused
here rather than crashing the handler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.admin import MAX_GRANT

MAX_BATCH = 10  # prompts one /batch may queue
MAX_BROADCAST = 4000  # characters: a broadcast is one Telegram message
MAX_REASON = 200  # characters of a grant's reason kept in the ledger
MAX_KEY_NAME = 64  # characters of an API key's name


class BadArguments(Exception):
    """The arguments do not fit the command: answered with the usage text under ``key`` (filled with ``values``)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True, slots=True)
class GrantArgs:
    """``/grant <id> <credits> [reason]``."""

    telegram_id: int
    credits: int
    reason: str


@dataclass(frozen=True, slots=True)
class BanArgs:
    """``/ban <id>`` (``banning``) or ``/unban <id>``."""

    telegram_id: int
    banning: bool


@dataclass(frozen=True, slots=True)
class IssueKey:
    """``/apikey new <user id> <name>``."""

    owner_id: int
    name: str


@dataclass(frozen=True, slots=True)
class RevokeKey:
    """``/apikey revoke <key id>``."""

    key_id: int


@dataclass(frozen=True, slots=True)
class ListKeys:
    """``/apikey list <user id>``."""

    owner_id: int


ApiKeyArgs = IssueKey | RevokeKey | ListKeys


def number(text: str) -> int | None:
    """``text`` as an integer, or None when ``int()`` refuses it."""
    try:
        return int(text)
    except ValueError:
        return None


def user_args(args: Sequence[str]) -> int:
    """``/user <id>``: the Telegram id."""
    telegram_id = number(args[0]) if args else None
    if telegram_id is None:
        raise BadArguments("admin.usage.user")
    return telegram_id


def grant_args(args: Sequence[str]) -> GrantArgs:
    """``/grant <id> <credits 1..MAX_GRANT> [reason]``; the reason is cut to MAX_REASON characters."""
    telegram_id = number(args[0]) if args else None
    credits = number(args[1]) if len(args) >= 2 else None
    if telegram_id is None or credits is None or not 1 <= credits <= MAX_GRANT:
        raise BadArguments("admin.usage.grant")
    return GrantArgs(telegram_id, credits, " ".join(args[2:])[:MAX_REASON])


def ban_args(text: str, args: Sequence[str]) -> BanArgs:
    """``/ban <id>`` or ``/unban <id>`` (``text`` is the whole message: its command says which)."""
    telegram_id = number(args[0]) if args else None
    if telegram_id is None:
        raise BadArguments("admin.usage.ban")
    return BanArgs(telegram_id, is_ban(text))


def is_ban(text: str) -> bool:
    """Whether the message is ``/ban`` (else ``/unban``): the audit names the action before the arguments are read."""
    words = text.split()
    return bool(words) and words[0].split("@")[0].lower() == "/ban"


def broadcast_args(text: str) -> str:
    """``/broadcast <text>``: everything after the command, up to MAX_BROADCAST characters."""
    body = text.partition(" ")[2].strip()
    if not body or len(body) > MAX_BROADCAST:
        raise BadArguments("admin.usage.broadcast")
    return body


def batch_args(text: str) -> list[str]:
    """``/batch a | b | c``: one to MAX_BATCH prompts (empty ones dropped)."""
    prompts = [p.strip() for p in text.partition(" ")[2].split("|") if p.strip()]
    if not prompts or len(prompts) > MAX_BATCH:
        raise BadArguments("admin.usage.batch", limit=MAX_BATCH)
    return prompts


def apikey_args(args: Sequence[str]) -> ApiKeyArgs:
    """``/apikey new <user id> <name>`` · ``/apikey revoke <key id>`` · ``/apikey list <user id>``."""
    action = args[0].lower() if args else ""
    value = number(args[1]) if len(args) > 1 else None
    if value is not None and value >= 0:
        if action == "new" and len(args) > 2:
            return IssueKey(value, " ".join(args[2:])[:MAX_KEY_NAME])
        if action == "revoke":
            return RevokeKey(value)
        if action == "list":
            return ListKeys(value)
    raise BadArguments("apikey.usage")


__all__ = [
    "MAX_BATCH",
    "MAX_BROADCAST",
    "ApiKeyArgs",
    "BadArguments",
    "BanArgs",
    "GrantArgs",
    "IssueKey",
    "ListKeys",
    "RevokeKey",
    "apikey_args",
    "ban_args",
    "batch_args",
    "broadcast_args",
    "grant_args",
    "is_ban",
    "number",
    "user_args",
]

"""Telegram's length limits for what the bot sends: a message text is at most 4096 characters."""

from __future__ import annotations

#: sendMessage/editMessageText ``text``: 1-4096 characters after entities parsing (Bot API, sendMessage).
MESSAGE_LIMIT = 4096
ELLIPSIS = "…"


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (counted as Telegram counts them, in UTF-16 units), ending in "…"."""
    if _units(text) <= limit:
        return text
    budget = limit - _units(ELLIPSIS)
    kept = text[:budget]
    while _units(kept) > budget:  # astral characters (emoji) count twice
        kept = kept[:-1]
    return kept + ELLIPSIS


def clip_lines(lines: list[str], limit: int = MESSAGE_LIMIT, more: str = "…") -> str:
    """Whole lines joined by newlines, as many as fit in ``limit`` with ``more`` appended when some were left off.

    For HTML lists: cutting between lines never splits a tag or an entity.
    """
    text = "\n".join(lines)
    if _units(text) <= limit:
        return text
    kept: list[str] = []
    used = _units(more) + 1
    for line in lines:
        cost = _units(line) + 1
        if used + cost > limit:
            break
        kept.append(line)
        used += cost
    return "\n".join([*kept, more])


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2

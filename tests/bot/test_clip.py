"""Replies fit Telegram's 4096-character messages: cut with an ellipsis, HTML lists cut between whole lines."""

from __future__ import annotations

from bot.clip import MESSAGE_LIMIT, clip, clip_lines


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_short_text_is_untouched_and_long_text_ends_in_an_ellipsis_within_the_limit() -> None:
    assert clip("hello") == "hello"
    assert clip("x" * MESSAGE_LIMIT) == "x" * MESSAGE_LIMIT
    cut = clip("x" * 5000)
    assert len(cut) == MESSAGE_LIMIT and cut.endswith("…") and cut.startswith("x" * 4000)


def test_emoji_count_twice_so_a_clipped_text_fits_however_telegram_counts() -> None:
    cut = clip("🎵" * 3000)
    assert units(cut) <= MESSAGE_LIMIT and cut.endswith("…") and set(cut[:-1]) == {"🎵"}


def test_html_lists_are_cut_between_lines_so_no_tag_is_split() -> None:
    lines = [f"{n}. <b>{'track ' * 20}</b> — 2026-12-01" for n in range(100)]
    text = clip_lines(lines)
    assert units(text) <= MESSAGE_LIMIT and text.endswith("\n…")
    kept = text.split("\n")[:-1]
    assert kept == lines[: len(kept)] and all(line.count("<b>") == line.count("</b>") == 1 for line in kept)
    assert clip_lines(lines[:3]) == "\n".join(lines[:3])

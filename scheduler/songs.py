"""``/song``: a style line and the lyrics after it, checked before anything is kept or spent.

Lyrics are kept exactly as written — section tags such as ``[verse]`` and ``[chorus]``, blank lines, the
user's language — and refused only for what no model can sing (IntakeError with the text key and the limit).
"""

from __future__ import annotations

import unicodedata

from scheduler.intake import IntakeError

#: ACE-Step's own lyric prompt is limited by its text encoder; 3,000 characters is about 4 minutes of song and
#: well under Telegram's 4,096-character message (the confirm message quotes no lyrics, so nothing is cut).
MAX_LYRICS_CHARS = 3000
MAX_LYRIC_LINE_CHARS = 200
MAX_LYRIC_LINES = 120


def split_song(text: str) -> tuple[str, str | None]:
    """``/song <style>\\n<lyrics>`` → (style, lyrics or None). The command itself is removed."""
    first, _, rest = text.partition("\n")
    words = first.split(maxsplit=1)
    if words and words[0].startswith("/"):  # the command (and its @botname) is not part of the style
        words = words[1:]
    style = words[0].strip() if words else ""
    lyrics = rest if rest.strip() else None
    return style, lyrics


def check_lyrics(lyrics: str) -> str:
    """The lyrics unchanged, or IntakeError("song.lyrics_*") saying which limit they break."""
    if len(lyrics) > MAX_LYRICS_CHARS:
        raise IntakeError("song.lyrics_too_long", limit=MAX_LYRICS_CHARS, length=len(lyrics))
    lines = lyrics.splitlines()
    if len(lines) > MAX_LYRIC_LINES:
        raise IntakeError("song.lyrics_too_many_lines", limit=MAX_LYRIC_LINES, lines=len(lines))
    longest = max((len(line) for line in lines), default=0)
    if longest > MAX_LYRIC_LINE_CHARS:
        raise IntakeError("song.lyrics_line_too_long", limit=MAX_LYRIC_LINE_CHARS)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in lyrics):
        raise IntakeError("intake.control_chars")
    return lyrics

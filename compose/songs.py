"""``/song``: a style line and the lyrics after it, checked before anything is kept or spent.

Lyrics are kept exactly as written — section tags such as ``[verse]`` and ``[chorus]``, blank lines, the
user's language — and refused only for what no model can sing (IntakeError with the text key and the limit).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from compose import intake
from compose.intake import IntakeError
from compose.studio import Studio
from engines.base import EngineError
from engines.catalogue import Offer
from storage.songs import LyricWriteRepository

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


#: A theme for the lyric writer is a sentence or two, not a prompt injection essay.
MAX_THEME_CHARS = 300


@runtime_checkable
class LyricWriter(Protocol):
    """What writes lyrics: ``engines.replicate_engine.ReplicateEngine.write_lyrics``."""

    async def write_lyrics(self, theme: str, *, seed: int | None = None, max_chars: int = 3000) -> str:
        """Lyrics for ``theme``, plain text."""
        ...


class LyricsDesk:
    """The AI lyric writer with its daily limit: a failed write does not count; writing never costs credits."""

    def __init__(
        self,
        writer: LyricWriter | None,
        writes: LyricWriteRepository,
        *,
        daily_limit: int,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
    ) -> None:
        self.writer, self._writes, self.daily_limit = writer, writes, daily_limit
        self._zone, self._clock = zone, clock

    @property
    def available(self) -> bool:
        """Whether the hosted writer is configured (a Replicate token)."""
        return self.writer is not None

    async def write(self, telegram_id: int, theme: str) -> str:
        """Lyrics for ``theme``; IntakeError("lyrics.*") for a bad theme, the limit, no writer or a failure."""
        theme = theme.strip()
        if self.writer is None:
            raise IntakeError("lyrics.no_writer")
        if not theme:
            raise IntakeError("lyrics.usage")
        if len(theme) > MAX_THEME_CHARS:
            raise IntakeError("lyrics.theme_too_long", limit=MAX_THEME_CHARS, length=len(theme))
        if any(unicodedata.category(ch) == "Cc" for ch in theme):
            raise IntakeError("intake.control_chars")
        now = self._clock()
        write_id = await self._writes.reserve(telegram_id, now.astimezone(self._zone).date(), self.daily_limit, now)
        if write_id is None:
            raise IntakeError("lyrics.limit", limit=self.daily_limit)
        try:
            return check_lyrics(await self.writer.write_lyrics(theme, max_chars=MAX_LYRICS_CHARS))
        except (EngineError, IntakeError):
            await self._writes.fail(write_id)
            raise IntakeError("lyrics.failed") from None


def song_plan(studio: Studio, style: str, lyrics: str | None, preferred: Offer | None) -> tuple[str, Offer | None]:
    """The prompt and the offer a one-message ``/song`` goes to: the engine its style names, else ``preferred``.

    IntakeError (with its text key) for a malformed style, an engine nobody offers, lyrics no model can sing, or
    lyrics for a model that does not sing.
    """
    parsed = intake.parse(style)
    offer = studio.offer(parsed.engine) if parsed.engine is not None else preferred
    if lyrics is not None:
        check_lyrics(lyrics)
        if offer is None or not offer.capabilities.vocals:
            sings = studio.catalogue is not None and bool(studio.catalogue.vocal)
            model = offer.key if offer is not None else studio.engine
            raise IntakeError("song.not_vocal" if sings else "song.no_vocal_model", model=model)
    intake.check(parsed, offer.capabilities if offer is not None else studio.capabilities)
    return parsed.prompt, offer


def style_prompt(style: str) -> str:
    """The prompt a kept draft's style line stands for, or the line itself when it no longer parses."""
    try:
        return intake.parse(style).prompt
    except IntakeError:
        return style

"""Every inline button's callback data as a small typed value (aiogram's ``CallbackData`` is the model).

A payload is a frozen dataclass subclassing :class:`CallbackData` with a ``prefix``; its fields follow the prefix,
':'-separated, in declaration order: ``Regenerate(job=7).pack() == "rg:7"``. ``unpack`` reads exactly what ``pack``
writes and raises ``ValueError`` for anything else; ``pattern()`` is the anchored regex the handler is registered
with, so data that does not unpack never reaches that handler (the fallback answers it as an expired button).

Field types: ``int`` (0 … 10**18 - 1, ASCII digits), ``str`` (1-32 characters, no ':'), a ``Literal`` of strings,
any of these ``Annotated`` with a :class:`Match` regex to narrow it, and ``X | None = None`` for trailing fields that
are left out when None. The wire format is the one buttons already sent to users carry: keep prefixes and field
order when editing. Telegram caps callback_data at 64 bytes (Bot API, InlineKeyboardButton.callback_data
"1-64 bytes"); ``pack`` refuses anything longer.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

MAX_BYTES = 64  # Bot API InlineKeyboardButton.callback_data: "Data to be sent in a callback query ..., 1-64 bytes"
_INT = "[0-9]{1,18}"  # below 2**63, so every id fits SQLite's integers
_STR = "[^:]{1,32}"
_T = TypeVar("_T", bound="CallbackData")


@dataclass(frozen=True)
class Match:
    """Narrows a field to values matching ``regex`` (a full match, no ':' and no groups)."""

    regex: str


ID = Annotated[int, Match("(?!0)[0-9]{1,18}")]  # a database row id: positive


class CallbackData:
    """Base of every payload: ``pack`` / ``unpack`` / ``pattern`` from the subclass's prefix and fields."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix:  # a base without one (JobButton) only shares fields
            cls.prefix = prefix

    def pack(self) -> str:
        """The callback data string; ValueError if a field would not unpack or the result passes 64 bytes."""
        values = [getattr(self, f.name) for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        while values and values[-1] is None:
            values.pop()
        data = ":".join([self.prefix, *(str(v) for v in values)])
        if len(data.encode()) > MAX_BYTES or type(self).unpack(data) != self:
            raise ValueError(f"{type(self).__name__} cannot carry {data[:80]!r}")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self:
        """The payload ``data`` carries; ValueError unless it is exactly what ``pack`` writes."""
        match = cls.pattern().fullmatch(data)
        if match is None:
            raise ValueError(f"not {cls.__name__} data: {data[:80]!r}")
        converted = [
            None if raw is None else int(raw) if kind is int else raw
            for raw, (kind, _) in zip(match.groups(), fields_of(cls), strict=True)
        ]
        return cls(*converted)

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """The anchored regex matching exactly this payload's data (for ``CallbackQueryHandler(pattern=...)``)."""
        return _pattern(cls)


def pattern_of(*kinds: type[CallbackData]) -> re.Pattern[str]:
    """One regex matching any of ``kinds`` (one handler serving several payloads)."""
    return re.compile("|".join(f"(?:{kind.pattern().pattern})" for kind in kinds))


def unpack_any(data: str, *kinds: type[_T]) -> _T:
    """The first of ``kinds`` that ``data`` unpacks as; ValueError if none does."""
    for kind in kinds:
        if kind.pattern().fullmatch(data):
            return kind.unpack(data)
    raise ValueError(f"not callback data of {[k.__name__ for k in kinds]}: {data[:80]!r}")


_FIELDS: dict[type, tuple[tuple[type, str], ...]] = {}
_PATTERNS: dict[type, re.Pattern[str]] = {}


def fields_of(cls: type[CallbackData]) -> tuple[tuple[type, str], ...]:
    """Each field's base type (int or str) and the regex its packed text must match, in order."""
    if cls in _FIELDS:
        return _FIELDS[cls]
    hints = typing.get_type_hints(cls, include_extras=True)
    out: list[tuple[type, str]] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        out.append(_field(hints[field.name], field.name, cls))
    _FIELDS[cls] = tuple(out)
    return _FIELDS[cls]


def _field(hint: Any, name: str, cls: type) -> tuple[type, str]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"{cls.__name__}.{name}: only X | None is supported")
        hint = inner[0]
    regex = None
    if typing.get_origin(hint) is Annotated:
        hint, *extras = typing.get_args(hint)
        regex = next((e.regex for e in extras if isinstance(e, Match)), None)
    if typing.get_origin(hint) is Literal:
        return str, regex or "|".join(re.escape(str(v)) for v in typing.get_args(hint))
    if hint is int:
        return int, regex or _INT
    if hint is str:
        return str, regex or _STR
    raise TypeError(f"{cls.__name__}.{name}: unsupported field type {hint!r}")


def _pattern(cls: type[CallbackData]) -> re.Pattern[str]:
    if cls in _PATTERNS:
        return _PATTERNS[cls]
    optional = {f.name: f.default is None for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    parts, tail = [re.escape(cls.prefix)], ""
    for name, (_, regex) in zip(names, fields_of(cls), strict=True):
        if optional[name]:
            parts.append(f"(?::({regex})")
            tail += ")?"
        elif tail:
            raise TypeError(f"{cls.__name__}.{name}: a required field after an optional one")
        else:
            parts.append(f":({regex})")
    _PATTERNS[cls] = re.compile("^" + "".join(parts) + tail + "$")
    return _PATTERNS[cls]


# --- the payloads, by feature -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Buy(CallbackData, prefix="buy"):
    """The "Buy credits" button: opens the pack list."""


@dataclass(frozen=True)
class PackButton(CallbackData):
    """A button buying one credit pack."""

    pack_id: str


@dataclass(frozen=True)
class StarsPack(PackButton, prefix="pack"):
    """Buy a pack with Telegram Stars."""


@dataclass(frozen=True)
class FiatPack(PackButton, prefix="fiat"):
    """Buy a pack with a card through Telegram's payment provider."""


@dataclass(frozen=True)
class CardPack(PackButton, prefix="card"):
    """Buy a pack through a Stripe Checkout link."""


@dataclass(frozen=True)
class BroadcastDecision(CallbackData, prefix="bc"):
    """An admin sends (``ok``) or cancels (``no``) a prepared broadcast."""

    decision: Literal["ok", "no"]
    broadcast: int


@dataclass(frozen=True)
class TeaserCompose(CallbackData, prefix="tz"):
    """ "Compose this" under a teaser offer."""

    teaser: int


@dataclass(frozen=True)
class SupportCancel(CallbackData, prefix="sup:cancel"):
    """Leaves support mode."""


@dataclass(frozen=True)
class Language(CallbackData, prefix="lang"):
    """Chooses the interface language."""

    code: Annotated[str, Match("[a-z]{2}")]


@dataclass(frozen=True)
class Example(CallbackData, prefix="try"):
    """Composes one of the start message's examples."""

    name: Annotated[str, Match("[a-z]{1,16}")]


@dataclass(frozen=True)
class PresetChoice(CallbackData, prefix="pr"):
    """Composes a preset."""

    preset: Annotated[str, Match("[a-z]{1,16}")]


@dataclass(frozen=True)
class Listen(CallbackData, prefix="ls"):
    """Composes from a stored analysis: match (m), same tempo & key (s) or as reference (r)."""

    mode: Literal["m", "s", "r"]
    run: int


@dataclass(frozen=True)
class SongDecision(CallbackData, prefix="sg"):
    """Composes (``ok``) or drops (``no``) a song draft."""

    decision: Literal["ok", "no"]
    draft: ID


@dataclass(frozen=True)
class SongStep(CallbackData, prefix="sg"):
    """Asks the AI writer for lyrics (``ai``) or makes the song an instrumental (``in``)."""

    step: Literal["ai", "in"]
    draft: ID


@dataclass(frozen=True)
class LyricsChoice(CallbackData, prefix="lw"):
    """Uses (``use``), explains editing (``ed``) or rewrites (``re``) written lyrics."""

    choice: Literal["use", "ed", "re"]
    draft: ID


@dataclass(frozen=True)
class JobButton(CallbackData):
    """A button about one job (track): its id is the only field."""

    job: ID


@dataclass(frozen=True)
class Regenerate(JobButton, prefix="rg"):
    """Composes the track again."""


@dataclass(frozen=True)
class Extend(JobButton, prefix="ex"):
    """Continues the track."""


@dataclass(frozen=True)
class Wav(JobButton, prefix="wav"):
    """Sends the track as WAV."""


@dataclass(frozen=True)
class Stems(JobButton, prefix="st"):
    """Sends the track's stems."""


@dataclass(frozen=True)
class Share(JobButton, prefix="sh"):
    """Shares the track to the channel."""


@dataclass(frozen=True)
class HistoryPage(CallbackData, prefix="hist"):
    """Turns the history page."""

    page: ID


@dataclass(frozen=True)
class Replay(JobButton, prefix="re"):
    """Sends a track from the history again."""


@dataclass(frozen=True)
class Delete(JobButton, prefix="hdel"):
    """Deletes a track from the history."""


@dataclass(frozen=True)
class Lyrics(JobButton, prefix="ly"):
    """Sends a track's lyrics."""


@dataclass(frozen=True)
class GuidedGenres(CallbackData, prefix="gm:g"):
    """Guided mode: back to the genre choice."""


@dataclass(frozen=True)
class GuidedClose(CallbackData, prefix="gm:x"):
    """Guided mode: closes the menu."""


@dataclass(frozen=True)
class GuidedSong(CallbackData, prefix="gm:s"):
    """Guided mode: a song with vocals instead of a genre."""


@dataclass(frozen=True)
class GuidedMood(CallbackData, prefix="gm:m"):
    """Guided mode: the genre chosen, asks the mood."""

    genre: Annotated[int, Match("[0-9]{1,2}")]


@dataclass(frozen=True)
class GuidedEngine(CallbackData, prefix="gm:e"):
    """Guided mode: genre and mood chosen, asks the engine."""

    genre: Annotated[int, Match("[0-9]{1,2}")]
    mood: Annotated[int, Match("[0-9]{1,2}")]


@dataclass(frozen=True)
class GuidedLength(CallbackData, prefix="gm:l"):
    """Guided mode: genre, mood (and maybe the engine's catalogue key) chosen, asks the length."""

    genre: Annotated[int, Match("[0-9]{1,2}")]
    mood: Annotated[int, Match("[0-9]{1,2}")]
    engine: Annotated[str, Match("[^:]{1,40}")] | None = None  # a catalogue key


@dataclass(frozen=True)
class GuidedCompose(CallbackData, prefix="gm:c"):
    """Guided mode: everything chosen, composes."""

    genre: Annotated[int, Match("[0-9]{1,2}")]
    mood: Annotated[int, Match("[0-9]{1,2}")]
    seconds: Annotated[int, Match("[0-9]{1,4}")]
    engine: Annotated[str, Match("[^:]{1,40}")] | None = None  # a catalogue key


GUIDED: tuple[type[CallbackData], ...] = (
    GuidedGenres,
    GuidedClose,
    GuidedSong,
    GuidedMood,
    GuidedEngine,
    GuidedLength,
    GuidedCompose,
)
TRACK: tuple[type[JobButton], ...] = (Regenerate, Extend, Wav, Stems, Share)
HISTORY: tuple[type[CallbackData], ...] = (HistoryPage, Replay, Delete, Lyrics)
PACK: tuple[type[PackButton], ...] = (StarsPack, FiatPack, CardPack)
ALL: tuple[type[CallbackData], ...] = (
    Buy,
    *PACK,
    BroadcastDecision,
    TeaserCompose,
    SupportCancel,
    Language,
    Example,
    PresetChoice,
    Listen,
    SongDecision,
    SongStep,
    LyricsChoice,
    *TRACK,
    *HISTORY,
    *GUIDED,
)

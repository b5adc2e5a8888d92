"""Callback data: every payload round-trips, fits Telegram's 64 bytes at its longest, and keeps today's wire format."""

from __future__ import annotations

import re
from typing import Any

import pytest
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.callbacks import ALL, CallbackData, pattern_of, unpack_any
from tests.conftest import LiveBot


def _longest(kind: type[CallbackData]) -> CallbackData:
    """The payload with every field at the longest value its pattern admits (the longest Literal, else the most
    characters the field's regex allows)."""
    values: list[Any] = []
    for base, regex in callbacks.fields_of(kind):
        quantifier = re.search(r"\{(\d+)(?:,(\d+))?\}$", regex)
        if quantifier is None:  # a Literal: alternatives
            values.append(max(regex.split("|"), key=len))
            continue
        width = int(quantifier[2] or quantifier[1])
        text = next(c * width for c in "9z" if re.fullmatch(regex, c * width))
        values.append(int(text) if base is int else text)
    return kind(*values)


@pytest.mark.parametrize("kind", ALL, ids=lambda k: k.__name__)
def test_every_payload_fits_64_bytes_at_its_longest_and_round_trips(kind: type[CallbackData]) -> None:
    longest = _longest(kind)
    data = longest.pack()
    assert 1 <= len(data.encode()) <= 64
    assert kind.unpack(data) == longest
    assert kind.pattern().fullmatch(data)


@pytest.mark.parametrize(
    ("payload", "wire"),
    [
        (callbacks.Buy(), "buy"),
        (callbacks.StarsPack("p100"), "pack:p100"),
        (callbacks.FiatPack("p100"), "fiat:p100"),
        (callbacks.CardPack("p100"), "card:p100"),
        (callbacks.BroadcastDecision("ok", 3), "bc:ok:3"),
        (callbacks.TeaserCompose(12), "tz:12"),
        (callbacks.SupportCancel(), "sup:cancel"),
        (callbacks.Language("de"), "lang:de"),
        (callbacks.Example("lofi"), "try:lofi"),
        (callbacks.PresetChoice("focus"), "pr:focus"),
        (callbacks.Listen("r", 9), "ls:r:9"),
        (callbacks.SongDecision("ok", 4), "sg:ok:4"),
        (callbacks.SongStep("in", 4), "sg:in:4"),
        (callbacks.LyricsChoice("use", 4), "lw:use:4"),
        (callbacks.Regenerate(7), "rg:7"),
        (callbacks.Extend(7), "ex:7"),
        (callbacks.Wav(7), "wav:7"),
        (callbacks.Stems(7), "st:7"),
        (callbacks.Share(7), "sh:7"),
        (callbacks.HistoryPage(2), "hist:2"),
        (callbacks.Replay(7), "re:7"),
        (callbacks.Delete(7), "hdel:7"),
        (callbacks.Lyrics(7), "ly:7"),
        (callbacks.GuidedGenres(), "gm:g"),
        (callbacks.GuidedClose(), "gm:x"),
        (callbacks.GuidedSong(), "gm:s"),
        (callbacks.GuidedMood(0), "gm:m:0"),
        (callbacks.GuidedEngine(1, 2), "gm:e:1:2"),
        (callbacks.GuidedLength(1, 2), "gm:l:1:2"),
        (callbacks.GuidedLength(1, 2, "ace-step"), "gm:l:1:2:ace-step"),
        (callbacks.GuidedCompose(1, 2, 30), "gm:c:1:2:30"),
        (callbacks.GuidedCompose(1, 2, 30, "ace-step"), "gm:c:1:2:30:ace-step"),
    ],
)
def test_payloads_pack_to_the_wire_format_buttons_already_carry(payload: CallbackData, wire: str) -> None:
    assert payload.pack() == wire
    assert unpack_any(wire, *ALL) == payload


@pytest.mark.parametrize(
    "data",
    [
        "",
        "rg:",
        "rg:0",
        "rg:-1",
        "rg:²",
        "rg:1:2",
        "rg:99999999999999999999",
        "bc:maybe:1",
        "lang:deu",
        "sg:ok:x",
        "gm:c:1:2",
        "gm:m:1:2:3:4:5",
        "try:LOFI",
        "buy:1",
        "pack:",
        "sup:cancel:1",
        "zz:1",
    ],
)
def test_malformed_data_unpacks_as_nothing(data: str) -> None:
    assert not pattern_of(*ALL).fullmatch(data)
    with pytest.raises(ValueError):
        unpack_any(data, *ALL)


def test_a_value_that_would_not_read_back_is_refused_when_packing() -> None:
    with pytest.raises(ValueError):
        callbacks.StarsPack("a:b").pack()
    with pytest.raises(ValueError):
        callbacks.Regenerate(0).pack()


def test_no_two_payload_kinds_read_the_same_data() -> None:
    for kind in ALL:
        sample = _longest(kind)
        readers = [k.__name__ for k in ALL if k.pattern().fullmatch(sample.pack())]
        assert readers == [kind.__name__]


async def test_every_payload_kind_reaches_exactly_one_registered_button_handler(live_bot: LiveBot) -> None:
    handlers = [
        h
        for h in live_bot.runtime.application.handlers[0]
        if isinstance(h, CallbackQueryHandler) and h.pattern is not None
    ]
    for kind in ALL:
        data = _longest(kind).pack()
        matching = [
            h.callback.__name__ for h in handlers if isinstance(h.pattern, re.Pattern) and h.pattern.match(data)
        ]
        assert len(matching) == 1, f"{kind.__name__} ({data!r}) reaches {matching}"

"""A minimal ID3v2.3 tag writer for the MP3s we encode: title, artist, copyright, a comment and the cover.

The cover is an APIC frame (ID3v2.3 §4.15): text encoding, MIME type ``image/jpeg``, picture type 3 ("Cover
(front)"), an empty description and the JPEG bytes — what music players show as the album art once the file
leaves Telegram (where the thumbnail is shown instead).

Text is stored as ISO-8859-1 when it fits (readable by every player) and as UTF-16 with a BOM otherwise, as the
v2.3 specification allows.
"""

from __future__ import annotations

import struct

_FRONT_COVER = b"\x03"  # APIC picture type 3: "Cover (front)"
_FRAMES = {"title": "TIT2", "artist": "TPE1", "copyright": "TCOP"}


def _encoded(text: str) -> tuple[int, bytes, bytes]:
    """(encoding byte, encoded text, terminator) for a string."""
    try:
        return 0, text.encode("latin-1"), b"\x00"
    except UnicodeEncodeError:
        return 1, text.encode("utf-16"), b"\x00\x00"


def _frame(frame_id: str, body: bytes) -> bytes:
    return frame_id.encode("ascii") + struct.pack(">I", len(body)) + b"\x00\x00" + body


def _syncsafe(size: int) -> bytes:
    return bytes(((size >> shift) & 0x7F) for shift in (21, 14, 7, 0))


def id3v23(tags: dict[str, str], cover: bytes | None = None) -> bytes:
    """An ID3v2.3 tag for ``title``, ``artist``, ``copyright``, ``comment`` (unknown keys are ignored) and, when
    given, ``cover`` JPEG bytes as the front-cover picture."""
    frames = b""
    for key, frame_id in _FRAMES.items():
        if tags.get(key):
            encoding, text, _ = _encoded(tags[key])
            frames += _frame(frame_id, bytes([encoding]) + text)
    if tags.get("comment"):
        encoding, text, terminator = _encoded(tags["comment"])
        description = b"\xff\xfe" + terminator if encoding == 1 else terminator  # empty description
        frames += _frame("COMM", bytes([encoding]) + b"eng" + description + text)
    if cover:
        frames += _frame("APIC", b"\x00" + b"image/jpeg\x00" + _FRONT_COVER + b"\x00" + cover)
    return b"ID3\x03\x00\x00" + _syncsafe(len(frames)) + frames

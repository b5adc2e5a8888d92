"""The files a track is sent as: tags and embedded cover art in the MP3, clean titles and file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines.base import GenerationRequest
from engines.ffmpeg import run_ffmpeg
from engines.mock import MockEngine
from scheduler.tracks import file_name_for, title_for, write_track_files


async def test_the_mp3_carries_its_cover_as_embedded_front_cover_art(tmp_path: Path) -> None:
    track = await MockEngine().generate(GenerationRequest(prompt="night drive", duration=1.0, seed=5))
    files = await write_track_files(track, tmp_path, "job-1", prompt="night drive", mood="dark")
    # ffmpeg reads the ID3 APIC frame as an attached-picture video stream: copy it out untouched.
    art = run_ffmpeg(["-i", str(files.mp3), "-an", "-map", "0:v", "-c", "copy", "-f", "image2pipe", "pipe:1"])
    assert art == files.cover.read_bytes() and art[:2] == b"\xff\xd8", "the embedded art is the cover JPEG"
    tag = files.mp3.read_bytes()[:4096]
    assert b"APIC" in tag and b"image/jpeg\x00\x03" in tag, "an APIC frame, MIME image/jpeg, type 3 (front cover)"


@pytest.mark.parametrize(
    ("prompt", "title"),
    [
        ("dark techno!!!", "Dark techno"),
        ("lofi\u202e beat\u200b...", "Lofi beat"),  # RTL override and zero-width space gone, then the dots
        ("\u2067ambient\u2069 pads, –", "Ambient pads"),  # bidi isolates, a trailing comma and dash
        ("techno in C#", "Techno in C#"),  # a key's sharp is not punctuation to drop
        ("song (remix)", "Song (remix)"),  # a closing bracket closes something
        ("\ufeff?!\u200d", "CloudMusic"),  # nothing visible left
    ],
)
def test_titles_drop_invisible_characters_and_trailing_punctuation(prompt: str, title: str) -> None:
    assert title_for(prompt) == title


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Dark techno!!!", "Dark techno.wav"),
        ("Lofi\u202e beat\u200f", "Lofi beat.wav"),
        ("a/b: c?", "a b c.wav"),
        ("\u200b...", "track.wav"),
    ],
)
def test_file_names_drop_invisible_characters_separators_and_trailing_punctuation(title: str, name: str) -> None:
    assert file_name_for(title, ".wav") == name

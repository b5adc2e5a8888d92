"""The files a track is sent as: tags and embedded cover art in the MP3, clean titles and file names."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engines.audio import decode_audio, encode_flac, wav_bytes
from engines.base import GenerationRequest
from engines.ffmpeg import run_ffmpeg
from engines.mock import MockEngine
from engines.synth.engine import SynthEngine
from scheduler.tracks import (
    UPLOAD_LIMIT,
    TooBigToSend,
    file_name_for,
    pack_stems,
    stems_keys,
    title_for,
    write_stems_zip,
    write_track_files,
)
from standin.limits import MAX_UPLOAD
from storage.audio import LocalAudioStore


async def test_the_mp3_carries_its_cover_as_embedded_front_cover_art(tmp_path: Path) -> None:
    track = await MockEngine().generate(GenerationRequest(prompt="night drive", duration=1.0, seed=5))
    store = LocalAudioStore(tmp_path)
    files = await write_track_files(track, store, "job-1", prompt="night drive", mood="dark")
    # ffmpeg reads the ID3 APIC frame as an attached-picture video stream: copy it out untouched.
    async with store.local_copy(files.mp3) as mp3:
        art = run_ffmpeg(["-i", str(mp3), "-an", "-map", "0:v", "-c", "copy", "-f", "image2pipe", "pipe:1"])
    assert art == await files.read(files.cover) and art[:2] == b"\xff\xd8", "the embedded art is the cover JPEG"
    tag = (await files.read(files.mp3))[:4096]
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


async def test_stems_go_as_flacs_in_zips_each_within_the_limit_with_every_stem_bit_exact(tmp_path: Path) -> None:
    track = await MockEngine().generate(GenerationRequest(prompt="house", duration=2.0, seed=3, stems=True))
    assert track.stems is not None
    flacs = {name: encode_flac(samples, track.sample_rate) for name, samples in track.stems.items()}
    limit = max(map(len, flacs.values())) + 200  # one stem per ZIP
    store, first = LocalAudioStore(tmp_path), "job-7-stems.zip"
    parts = await write_stems_zip(track, store, "job-7", limit=limit)
    assert parts == await stems_keys(store, "job-7") and len(parts) == len(track.stems) and parts[0] == first
    found: dict[str, np.ndarray] = {}
    for part in parts:
        data = await store.read(part)
        assert len(data) <= limit
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                assert name.endswith(".flac")
                found[name.removesuffix(".flac")] = decode_audio(archive.read(name))[0]
    assert set(found) == set(track.stems)
    for name, samples in track.stems.items():
        pcm = decode_audio(wav_bytes(samples, track.sample_rate))[0]  # what a 16-bit WAV would have held
        assert np.array_equal(found[name], pcm), f"{name}: FLAC is lossless"

    together = await write_stems_zip(track, store, "job-7")  # the real limit: one ZIP, the stale parts removed
    assert together == [first] == await stems_keys(store, "job-7")
    left = await asyncio.to_thread(lambda: sorted(p.name for p in tmp_path.iterdir() if "stems" in p.name))
    assert left == [first]


def test_stems_are_packed_greedily_in_order_to_the_exact_zip_size_and_a_stem_alone_over_it_is_refused() -> None:
    flacs = {"bass": bytes(300), "drums": bytes(300), "fx": bytes(100), "lead": bytes(500)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in ("bass", "drums", "fx"):
            archive.writestr(f"{name}.flac", flacs[name])
    exact = len(buffer.getvalue())  # what the three take as a stored ZIP, headers included
    assert pack_stems(flacs, exact) == [["bass", "drums", "fx"], ["lead"]]
    assert pack_stems(flacs, exact - 1) == [["bass", "drums"], ["fx", "lead"]]
    assert pack_stems(flacs, 10_000) == [["bass", "drums", "fx", "lead"]]
    with pytest.raises(TooBigToSend):
        pack_stems(flacs, 600)  # "lead" alone takes 616 bytes as a ZIP


async def test_a_minute_of_synth_stems_fits_one_document_as_flac(tmp_path: Path) -> None:
    # Five 16-bit stereo WAV stems of a 60 s synth track are 52.9 MB: over Telegram's 50 MB, which is why 🎚 Stems
    # failed for tracks from about 55 s on. As FLAC they fit one document with room to spare.
    track = await SynthEngine().generate(GenerationRequest(prompt="dark techno", duration=60.0, seed=4, stems=True))
    assert track.stems is not None
    as_wavs = sum(len(wav_bytes(samples, track.sample_rate)) for samples in track.stems.values())
    assert as_wavs > MAX_UPLOAD["document"]
    store = LocalAudioStore(tmp_path)
    (archive,) = await write_stems_zip(track, store, "job-1")
    data = await store.read(archive)
    assert len(data) <= UPLOAD_LIMIT
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        assert sorted(opened.namelist()) == sorted(f"{name}.flac" for name in track.stems)

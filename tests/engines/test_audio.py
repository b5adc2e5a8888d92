"""Audio post-processing: MP3/WAV encoding, decoding, teaser cuts, loudness and covers."""

from __future__ import annotations

import dataclasses
import io
import struct
import wave
from pathlib import Path

import numpy as np
import pyloudnorm  # type: ignore[import-untyped]
import pytest
from PIL import Image

from engines import audio
from engines.audio import (
    AudioDecodeError,
    cover_jpeg,
    decode_audio,
    duration_seconds,
    encode_mp3,
    encode_wav,
    normalize_loudness,
    teaser_cut,
)
from engines.cover import palette_name
from engines.ffmpeg import configure_pydub, ffmpeg_exe, run_ffmpeg
from tests.engines.conftest import make_track, tone


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


# --- MP3 ----------------------------------------------------------------------------------------------------


def test_encode_mp3_makes_a_tagged_mp3_of_the_same_length() -> None:
    track = make_track(tone(3.0))
    data = encode_mp3(track, title="Night Drive")
    assert data.startswith(b"ID3\x03")  # ID3v2.3
    assert b"TIT2" in data and b"Night Drive" in data
    assert "CloudMusic · mock".encode("latin-1") in data  # the default artist, ISO-8859-1 when it fits
    samples, rate = decode_audio(data)
    assert rate == 44_100 and samples.shape[1] == 2
    assert abs(duration_seconds(samples, rate) - 3.0) <= 0.1
    assert abs(rms(samples) - rms(track.samples)) < 0.02


def test_encode_mp3_honours_artist_and_bitrate() -> None:
    track = make_track(tone(2.0, freq=300.0) + tone(2.0, freq=3000.0, level=0.2))
    high = encode_mp3(track, artist="Someone", bitrate="192k")
    low = encode_mp3(track, artist="Someone", bitrate="96k")
    assert b"Someone" in high
    assert len(low) < len(high)


def test_encode_mp3_accepts_mono() -> None:
    samples, rate = decode_audio(encode_mp3(make_track(tone(1.0)[:, :1])))
    assert samples.shape[1] == 1 and rate == 44_100


# --- WAV ----------------------------------------------------------------------------------------------------


def test_wav_round_trip_is_exact_at_16_bit() -> None:
    rng = np.random.default_rng(0)
    quantised = (rng.integers(-32768, 32768, size=(4410, 2)) / 32768).astype(np.float32)
    samples, rate = decode_audio(encode_wav(make_track(quantised, 22_050)))
    assert rate == 22_050
    np.testing.assert_array_equal(samples, quantised)


def test_wav_rounds_to_the_nearest_step_and_clips() -> None:
    rng = np.random.default_rng(1)
    raw = rng.uniform(-1.2, 1.2, size=(1000, 2)).astype(np.float32)
    samples, _ = decode_audio(encode_wav(make_track(raw)))
    expected = np.clip(raw, -1.0, 32767 / 32768)
    assert float(np.abs(samples - expected).max()) <= 0.5 / 32768 + 1e-7


def test_encode_wav_is_16_bit_pcm_readable_by_the_stdlib() -> None:
    with wave.open(io.BytesIO(encode_wav(make_track(tone(0.5))))) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (2, 2, 44_100)
        assert reader.getnframes() == 22_050


@pytest.mark.parametrize("width", [1, 3, 4])
def test_decode_reads_8_24_and_32_bit_integer_wav(width: int) -> None:
    source = tone(0.1, 8000)
    scale = 2 ** (8 * width - 1)
    ints = np.round(source * (scale - 1)).astype(np.int64)
    if width == 1:
        raw = (ints + 128).astype(np.uint8).tobytes()
    else:
        raw = b"".join(int(v).to_bytes(width, "little", signed=True) for v in ints.ravel())
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(width)
        writer.setframerate(8000)
        writer.writeframes(raw)
    samples, rate = decode_audio(buffer.getvalue())
    assert rate == 8000 and samples.shape == source.shape
    np.testing.assert_allclose(samples, source, atol=2.5 / scale)


def test_decode_reads_float_wav() -> None:
    source = tone(0.1, 8000)
    body = source.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 2, 8000, 8000 * 8, 8, 32)
    data = b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body)) + b"WAVE"
    data += b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body
    samples, rate = decode_audio(data)
    assert rate == 8000
    np.testing.assert_array_equal(samples, source)


def test_decode_reads_other_formats_through_ffmpeg() -> None:
    source = tone(1.0)
    flac = run_ffmpeg(["-f", "wav", "-i", "pipe:0", "-f", "flac", "pipe:1"], stdin=encode_wav(make_track(source)))
    samples, rate = decode_audio(flac)
    assert rate == 44_100
    np.testing.assert_allclose(samples, source, atol=1 / 32768)


def test_decode_refuses_bytes_that_are_not_audio() -> None:
    with pytest.raises(AudioDecodeError):
        decode_audio(b"this is not audio at all" * 50)


# --- teaser -------------------------------------------------------------------------------------------------


def test_teaser_picks_the_loud_section_and_fades_both_ends() -> None:
    rate = 8000
    quiet, loud = tone(10.0, rate, level=0.01), tone(10.0, rate, level=0.8)
    cut = teaser_cut(np.concatenate([quiet, loud, quiet]), rate, seconds=8.0, fade=1.0)
    assert cut.shape == (8 * rate, 2)
    middle = cut[rate : 7 * rate]
    assert rms(middle) > 0.5  # every unfaded sample is from the loud part
    assert float(np.abs(cut[0]).max()) == 0.0 and float(np.abs(cut[-1]).max()) < 1e-3
    assert rms(cut[: rate // 10]) < rms(cut[rate // 2 : rate]) < rms(middle)


def test_teaser_of_a_short_track_is_the_whole_track_faded() -> None:
    samples = tone(5.0, 8000)
    cut = teaser_cut(samples, 8000, seconds=20.0, fade=1.0)
    assert cut.shape == samples.shape
    np.testing.assert_array_equal(cut[2 * 8000 : 3 * 8000], samples[2 * 8000 : 3 * 8000])
    assert float(np.abs(cut[0]).max()) == 0.0


def test_teaser_does_not_modify_its_input() -> None:
    samples = tone(30.0, 8000)
    before = samples.copy()
    teaser_cut(samples, 8000, seconds=10.0)
    np.testing.assert_array_equal(samples, before)


# --- loudness -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [-14.0, -20.0])
def test_normalize_loudness_hits_the_target_by_an_independent_meter(target: float) -> None:
    rng = np.random.default_rng(2)
    music = (tone(6.0, freq=220.0, level=0.05) + rng.normal(0, 0.01, size=(6 * 44_100, 2))).astype(np.float32)
    out = normalize_loudness(music, 44_100, target_lufs=target)
    assert out.dtype == np.float32 and out.shape == music.shape
    measured = pyloudnorm.Meter(44_100).integrated_loudness(out.astype(np.float64))
    assert abs(measured - target) < 0.5
    assert float(np.abs(out).max()) <= 1.0


# --- cover --------------------------------------------------------------------------------------------------


def test_cover_is_a_small_jpeg_within_telegram_limits() -> None:
    data = cover_jpeg(tone(5.0), 44_100, mood="energetic")
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (320, 320)
    assert len(data) <= 200_000


def test_cover_differs_between_tracks_and_moods() -> None:
    a = cover_jpeg(tone(5.0, freq=220.0), 44_100)
    b = cover_jpeg(tone(5.0, freq=2000.0) * np.linspace(0, 1, 5 * 44_100, dtype=np.float32)[:, None], 44_100)
    dark = cover_jpeg(tone(5.0, freq=220.0), 44_100, mood="dark")
    assert len({a, b, dark}) == 3
    pixels_a = np.asarray(Image.open(io.BytesIO(a)), dtype=np.float32)
    pixels_b = np.asarray(Image.open(io.BytesIO(b)), dtype=np.float32)
    assert np.abs(pixels_a - pixels_b).mean() > 5  # visibly different, not just re-encoded


@pytest.mark.parametrize(
    "samples", [np.zeros((44_100, 2), np.float32), tone(0.01), tone(2.0)[:, 0]], ids=["silence", "tiny", "1-D"]
)
def test_cover_copes_with_silence_tiny_and_mono_input(samples: np.ndarray) -> None:
    image = Image.open(io.BytesIO(cover_jpeg(samples, 44_100, size=160)))
    assert image.size == (160, 160)


def test_cover_size_is_capped_at_320() -> None:
    assert Image.open(io.BytesIO(cover_jpeg(tone(1.0), 44_100, size=1000))).size == (320, 320)


@pytest.mark.parametrize(
    ("mood", "palette"),
    [("Dark synthwave", "dark"), ("chill", "calm"), ("upbeat", "happy"), ("party", "energetic"), (None, "neutral")],
)
def test_moods_map_to_palettes(mood: str | None, palette: str) -> None:
    assert palette_name(mood) == palette


# --- async twins and ffmpeg ---------------------------------------------------------------------------------


async def test_async_wrappers_return_what_the_blocking_functions_do() -> None:
    track = make_track(tone(1.0))
    assert await audio.encode_mp3_async(track, title="T") == encode_mp3(track, title="T")
    wav = await audio.encode_wav_async(track)
    assert wav == encode_wav(track)
    samples, rate = await audio.decode_audio_async(wav)
    np.testing.assert_array_equal(samples, decode_audio(wav)[0])
    assert await audio.cover_jpeg_async(track.samples, rate, mood="calm") == cover_jpeg(
        track.samples, rate, mood="calm"
    )


def test_pydub_is_pointed_at_our_ffmpeg() -> None:
    configure_pydub()
    from pydub import AudioSegment

    assert AudioSegment.converter == ffmpeg_exe()
    segment = AudioSegment(data=b"\0\0" * 4410, sample_width=2, frame_rate=44_100, channels=1)
    assert segment.export(io.BytesIO(), format="mp3").read(3) == b"ID3"


def test_mp3_tags_are_read_back_by_ffmpeg_including_non_latin_text(tmp_path: Path) -> None:
    track = make_track(tone(1.0))
    path = tmp_path / "tagged.mp3"
    path.write_bytes(encode_mp3(track, title="Nachtfahrt — Ω mix", artist="CloudMusic · synth"))
    metadata = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "pipe:1"]).decode()
    assert "title=Nachtfahrt — Ω mix" in metadata and "artist=CloudMusic · synth" in metadata
    assert "copyright=CC0 (CC0-1.0)" in metadata and "comment=mock/mock-1 · seed 1" in metadata


def test_lyrics_are_written_as_a_uslt_frame_that_ffmpeg_reads_back(tmp_path: Path) -> None:
    lyrics = "[verse]\nAdeus, Lisboa\n[chorus]\nΩ, saudade"
    track = dataclasses.replace(make_track(tone(1.0)), lyrics=lyrics)
    path = tmp_path / "sung.mp3"
    path.write_bytes(encode_mp3(track, title="Lisboa"))
    probe = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "pipe:1"]).decode()
    # ffmetadata escapes line breaks with a backslash; the key carries the USLT language
    assert "lyrics-eng=[verse]\\\nAdeus, Lisboa\\\n[chorus]\\\nΩ, saudade" in probe
    assert "title=Lisboa" in probe


def test_an_instrumental_mp3_has_no_lyrics_frame() -> None:
    assert b"USLT" not in encode_mp3(make_track(tone(1.0)))

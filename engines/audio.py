"""Audio post-processing: encode, decode, cut a teaser, normalise loudness, draw a cover.

Everything here is synchronous and CPU- or subprocess-bound; each blocking function has an ``*_async`` twin
that runs it in a worker thread so the event loop never waits on ffmpeg. Audio is always float32
``(frames, channels)`` in [-1, 1] (:data:`engines.base.Samples`); 16-bit PCM maps ``k`` ↔ ``k / 32768``.

Errors: :class:`AudioDecodeError` (bytes that are not audio we can read);
:class:`engines.ffmpeg.FFmpegMissing` when no ffmpeg exists at all (a deployment problem).
"""

from __future__ import annotations

import asyncio
import io
import os
import struct
import tempfile
import wave
from collections.abc import Iterator
from concurrent.futures import Future

import lameenc
import numpy as np

from engines import loudness
from engines.base import GeneratedTrack, Samples
from engines.cover import cover_jpeg
from engines.ffmpeg import FFmpegFailed, configure_pydub, run_ffmpeg
from engines.id3 import id3v23
from engines.threads import helpers

__all__ = [
    "AudioDecodeError",
    "cover_jpeg",
    "cover_jpeg_async",
    "decode_audio",
    "decode_audio_async",
    "duration_seconds",
    "encode_flac",
    "encode_flac_async",
    "encode_mp3",
    "encode_mp3_async",
    "encode_wav",
    "encode_wav_async",
    "flac_from_wav",
    "mp3_frames",
    "mp3_frames_async",
    "mp3_tag",
    "normalize_loudness",
    "teaser_cut",
]


class AudioDecodeError(ValueError):
    """The bytes are not audio that WAV parsing or ffmpeg can read."""


def as_frames(samples: Samples) -> Samples:
    """Return ``samples`` shaped ``(frames, channels)``: a 1-D array is taken as mono."""
    return samples.reshape(-1, 1) if samples.ndim == 1 else samples


def pcm16(samples: Samples) -> bytes:
    """Return interleaved little-endian 16-bit PCM for float samples (clipped, NaN → 0, rounded)."""
    scaled = np.multiply(as_frames(samples), np.float32(32768.0), dtype=np.float32)
    np.nan_to_num(scaled, copy=False)
    np.clip(scaled, -32768.0, 32767.0, out=scaled)
    return np.rint(scaled, out=scaled).astype("<i2").tobytes()


def duration_seconds(samples: Samples, sample_rate: int) -> float:
    """Return the length of ``samples`` in seconds."""
    return int(samples.shape[0]) / sample_rate


# --- encode -------------------------------------------------------------------------------------------------


def encode_wav(track: GeneratedTrack) -> bytes:
    """Return the track as a 16-bit PCM WAV file."""
    return wav_bytes(track.samples, track.sample_rate)


def wav_bytes(samples: Samples, sample_rate: int) -> bytes:
    """Return ``samples`` as a 16-bit PCM WAV file (stems use this; tracks use :func:`encode_wav`)."""
    frames = as_frames(samples)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(int(frames.shape[1]))
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm16(frames))
    return buffer.getvalue()


def encode_flac(samples: Samples, sample_rate: int) -> bytes:
    """Return ``samples`` as a 16-bit FLAC file: the same audio as :func:`wav_bytes`, losslessly compressed.

    FLAC through ffmpeg's built-in encoder rather than ``soundfile``/pyFLAC: ffmpeg is already a dependency we
    guarantee (the system's or imageio-ffmpeg's, both with the native ``flac`` encoder), so this adds no package and
    no C library. ffmpeg writes to a file, not a pipe, so it can seek back and fill in STREAMINFO's total length
    and MD5 (on a pipe it leaves them empty and some players then show no duration).
    """
    with tempfile.TemporaryDirectory(prefix="cloudmusic-") as tmp:
        target = os.path.join(tmp, "out.flac")
        run_ffmpeg(
            ["-f", "wav", "-i", "pipe:0", "-c:a", "flac", "-sample_fmt", "s16", target],
            stdin=wav_bytes(samples, sample_rate),
        )
        with open(target, "rb") as file:
            return file.read()


def flac_from_wav(wav: bytes) -> bytes:
    """Return a WAV file's audio as FLAC (16-bit), losslessly; AudioDecodeError when ``wav`` is not audio."""
    samples, rate = decode_audio(wav)  # a 16-bit WAV comes back bit-exact: k / 32768 → k
    return encode_flac(samples, rate)


#: LAME's speed/quality trade-off (0 best … 9 fastest; its default is 3). At 192 kbps CBR, 5 is ~20 % faster than 3
#: for a 30 s track, which keeps a synth track's render + MP3 under 0.4 s (bench/results.md). 7 halves the encode
#: again (a 30 s synth track: 0.30 → 0.15 s of CPU) with no loss a measure finds: the decoded track's SNR against
#: the input was 22.8 dB at 5 and 23.9 dB at 7 (issue 18, docs/synth-v2.md).
LAME_QUALITY = 7


def encode_mp3(
    track: GeneratedTrack,
    *,
    title: str | None = None,
    artist: str | None = None,
    bitrate: str = "192k",
    cover: bytes | None = None,
) -> bytes:
    """Return the track as a CBR MP3 with ID3v2.3 title, artist, licence, a comment naming the seed, the sung
    lyrics (USLT) when the track has them and, when given, ``cover`` (JPEG) as embedded front-cover art."""
    return mp3_tag(track, title=title, artist=artist, cover=cover) + mp3_frames(track, bitrate=bitrate)


def mp3_tag(
    track: GeneratedTrack, *, title: str | None = None, artist: str | None = None, cover: bytes | None = None
) -> bytes:
    """The ID3v2.3 tag :func:`encode_mp3` puts before the audio (so the audio can be encoded while the cover is
    drawn, and the two joined after)."""
    tags = {
        "title": title or f"CloudMusic #{track.seed}",
        "artist": artist or f"CloudMusic · {track.engine}",
        "copyright": f"{track.license.name} ({track.license.id})",
        "comment": f"{track.engine}/{track.model} · seed {track.seed}",
    }
    if track.lyrics:
        tags["lyrics"] = track.lyrics  # a USLT frame: players show it on their lyrics screen
    return id3v23(tags, cover)


def mp3_frames(track: GeneratedTrack, *, bitrate: str = "192k") -> bytes:
    """The track as bare CBR MP3 audio frames (no tag)."""
    frames = as_frames(track.samples)
    # LAME in-process rather than an ffmpeg subprocess: this is the per-track hot path, and a process per track
    # cost 28 ms of CPU for a 2 s track against 11 ms here (9 ms of it just starting ffmpeg), 233 → 191 ms for
    # 30 s, at the same LAME quality; the encoder releases the GIL, so workers encode in parallel
    # (bench/results.md). CBR needs no Xing header for an exact duration; loops are also offered as lossless WAV.
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(int(bitrate.rstrip("kK")))
    encoder.set_in_sample_rate(track.sample_rate)
    encoder.set_channels(int(frames.shape[1]))
    encoder.set_quality(LAME_QUALITY)
    audio = b"".join(encoder.encode(pcm) for pcm in _pcm16_chunks(frames)) + bytes(encoder.flush())
    return gapless_info_frame(audio, int(frames.shape[0])) + audio


_PCM_CHUNK = 5 * 44_100  # frames converted at a time: LAME's output does not depend on how its input is cut


def _pcm16_chunks(frames: Samples) -> Iterator[bytes]:
    """``pcm16(frames)`` in chunks, the next chunk converted in the helper thread while LAME (which releases the
    GIL) encodes this one."""
    starts = range(0, frames.shape[0], _PCM_CHUNK)
    pending: Future[bytes] | None = None
    for start in starts:
        future, pending = pending, None
        if start + _PCM_CHUNK < frames.shape[0]:
            pending = helpers().submit(pcm16, frames[start + _PCM_CHUNK : start + 2 * _PCM_CHUNK])
        if future is None or future.cancel():
            yield pcm16(frames[start : start + _PCM_CHUNK])
        else:
            yield future.result()


# LAME's fixed encoder delay (samples of priming before the first input sample) for MPEG-1 Layer III; decoders
# add their own 528 + 1 (hence the 1105 frames ffmpeg shows before the audio without a tag).
LAME_ENCODER_DELAY = 576
_SAMPLES_PER_FRAME = 1152  # MPEG-1 Layer III
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44_100, 48_000, 32_000)


def _crc16(data: bytes) -> int:
    """CRC-16 (polynomial 0x8005 reflected, initial 0), as LAME computes the tag's own CRC."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def gapless_info_frame(audio: bytes, samples: int) -> bytes:
    """A Xing "Info" frame with a LAME extension telling decoders the encoder delay and padding, so the decoded
    MP3 is exactly ``samples`` long (a loop wraps with no gap). Empty bytes if ``audio`` is not MPEG-1 Layer III.

    Layout per the LAME "Mp3 Info Tag" rev 1: frame header, zeroed side info, "Info", flags, frame and byte
    counts, a 100-entry TOC, quality; then "LAME3.100", VBR method (CBR), lowpass, replay gain, flags, bitrate,
    12-bit delay + 12-bit padding, misc, gain, preset, music length, music CRC and the CRC-16 of bytes 0–189.
    """
    if len(audio) < 4 or audio[0] != 0xFF or audio[1] & 0xFE != 0xFA:  # sync, MPEG-1, Layer III
        return b""
    bitrate, rate = _BITRATES[audio[2] >> 4], _RATES[(audio[2] >> 2) & 3]
    frame_bytes = 144_000 * bitrate // rate  # without the padding byte
    mono = audio[3] >> 6 == 3
    start = 4 + (17 if mono else 32)
    frames = 0
    position = 0
    while position + 4 <= len(audio) and audio[position] == 0xFF:  # count the audio frames
        frames += 1
        position += 144_000 * _BITRATES[audio[position + 2] >> 4] // rate + ((audio[position + 2] >> 1) & 1)
    padding = frames * _SAMPLES_PER_FRAME - LAME_ENCODER_DELAY - samples
    if frames == 0 or not 0 <= padding < 4096:
        return b""
    header = bytes([audio[0], audio[1], audio[2] & 0xFD, audio[3]])  # the same frame, unpadded
    total = frame_bytes + len(audio)
    toc = bytes(min(255, i * 256 // 100) for i in range(100))
    xing = b"Info" + struct.pack(">III", 0x0F, frames, total) + toc + struct.pack(">I", 0)
    lame = (
        b"LAME3.100"
        + bytes([0x01, 170])  # tag revision 0 / CBR; low-pass 17 kHz
        + bytes(8)  # peak amplitude and replay gains: not measured here
        + bytes([0, min(bitrate, 255)])
        + (LAME_ENCODER_DELAY << 12 | padding).to_bytes(3, "big")
        + bytes(4)  # misc, MP3 gain, preset/surround
        + struct.pack(">IH", total, 0)
    )
    frame = bytearray(frame_bytes)
    body = header + bytes(start - 4) + xing + lame
    frame[: len(body)] = body
    frame[len(body) : len(body) + 2] = struct.pack(">H", _crc16(bytes(frame[:190])))
    return bytes(frame)


# --- decode -------------------------------------------------------------------------------------------------

_WAVE_PCM, _WAVE_FLOAT, _WAVE_EXTENSIBLE = 0x0001, 0x0003, 0xFFFE


def read_wav(data: bytes) -> tuple[Samples, int] | None:
    """Parse integer (8/16/24/32-bit) or float WAV bytes; None for a WAV flavour only ffmpeg can read.

    A ``data`` chunk whose size is 0, 0xFFFFFFFF or past the end (ffmpeg writing to a pipe) runs to the end.
    """
    fmt: tuple[int, int, int, int] | None = None
    pos = 12
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk == b"fmt " and size >= 16:
            tag, channels, rate = struct.unpack_from("<HHI", data, body)
            bits = struct.unpack_from("<H", data, body + 14)[0]
            if tag == _WAVE_EXTENSIBLE and size >= 40:
                tag = struct.unpack_from("<H", data, body + 24)[0]  # first two bytes of the sub-format GUID
            fmt = (tag, channels, rate, bits)
        elif chunk == b"data" and fmt is not None:
            end = len(data) if size in (0, 0xFFFFFFFF) or body + size > len(data) else body + size
            samples = _pcm_to_float(data[body:end], fmt[0], fmt[1], fmt[3])
            return None if samples is None else (samples, fmt[2])
        pos = body + size + (size & 1)
    return None


def _pcm_to_float(raw: bytes, tag: int, channels: int, bits: int) -> Samples | None:
    width = bits // 8
    if channels < 1 or width < 1:
        return None
    raw = raw[: len(raw) - len(raw) % (width * channels)]
    if tag == _WAVE_PCM and bits == 8:
        values = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif tag == _WAVE_PCM and bits in (16, 32):
        values = np.frombuffer(raw, f"<i{width}").astype(np.float32) / np.float32(2.0 ** (bits - 1))
    elif tag == _WAVE_PCM and bits == 24:
        triples = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = triples[:, 0] | triples[:, 1] << 8 | triples[:, 2] << 16
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)  # two's complement
        values = ints.astype(np.float32) / np.float32(2.0**23)
    elif tag == _WAVE_FLOAT and bits in (32, 64):
        values = np.clip(np.frombuffer(raw, f"<f{width}"), -1.0, 1.0).astype(np.float32, copy=False)
    else:
        return None
    return values.reshape(-1, channels)


_SIGNATURES = ((b"ID3", "mp3"), (b"OggS", "ogg"), (b"fLaC", "flac"), (b"RIFF", "wav"))


def _sniff(data: bytes) -> str | None:
    for magic, fmt in _SIGNATURES:
        if data.startswith(magic):
            return fmt
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:  # a bare MPEG audio frame sync
        return "mp3"
    return None


#: Containers pydub decodes for us, with the decoder named so pydub never needs ffprobe (PITFALLS: ``from_file``
#: probes unless ``codec`` is given).
_PYDUB_CODECS = {"mp3": "mp3", "flac": "flac"}


def _decode_with_pydub(data: bytes, fmt: str) -> tuple[Samples, int]:
    configure_pydub()
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    try:
        segment = AudioSegment.from_file(io.BytesIO(data), format=fmt, codec=_PYDUB_CODECS[fmt])
    except (CouldntDecodeError, IndexError, OSError) as exc:
        raise AudioDecodeError(f"could not decode {len(data)} bytes of {fmt}: {type(exc).__name__}") from exc
    if segment.frame_count() == 0:
        raise AudioDecodeError(f"no audio in {len(data)} bytes of {fmt}")
    scale = float(1 << (8 * segment.sample_width - 1))
    samples = np.array(segment.get_array_of_samples(), dtype=np.float32) / scale
    return samples.reshape(-1, segment.channels), int(segment.frame_rate)


def decode_audio(data: bytes) -> tuple[Samples, int]:
    """Return float32 ``(frames, channels)`` samples and the sample rate of WAV, MP3 or other audio."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        parsed = read_wav(data)
        if parsed is not None:
            return parsed
    fmt = _sniff(data)
    if fmt in _PYDUB_CODECS:
        return _decode_with_pydub(data, fmt)
    # ffmpeg probes the container itself, so no ffprobe is needed; decode to float WAV on stdout and parse it.
    output = ["-vn", "-c:a", "pcm_f32le", "-f", "wav", "pipe:1"]
    try:
        if fmt is not None:
            wav = run_ffmpeg(["-f", fmt, "-i", "pipe:0", *output], stdin=data)
        else:  # unknown container (e.g. MP4 with its index at the end): give ffmpeg a seekable file
            with tempfile.TemporaryDirectory(prefix="cloudmusic-") as tmp:
                source = os.path.join(tmp, "input")
                with open(source, "wb") as file:
                    file.write(data)
                wav = run_ffmpeg(["-i", source, *output])
    except FFmpegFailed as exc:
        raise AudioDecodeError(f"could not decode {len(data)} bytes of audio: {exc}") from exc
    parsed = read_wav(wav)
    if parsed is None or parsed[0].shape[0] == 0:
        raise AudioDecodeError(f"ffmpeg found no audio in {len(data)} bytes")
    return parsed


# --- shape --------------------------------------------------------------------------------------------------


def teaser_cut(samples: Samples, sample_rate: int, seconds: float = 20.0, fade: float = 1.0) -> Samples:
    """Return the most energetic ``seconds`` of the track (by short-term RMS), faded in and out over ``fade``.

    A track no longer than ``seconds`` comes back whole, still faded so a teaser never starts on a click.
    """
    frames = as_frames(samples)
    total = int(frames.shape[0])
    length = min(total, max(1, round(seconds * sample_rate)))
    start = 0
    if length < total:
        hop = max(1, sample_rate // 10)  # 100 ms blocks of mean power
        blocks = total // hop
        body = frames[: blocks * hop].reshape(blocks, hop, -1)
        power = np.einsum("ijk,ijk->i", body, body) / (hop * body.shape[2])  # no squared copy of the track
        span = max(1, length // hop)
        if blocks > span:
            window = np.convolve(power, np.ones(span), mode="valid")  # total power of each candidate start
            start = min(int(np.argmax(window)) * hop, total - length)
    cut = np.array(frames[start : start + length], dtype=np.float32)
    ramp = min(round(fade * sample_rate), length // 4)
    if ramp > 0:
        # Equal-power curve: sounds even on music, and reaches exactly 0 at both ends.
        curve = np.sin(np.linspace(0.0, np.pi / 2, ramp, dtype=np.float32))[:, None]
        cut[:ramp] *= curve
        cut[-ramp:] *= curve[::-1]
    return cut


def normalize_loudness(samples: Samples, sample_rate: int, target_lufs: float = -14.0) -> Samples:
    """Return ``samples`` at ``target_lufs`` integrated loudness, peaks ≤ -1 dBFS (see engines.loudness)."""
    return loudness.normalize(as_frames(samples), sample_rate, target_lufs=target_lufs)


# --- async twins --------------------------------------------------------------------------------------------


async def encode_mp3_async(
    track: GeneratedTrack,
    *,
    title: str | None = None,
    artist: str | None = None,
    bitrate: str = "192k",
    cover: bytes | None = None,
) -> bytes:
    """:func:`encode_mp3` in a worker thread."""
    return await asyncio.to_thread(encode_mp3, track, title=title, artist=artist, bitrate=bitrate, cover=cover)


async def mp3_frames_async(track: GeneratedTrack, *, bitrate: str = "192k") -> bytes:
    """:func:`mp3_frames` in a worker thread."""
    return await asyncio.to_thread(mp3_frames, track, bitrate=bitrate)


async def encode_flac_async(samples: Samples, sample_rate: int) -> bytes:
    """:func:`encode_flac` in a worker thread."""
    return await asyncio.to_thread(encode_flac, samples, sample_rate)


async def encode_wav_async(track: GeneratedTrack) -> bytes:
    """:func:`encode_wav` in a worker thread."""
    return await asyncio.to_thread(encode_wav, track)


async def decode_audio_async(data: bytes) -> tuple[Samples, int]:
    """:func:`decode_audio` in a worker thread."""
    return await asyncio.to_thread(decode_audio, data)


async def cover_jpeg_async(samples: Samples, sample_rate: int, *, mood: str | None = None, size: int = 320) -> bytes:
    """:func:`engines.cover.cover_jpeg` in a worker thread."""
    return await asyncio.to_thread(cover_jpeg, samples, sample_rate, mood=mood, size=size)

"""``python -m engines``: list the registered engines, or render one prompt to an MP3 or WAV file.

    python -m engines list
    python -m engines analyse clip.mp4
    python -m engines render "dark synthwave, driving bass" --engine synth --duration 30 --seed 7 -o track.mp3

This is a developer's tool and its own composition root: it alone reads ``REPLICATE_API_TOKEN`` and
``REPLICATE_BASE_URL`` from the environment for ``--engine replicate``. Bad input ends with a one-line message
on stderr and exit status 1 (2 for unparseable arguments), never a traceback, and never a partial output file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

from engines.analysis import AnalysisError
from engines.base import EngineError, EngineOptions, GeneratedTrack, GenerationRequest
from engines.ffmpeg import FFmpegFailed, FFmpegMissing
from engines.registry import EngineLoadError, UnknownEngine, available_engines, get_engine

FORMATS = (".mp3", ".wav")
MIN_BPM, MAX_BPM = 20.0, 300.0


class UsageError(Exception):
    """Input the CLI refuses before (or instead of) rendering; the message is shown as is."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: sys.argv) and return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return asyncio.run(_list())
        if args.command == "analyse":
            return _analyse(args.file)
        return asyncio.run(_render(args))
    except (UsageError, UnknownEngine, EngineLoadError, FFmpegMissing, FFmpegFailed, OSError) as exc:
        return _fail(str(exc))
    except AnalysisError as exc:
        return _fail(f"cannot analyse {str(args.file)!r}: {_ANALYSIS_PROBLEMS[exc.key]}")
    except EngineError as exc:
        detail, text = str(exc), _english(exc)
        return _fail(text if detail == exc.key else f"{text} ({detail})")
    except KeyboardInterrupt:
        return _fail("interrupted", status=130)


def _english(exc: EngineError) -> str:
    """The error's text in English, from the bot's catalog: user texts live in ``bot/locales`` only (issue 14)."""
    catalog = json.loads(resources.files("bot").joinpath("locales", "en.json").read_text(encoding="utf-8"))
    return str(catalog[exc.key]).format(**exc.values)


_ANALYSIS_PROBLEMS = {
    "listen.not_audio": "it has no audio stream",
    "listen.undecodable": "ffmpeg cannot read it as audio or video",
    "listen.silent": "it is silent",
}


def _analyse(path: Path) -> int:
    """Print the features of the first minutes of ``path`` as JSON."""
    from engines.analysis import analyse_file

    if not path.is_file():
        raise UsageError(f"cannot read {str(path)!r}: no such file")
    print(json.dumps(analyse_file(path).as_dict(), ensure_ascii=False, indent=2))
    return 0


def _fail(message: str, status: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engines", description="CloudMusic's music engines.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list engines, models, licences and capabilities")
    analyse = commands.add_parser("analyse", help="print a clip's tempo, key, loudness, energy and brightness as JSON")
    analyse.add_argument("file", type=Path, help="any audio or video file ffmpeg reads")
    render = commands.add_parser("render", help="render one prompt to an .mp3 or .wav file")
    render.add_argument("prompt")
    render.add_argument("-o", "--output", required=True, type=Path, help="track.mp3 or track.wav")
    render.add_argument("--engine", default="synth", help="engine name (default: synth)")
    render.add_argument("--model", help="model id (default: the engine's first)")
    render.add_argument("--duration", type=float, default=30.0, help="seconds (default: 30)")
    render.add_argument("--seed", type=int)
    render.add_argument("--bpm", type=float)
    render.add_argument("--key", help='e.g. "A minor"')
    render.add_argument("--genre")
    render.add_argument("--mood")
    render.add_argument("--loop", action="store_true", help="a seamless loop of whole bars")
    render.add_argument("--stems", type=Path, metavar="DIR", help="also write each stem as DIR/<name>.wav")
    render.add_argument("--title", help="ID3 title of an MP3")
    render.add_argument("--lufs", type=float, help="normalise to this integrated loudness first, e.g. -14")
    render.add_argument("--cover", type=Path, metavar="JPG", help="also draw the cover thumbnail here")
    render.add_argument("--timeout", type=float, default=300.0, help="seconds before giving up (default: 300)")
    return parser


def _options(timeout_s: float = 300.0) -> EngineOptions:
    return EngineOptions(
        replicate_api_token=os.environ.get("REPLICATE_API_TOKEN") or None,
        replicate_base_url=os.environ.get("REPLICATE_BASE_URL") or None,
        timeout_s=timeout_s,
    )


async def _list() -> int:
    rows = [("ENGINE", "MODEL", "LICENCE", "COMMERCIAL", "MAX", "LOOP", "CONTINUE", "STEMS")]
    for name in available_engines():
        try:
            engine = get_engine(name, _options())
        except (EngineLoadError, EngineError) as exc:
            rows.append((name, f"unavailable: {exc}", "", "", "", "", "", ""))
            continue
        try:
            for model in engine.models():
                caps, yes = model.capabilities, {True: "yes", False: "no"}
                rows.append((name, model.id, model.license.id, yes[model.license.commercial_use],
                             f"{caps.max_duration:g} s", yes[caps.can_loop], yes[caps.can_continue],
                             yes[caps.stems]))  # fmt: skip
        finally:
            await engine.aclose()
    widths = [max(len(row[i]) for row in rows if row[2] or i == 0) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _check_arguments(args: argparse.Namespace) -> None:
    output: Path = args.output
    if output.suffix.lower() not in FORMATS:
        raise UsageError(f"cannot write {str(output)!r}: the output must end in .mp3 or .wav")
    if not output.parent.is_dir():
        raise UsageError(f"cannot write {str(output)!r}: {str(output.parent)!r} is not a directory")
    if not args.duration > 0:
        raise UsageError(f"--duration must be more than 0 seconds, not {args.duration:g}")
    if args.bpm is not None and not MIN_BPM <= args.bpm <= MAX_BPM:
        raise UsageError(f"--bpm must be between {MIN_BPM:g} and {MAX_BPM:g}, not {args.bpm:g}")
    if args.stems is not None and args.stems.exists() and not args.stems.is_dir():
        raise UsageError(f"--stems {str(args.stems)!r} exists and is not a directory")


async def _render(args: argparse.Namespace) -> int:
    from engines import audio  # the audio stack (Pillow, ffmpeg) only when rendering

    _check_arguments(args)
    if args.engine == "replicate" and not os.environ.get("REPLICATE_API_TOKEN"):
        # Say the cause, not the engine's "busy or unavailable" that a user of the bot would see.
        raise UsageError("REPLICATE_API_TOKEN is not set: export your Replicate API token to use --engine replicate")
    engine = get_engine(args.engine, _options(args.timeout))
    try:
        caps = engine.capabilities(args.model)
        if args.duration > caps.max_duration:
            raise UsageError(f"--duration {args.duration:g} is over {args.engine}'s {caps.max_duration:g} s")
        for wanted, able, flag in ((args.loop, caps.can_loop, "--loop"), (args.stems, caps.stems, "--stems")):
            if wanted and not able:
                raise UsageError(f"{args.engine} does not support {flag}")
        request = GenerationRequest(prompt=args.prompt, duration=args.duration, seed=args.seed, bpm=args.bpm,
                                    key=args.key, genre=args.genre, mood=args.mood, loop=args.loop,
                                    stems=args.stems is not None, model=args.model)  # fmt: skip
        started = time.perf_counter()
        track = await engine.generate(request)
        rendered = time.perf_counter() - started
    finally:
        await engine.aclose()
    if args.lufs is not None:
        track = replace(track, samples=audio.normalize_loudness(track.samples, track.sample_rate, args.lufs))
    is_mp3 = args.output.suffix.lower() == ".mp3"
    data = await (audio.encode_mp3_async(track, title=args.title) if is_mp3 else audio.encode_wav_async(track))
    files = {args.output: data}
    if args.cover is not None:
        files[args.cover] = await audio.cover_jpeg_async(track.samples, track.sample_rate, mood=args.mood)
    if args.stems is not None:
        args.stems.mkdir(parents=True, exist_ok=True)
        for name, stem in (track.stems or {}).items():
            files[args.stems / f"{name}.wav"] = audio.wav_bytes(stem, track.sample_rate)
    for path, content in files.items():
        _write_atomically(path, content)
    print(_summary(track, rendered, args.output, len(data)))
    return 0


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling, so a failure never leaves a partial file."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        with open(temporary, "xb") as file:  # plain open: the file gets the user's umask, unlike mkstemp's 0600
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _summary(track: GeneratedTrack, rendered: float, output: Path, size: int) -> str:
    use = "commercial use ok" if track.license.commercial_use else "non-commercial"
    parts = [
        f"{track.engine}/{track.model}",
        f"{track.duration:.2f} s",
        *([f"style {track.genre}"] if track.genre else []),  # how the prompt was read
        f"{track.bpm:g} bpm" if track.bpm else "bpm ?",
        track.key or "key ?",
        f"seed {track.seed}",
        f"{track.license.id} ({use})",
        f"rendered in {rendered:.2f} s",
        f"{size / 1024:.0f} kB → {output}",
    ]
    return " · ".join(parts)

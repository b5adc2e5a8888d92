"""``python -m engines``: list and render, and every bad input ends cleanly with nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engines.audio import decode_audio


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "engines", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_list_shows_every_engine_with_licence_and_capabilities(tmp_path: Path) -> None:
    result = cli("list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ENGINE", "MODEL", "LICENCE", "COMMERCIAL", "MAX", "LOOP", "CONTINUE", "STEMS"]
    mock = next(row for row in rows if row.startswith("mock "))
    assert mock.split() == ["mock", "mock-1", "CC0-1.0", "yes", "600", "s", "yes", "yes", "yes"]
    assert any(row.startswith("replicate ") for row in rows)
    assert any(row.startswith("synth ") for row in rows)


def test_render_mp3_writes_the_track_and_prints_a_summary(tmp_path: Path) -> None:
    result = cli("render", "lofi rain", "--engine", "mock", "--duration", "2", "--seed", "7",
                 "--bpm", "90", "--key", "A minor", "-o", "track.mp3", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "track.mp3").read_bytes()
    assert data.startswith(b"ID3")
    samples, rate = decode_audio(data)
    assert abs(samples.shape[0] / rate - 2.0) <= 0.1
    summary = result.stdout.strip()
    assert len(summary.splitlines()) == 1
    for part in ("mock/mock-1", "2.00 s", "90 bpm", "A minor", "seed 7", "CC0-1.0", "rendered in", "kB"):
        assert part in summary


def test_the_summary_names_the_style_the_synth_chose(tmp_path: Path) -> None:
    result = cli("render", "sad piano in the rain", "--engine", "synth", "--duration", "3", "--seed", "2",
                 "-o", "piano.wav", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "style piano" in result.stdout


def test_render_wav_with_stems_and_cover(tmp_path: Path) -> None:
    result = cli("render", "x", "--engine", "mock", "--duration", "1.5", "--seed", "1", "--stems", "stems/a",
                 "--cover", "cover.jpg", "-o", "track.wav", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    samples, rate = decode_audio((tmp_path / "track.wav").read_bytes())
    assert (rate, samples.shape) == (44_100, (66_150, 2))
    assert sorted(p.name for p in (tmp_path / "stems" / "a").iterdir()) == ["bass.wav", "chords.wav", "pulse.wav"]
    assert (tmp_path / "cover.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_render_a_loop_rounds_to_whole_bars(tmp_path: Path) -> None:
    result = cli("render", "x", "--engine", "mock", "--duration", "5.5", "--bpm", "120", "--loop", "-o", "l.wav",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "6.00 s" in result.stdout  # 5.5 s at 120 bpm is 2.75 bars → 3 bars


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "nope"], "known engines: mock, replicate, synth"),
        (["--duration", "0"], "--duration must be more than 0"),
        (["--duration", "-3"], "--duration must be more than 0"),
        (["--duration", "nan"], "--duration must be more than 0"),
        (["--duration", "601"], "over mock's 600 s"),
        (["--bpm", "0"], "--bpm must be between 20 and 300"),
        (["--bpm", "1000"], "--bpm must be between 20 and 300"),
        (["--bpm", "fast"], "invalid float value"),
        (["--key", "H dorian"], "key"),
        (["-o", "track.ogg"], "must end in .mp3 or .wav"),
        (["-o", "missing/track.mp3"], "is not a directory"),
        (["--prompt-marker", "[reject]"], "cannot make this request"),
        (["--prompt-marker", "[fail]"], "busy or unavailable"),
        (["--prompt-marker", "[slow:30]", "--timeout", "0.2"], "took too long"),
        (["--model", "mock-9"], "no such model"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_bad_input_fails_cleanly_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    prompt = "x"
    if args[0] == "--prompt-marker":
        prompt, args = f"x {args[1]}", args[2:]
    options = {"--engine": "mock", "-o": "track.mp3", **dict(zip(args[::2], args[1::2], strict=True))}
    argv = [item for pair in options.items() for item in pair]
    result = cli("render", prompt, *argv, "--stems", "stems", cwd=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_replicate_without_a_token_says_the_token_is_not_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_")}
    result = subprocess.run(
        [sys.executable, "-m", "engines", "render", "lofi", "--engine", "replicate", "--duration", "2", "-o", "t.mp3"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: REPLICATE_API_TOKEN is not set: export your Replicate API token to use --engine replicate"
    )
    assert list(tmp_path.iterdir()) == []

"""``python -m engines analyse FILE``: the features as JSON, or a one-line reason and exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engines.cli import main


def test_analyse_prints_the_features_of_a_rendered_track_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    track = tmp_path / "track.wav"
    assert main(["render", "house", "--bpm", "124", "--key", "A minor", "--duration", "8", "--seed", "4",
                 "-o", str(track)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["analyse", str(track)]) == 0
    features = json.loads(capsys.readouterr().out)
    assert abs(features["bpm"] - 124) <= 2 and features["key"] == "A minor"
    assert {"lufs", "energy", "energy_shape", "energy_curve", "brightness", "description"} <= set(features)
    assert features["description"].startswith("≈124 BPM, A minor")


def test_analyse_of_a_text_file_says_why_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not music at all\n" * 20)
    assert main(["analyse", str(notes)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot analyse") and "Traceback" not in err and err.count("\n") == 1


def test_analyse_of_a_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyse", str(tmp_path / "nope.mp3")]) == 1
    assert "no such file" in capsys.readouterr().err

"""The registry: engines by name through entry points, lazily, with helpful errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engines import Engine, EngineLoadError, UnknownEngine, available_engines, engine_class, get_engine
from engines.mock import MockEngine


def run_python(code: str, *, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (so sys.modules and the entry-point cache start empty)."""
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=60
    )


def test_the_built_in_engines_are_registered_by_entry_point() -> None:
    names = available_engines()
    assert {"mock", "synth", "replicate"} <= set(names)
    assert names == sorted(names)


def test_each_call_builds_a_new_engine() -> None:
    first, second = get_engine("mock"), get_engine("mock")
    assert isinstance(first, MockEngine) and isinstance(first, Engine)
    assert first is not second
    assert engine_class("mock") is MockEngine


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownEngine) as caught:
        get_engine("nope")
    assert isinstance(caught.value, KeyError)
    message = str(caught.value)
    assert "'nope'" in message
    for name in ("mock", "synth", "replicate"):
        assert name in message


def test_choosing_one_engine_imports_no_other() -> None:
    result = run_python(
        """
        import json, sys
        import engines.registry
        from engines import get_engine, available_engines
        available_engines()
        get_engine("mock")
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(("engines", "replicate", "PIL")))))
        """
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "engines.mock" in loaded
    for module in ("engines.synth", "engines.replicate_engine", "replicate", "engines.audio", "PIL"):
        assert module not in loaded


@pytest.fixture
def plugin_path(tmp_path: Path) -> Path:
    """A third-party distribution registering four engines: good, broken, not an engine, and misnamed."""
    dist = tmp_path / "cloudmusic_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cloudmusic-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[cloudmusic.engines]\n"
        "thirdparty = cloudmusic_plugin:Engine\n"
        "broken = cloudmusic_plugin_broken:Engine\n"
        "notanengine = cloudmusic_plugin:NotAnEngine\n"
        "misnamed = cloudmusic_plugin:NoSuchClass\n"
    )
    (tmp_path / "cloudmusic_plugin.py").write_text(
        "from engines.mock import MockEngine\n"
        "class Engine(MockEngine):\n    name = 'thirdparty'\n"
        "class NotAnEngine:\n    def __init__(self, options): pass\n"
    )
    (tmp_path / "cloudmusic_plugin_broken.py").write_text("import cloudmusic_missing_dependency\n")
    return tmp_path


def test_a_third_party_engine_registers_the_same_way(plugin_path: Path) -> None:
    result = run_python(
        """
        from engines import available_engines, get_engine
        print(available_engines())
        print(get_engine("thirdparty").name)
        """,
        extra_path=plugin_path,
    )
    assert result.returncode == 0, result.stderr
    assert "'thirdparty'" in result.stdout and "'mock'" in result.stdout
    assert result.stdout.splitlines()[-1] == "thirdparty"


def test_a_missing_dependency_gives_an_install_hint(plugin_path: Path) -> None:
    result = run_python(
        """
        from engines import EngineLoadError, get_engine
        try:
            get_engine("broken")
        except EngineLoadError as exc:
            print(exc)
        """,
        extra_path=plugin_path,
    )
    assert result.returncode == 0, result.stderr
    assert "'broken'" in result.stdout
    assert "pip install cloudmusic_missing_dependency" in result.stdout
    assert "cloudmusic-plugin" in result.stdout


def test_an_entry_point_that_is_not_an_engine_is_refused(plugin_path: Path) -> None:
    result = run_python(
        """
        from engines import EngineLoadError, get_engine
        try:
            get_engine("notanengine")
        except EngineLoadError as exc:
            print(exc)
        """,
        extra_path=plugin_path,
    )
    assert result.returncode == 0, result.stderr
    assert "does not implement Engine" in result.stdout


def test_an_entry_point_naming_a_missing_class_is_a_load_error(plugin_path: Path) -> None:
    result = run_python(
        """
        from engines import EngineLoadError, get_engine
        try:
            get_engine("misnamed")
        except EngineLoadError as exc:
            print(exc)
        """,
        extra_path=plugin_path,
    )
    assert result.returncode == 0, result.stderr
    assert "'cloudmusic_plugin:NoSuchClass', which does not exist" in result.stdout


def test_load_errors_are_import_errors() -> None:
    assert issubclass(EngineLoadError, ImportError)

"""Fixtures for the sandbox page: the real bot in sandbox mode, and a headless system Chromium driven by Playwright.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or ``$CLOUDMUSIC_BROWSER``); Playwright's own browser
downloads are never used. Without a browser the browser tests are skipped *loudly* (tests/conftest.py repeats the
reason and the install command at the end of the run), unless ``CLOUDMUSIC_REQUIRE_BROWSER=1``, which turns that
into a failure (CI sets it after installing Chromium).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import Runtime, running_bot
from bot.settings import Settings
from standin.web.cast import ADA as SANDBOX_ADA
from standin.web.cast import BOB as SANDBOX_BOB

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install it with `apt-get install chromium` (Debian/Ubuntu), or set CLOUDMUSIC_BROWSER to its path"


def browser_path() -> str | None:
    """The Chromium executable to drive, if there is one."""
    wanted = os.environ.get("CLOUDMUSIC_BROWSER", "/usr/bin/chromium")
    if os.access(wanted, os.X_OK):
        return wanted
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium() -> str:
    """The browser's path; skips (or, with CLOUDMUSIC_REQUIRE_BROWSER=1, fails) when it or Playwright is missing."""
    problem = None
    if importlib.util.find_spec("playwright") is None:
        problem = "the Python package playwright is missing: run `pip install -e '.[dev]'` (or `make test`)"
    elif (path := browser_path()) is None:
        problem = f"no Chromium at {os.environ.get('CLOUDMUSIC_BROWSER', '/usr/bin/chromium')}: {INSTALL_HINT}"
    if problem is None:
        assert path is not None
        return path
    if os.environ.get("CLOUDMUSIC_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CLOUDMUSIC_REQUIRE_BROWSER=1 but {problem}", pytrace=False)
    pytest.skip(f"BROWSER TEST NOT RUN: {problem}")


def sandbox_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for the bot in sandbox mode (no token) with the mock engine on a free HTTP port."""
    values: dict[str, Any] = {
        "telegram_bot_token": None,
        "data_dir": data_dir,
        "engine": "mock",
        "http_host": "127.0.0.1",
        "http_port": 0,
        "admin_ids": frozenset({1003}),
        "teaser_channel": None,
        "fingerprint_secret": "browser-test-fingerprint-secret",
        "shutdown_grace": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def shipped_sandbox(tmp_path: Path) -> AsyncIterator[Runtime]:
    """The whole bot in sandbox mode exactly as ``make run`` starts it (Ada speaks pt-br, Bob es, the Admin en)."""
    async with running_bot(sandbox_settings(tmp_path / "data"), poll_timeout=1) as runtime:
        assert runtime.standin is not None
        yield runtime
        assert not runtime.standin.violations, f"the bot made invalid Bot API calls: {runtime.standin.violations}"


@pytest.fixture
async def sandbox_bot(shipped_sandbox: Runtime) -> Runtime:
    """The sandbox with every simulated person's app in English, so tests can read the bot's English texts.

    Their languages as shipped are tested through ``shipped_sandbox``.
    """
    assert shipped_sandbox.standin is not None
    for person in (SANDBOX_ADA, SANDBOX_BOB):
        shipped_sandbox.standin.set_language(person, "en")
    return shipped_sandbox

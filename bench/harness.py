"""What every benchmark shares: the figure record, timing helpers, the machine's state and bot processes.

A figure is measured side by side with its baseline in the same run. Bots under test run as separate processes
(``python -m bench.botproc`` wraps ``python -m bot``; ``python -m bench.echo_bot`` is the bare PTB baseline)
talking to a :class:`TelegramStandIn` and its simulated people in the benchmark's own process: Telegram and its
users are another machine in production, so their CPU must not be charged to the bot, and the bot's event loop
must not carry their work (or loop lag and RSS would be the stand-in's).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from standin import TelegramStandIn

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-cloudmusic-token-0000000"
#: How long a figure may wait for the bot before it is reported as failed (bounded runs, always).
PATIENCE_S = 60.0


@dataclass
class Figure:
    """One row of the results table."""

    name: str
    result: str
    baseline: str
    target: str
    met: bool | None  # None: informational, no target
    notes: list[str] = field(default_factory=list)


def median(values: Sequence[float]) -> float:
    """The median (0 for no values)."""
    return statistics.median(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages."""
    return os.getloadavg()


def rss_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bot_env(data_dir: Path, standin: TelegramStandIn, **extra: str) -> dict[str, str]:
    """Environment for a bot process talking to ``standin`` with the mock engine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STRIPE_", "REPLICATE_", "TEASER_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATA_DIR=str(data_dir),
        ENGINE="mock",
        HTTP_PORT="0",
        FINGERPRINT_SECRET="bench-fingerprint-secret",
        SHUTDOWN_GRACE="0",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """A bot under test: its process, when it was spawned and where its log and probe output go."""

    process: asyncio.subprocess.Process
    spawned_at: float  # time.time()
    log_path: Path
    probe_path: Path

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def log_problems(self) -> list[str]:
        """Lines of the bot's log that report an error or a traceback."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if "Traceback" in line or " ERROR " in line or "CRITICAL" in line]

    async def lag_window(self) -> None:
        """Start a fresh event-loop lag window in the bot (its probe forgets earlier samples)."""
        self.process.send_signal(signal.SIGUSR1)
        await asyncio.sleep(0.05)

    async def lag_report(self) -> list[float]:
        """The bot's loop-lag samples (ms) since the window started."""
        self.probe_path.unlink(missing_ok=True)
        self.process.send_signal(signal.SIGUSR2)
        async with asyncio.timeout(10):
            while not self.probe_path.exists():  # noqa: ASYNC110 - another process writes it
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)  # the probe writes the file in one go; let it finish
        return [float(x) for x in self.probe_path.read_text().split()]


@asynccontextmanager
async def bot_process(module: str, env: dict[str, str], workdir: Path) -> AsyncIterator[BotProcess]:
    """Run ``python -m module`` with ``env``; stop it with SIGTERM (then SIGKILL) on exit."""
    log_path, probe_path = workdir / f"{module}.log", workdir / f"{module}.probe"
    env = {**env, "BENCH_PROBE_FILE": str(probe_path)}
    with log_path.open("ab") as log:
        spawned = time.time()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, cwd=ROOT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
        )
    running = BotProcess(process, spawned, log_path, probe_path)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


PRIMER_USER = 999_999


async def prime(standin: TelegramStandIn) -> None:
    """Queue one ``/help`` before a bot starts, so its first getUpdates is answered (and recorded) at once.

    The stand-in records a call when it answers it, and an empty long poll is answered only at its timeout.
    """
    if PRIMER_USER not in standin.world.users:
        standin.add_user(PRIMER_USER, "Primer")
    await standin.send_text(PRIMER_USER, "/help")


async def first_call(standin: TelegramStandIn, method: str, after: float, within: float = 30.0) -> float:
    """Wall time of the first ``method`` call the stand-in answered after ``after`` (time.time()); see :func:`prime`."""
    async with asyncio.timeout(within):
        while True:
            for call in standin.calls:
                if call.method == method and call.time >= after:
                    return call.time
            await asyncio.sleep(0.005)


async def wait_until(condition: Callable[[], bool], within: float = PATIENCE_S, step: float = 0.01) -> bool:
    """Poll ``condition`` until it holds or ``within`` seconds pass; returns whether it held."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(step)
    return condition()


@contextlib.contextmanager
def scratch() -> AsyncIterator[Path]:  # type: ignore[misc]
    """A temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="cloudmusic-bench-") as path:
        yield Path(path)

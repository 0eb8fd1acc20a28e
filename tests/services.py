"""The services some tests need: Meltano and the PostgreSQL server at 127.0.0.1:5432.

Without one of them those tests skip and say why, except under `CI=true`, where a missing piece
is a failure: CI must prove the path, not skip it. The fixtures are registered for the whole
suite by `tests/conftest.py`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import psycopg
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PG_HOST, PG_PORT, PG_USER, PG_DATABASE = "127.0.0.1", 5432, "postgres", "test"

Connection = psycopg.Connection[tuple[Any, ...]]


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
    """An autocommit connection to the server at 127.0.0.1:5432, database `test`."""
    try:
        connection = psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            user=PG_USER,
            dbname=PG_DATABASE,
            connect_timeout=3,
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        unavailable(f"no PostgreSQL server answers at {PG_HOST}:{PG_PORT} ({detail})")
    with connection:
        yield connection

"""Shared by the end-to-end tests: where things are, and an isolated Meltano environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tests.services import PROJECT_ROOT, active_database

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["PROJECT_ROOT", "meltano_environment"]


def meltano_environment(sys_dir: Path, state_dir: Path, schema: str) -> dict[str, str]:
    """Environment for `meltano` with its own `.meltano`, system database and schema.

    `sys_dir` replaces the project's `.meltano/`: Meltano keeps each extractor's discovered
    catalog there, and two Meltano processes sharing it (a developer's run, another suite) can
    read each other's half-written catalog ("Invalid catalog"). Runs and state go to a fresh
    SQLite file in `state_dir`, so a test never reads or moves a real bookmark. Nothing the
    developer exported for real runs (keys, targets, Meltano options) gets through.

    target-postgres is pointed at the session's test database (`tests.services.postgres`:
    the embedded server, or `TAP_OPENAI_AUDIT_TEST_DATABASE_URL`'s), which the calling test
    or fixture must have asked for.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(
            ("TAP_OPENAI_AUDIT", "TARGET_POSTGRES", "DBT_", "OPENAI_", "MELTANO_")
        )
    }
    env.update(
        MELTANO_SYS_DIR_ROOT=str(sys_dir),
        MELTANO_DATABASE_URI=f"sqlite:///{state_dir / 'meltano.db'}",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_ENVIRONMENT="dev",
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
        # dbt-postgres:build reads the loader's schema and builds its models beside it.
        DBT_POSTGRES_SOURCE_SCHEMA=schema,
        DBT_POSTGRES_SCHEMA=f"{schema}_models",
        # A session time zone other than UTC, as a server or role may set: meltano.yml pins
        # PGTZ=UTC for target-postgres, and the tests check effective_at still holds UTC.
        PGTZ="America/New_York",
    )
    database = active_database()
    if database is not None:
        env.update(
            TARGET_POSTGRES_HOST=database.host,
            TARGET_POSTGRES_PORT=str(database.port),
            TARGET_POSTGRES_USER=database.user,
            TARGET_POSTGRES_PASSWORD=database.password,
            TARGET_POSTGRES_DATABASE=database.dbname,
        )
    else:
        # A test that runs target-postgres without the `postgres` fixture fails with this name
        # in its error, instead of loading into whatever server some other setting names.
        env["TARGET_POSTGRES_HOST"] = "request-the-postgres-fixture.invalid"
    # The dbt-postgres utility reads the same TARGET_POSTGRES_* (transform/profiles/postgres).
    return env

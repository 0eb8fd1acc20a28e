"""Running the dbt package in `transform/` from tests: where dbt is, and its environment."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from tests.services import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from tests.services import Connection, Database

TRANSFORM = PROJECT_ROOT / "transform"
# Where `meltano install` puts the dbt-postgres utility under a MELTANO_SYS_DIR_ROOT.
DBT_IN_SYS_DIR = ("utilities", "dbt-postgres", "venv", "bin", "dbt")


@dataclass(frozen=True)
class Build:
    """What one dbt command printed, and how long it took."""

    output: str
    seconds: float


def dbt_environment(
    database: Database, source_schema: str, model_schema: str, work: Path
) -> dict[str, str]:
    """dbt's environment for reading `source_schema` and building into `model_schema`.

    Set the way the dbt-postgres utility sets it (transform/profiles/postgres/profiles.yml),
    with nothing of the developer's dbt or loader settings, its own target and log folders
    (concurrent runs would share transform/target/ otherwise), and a session time zone other
    than UTC, which staging must not depend on.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DBT_", "TARGET_POSTGRES", "MELTANO_"))
    }
    env.update(
        DBT_POSTGRES_HOST=database.host,
        DBT_POSTGRES_PORT=str(database.port),
        DBT_POSTGRES_USER=database.user,
        DBT_POSTGRES_PASSWORD=database.password,
        DBT_POSTGRES_DBNAME=database.dbname,
        DBT_POSTGRES_SCHEMA=model_schema,
        DBT_POSTGRES_SOURCE_SCHEMA=source_schema,
        DBT_PROFILES_DIR=str(TRANSFORM / "profiles" / "postgres"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        PGTZ="America/New_York",
    )
    return env


def dbt(dbt_bin: Path, env: dict[str, str], *args: str) -> Build:
    """Run `dbt <args>` on the package; return its output, or fail the test with its tail."""
    started = time.monotonic()
    done = subprocess.run(
        [str(dbt_bin), *args, "--project-dir", str(TRANSFORM)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"dbt {' '.join(args)} exited {done.returncode}:\n{output[-6000:]}")
    return Build(output, time.monotonic() - started)


def drop_schemas(postgres: Connection, *schemas: str) -> None:
    """Drop `schemas` and everything in them."""
    for schema in schemas:
        postgres.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))


def relations(postgres: Connection, schema: str) -> list[str]:
    """The tables of `schema`, by name."""
    rows = postgres.execute(
        "select table_name from information_schema.tables where table_schema = %s order by 1",
        (schema,),
    ).fetchall()
    return [str(name) for (name,) in rows]


def fingerprint(postgres: Connection, schema: str) -> dict[str, tuple[Any, ...]]:
    """Per table of `schema`: its row count and an order-independent digest of its rows."""
    prints = {}
    for table in relations(postgres, schema):
        query = sql.SQL(
            "select count(*), md5(coalesce(string_agg(md5(t::text), '' order by md5(t::text)), ''))"
            " from {}.{} as t"
        ).format(sql.Identifier(schema), sql.Identifier(table))
        row = postgres.execute(query).fetchone()
        assert row is not None
        prints[table] = tuple(row)
    return prints

"""After an upgrade, an incremental model built by an older release is named, not left stale."""

from __future__ import annotations

import subprocess
import uuid
from typing import TYPE_CHECKING

import pytest
from psycopg import sql

from .support import TRANSFORM, dbt, dbt_environment, drop_schemas

if TYPE_CHECKING:
    from pathlib import Path

    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

MODEL = "stg_openai_audit__events"  # generation 2: 0.2.0's rows have no organization


def test_rows_of_an_older_release_stop_the_build_until_a_full_refresh(
    warehouse: Warehouse, postgres: Connection, tmp_path: Path
) -> None:
    source = f"upgrade_{uuid.uuid4().hex[:12]}"
    models = f"{source}_models"
    generations = sql.Identifier(models, "openai_audit__model_generations")
    try:
        postgres.execute(sql.SQL("create schema {}").format(sql.Identifier(source)))
        for table in ("audit_logs", "audit_log_reads"):
            postgres.execute(
                sql.SQL("create table {} as select * from {}").format(
                    sql.Identifier(source, table), sql.Identifier(warehouse.source_schema, table)
                )
            )
        env = dbt_environment(warehouse.database, source, models, tmp_path)
        dbt(warehouse.dbt_bin, env, "run", "--select", MODEL)
        # As 0.2.0 left it: the model built, and no generation recorded.
        postgres.execute(sql.SQL("delete from {}").format(generations))
        done = subprocess.run(
            [str(warehouse.dbt_bin), "run", "--select", MODEL, "--project-dir", str(TRANSFORM)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert done.returncode != 0
        (line,) = [
            row for row in done.stdout.splitlines() if "were built by an older release" in row
        ]
        assert f"dbt build --full-refresh --select {MODEL} " in line
        dbt(warehouse.dbt_bin, env, "run", "--select", MODEL, "--full-refresh")
        assert postgres.execute(sql.SQL("select * from {}").format(generations)).fetchall() == [
            (MODEL, 2)
        ]
        dbt(warehouse.dbt_bin, env, "run", "--select", MODEL)  # and on as usual
    finally:
        drop_schemas(postgres, source, models)

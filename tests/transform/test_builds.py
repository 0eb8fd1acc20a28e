"""`dbt build` on an empty database, again over the same rows, and after a late event."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from psycopg import sql

from tap_openai_audit.inventory.endpoints import ENDPOINTS

from .support import dbt, dbt_environment, drop_schemas, fingerprint, relations

if TYPE_CHECKING:
    from pathlib import Path

    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

INVENTORY = [endpoint.stream for endpoint in ENDPOINTS]

# Rebuilds prove the data; the unit tests proved the SQL in the first build already.
PRODUCTION = ("build", "--exclude-resource-type", "unit_test")


def test_the_build_through_meltano_built_every_model(
    warehouse: Warehouse, postgres: Connection
) -> None:
    built = set(relations(postgres, warehouse.model_schema))
    assert {
        "stg_openai_audit__events",
        "openai_audit__ocsf_events",
        "openai_audit__alerts",
        "openai_audit__access_review",
        "openai_audit__coverage",
        "openai_audit__coverage_gaps",
    } <= built
    assert warehouse.dbt_seconds > 0


def test_a_second_build_changes_nothing(
    warehouse: Warehouse, postgres: Connection, tmp_path: Path
) -> None:
    before = fingerprint(postgres, warehouse.model_schema)
    env = dbt_environment(
        warehouse.database, warehouse.source_schema, warehouse.model_schema, tmp_path
    )
    dbt(warehouse.dbt_bin, env, *PRODUCTION)
    assert fingerprint(postgres, warehouse.model_schema) == before
    dbt(warehouse.dbt_bin, env, "run", "--full-refresh")
    assert fingerprint(postgres, warehouse.model_schema) == before


def test_a_late_event_lands_once(
    warehouse: Warehouse, postgres: Connection, tmp_path: Path
) -> None:
    """The reconcile run lands an old event late and upserts one already loaded."""
    source, models = f"late_{uuid.uuid4().hex[:12]}", ""
    models = f"{source}_models"
    raw = sql.Identifier(source, "audit_logs")
    try:
        # The audit log and an empty ledger: every inventory table is missing.
        postgres.execute(sql.SQL("create schema {}").format(sql.Identifier(source)))
        postgres.execute(
            sql.SQL("create table {} as select * from {}").format(
                raw, sql.Identifier(warehouse.source_schema, "audit_logs")
            )
        )
        postgres.execute(
            sql.SQL("create table {} as select * from {} where false").format(
                sql.Identifier(source, "audit_log_reads"),
                sql.Identifier(warehouse.source_schema, "audit_log_reads"),
            )
        )
        env = dbt_environment(warehouse.database, source, models, tmp_path)
        dbt(warehouse.dbt_bin, env, *PRODUCTION)
        landed = postgres.execute(sql.SQL("select count(*) from {}").format(raw)).fetchone()
        assert landed is not None
        postgres.execute(
            sql.SQL(
                "insert into {} (id, type, effective_at, scope, actor, project, payload, extra,"
                " _sdc_batched_at, _sdc_received_at, _sdc_extracted_at)"
                " select 'audit_log-late', 'api_key.created', timestamp '2026-10-05 12:00:00',"
                " 'organization', actor, project, '{{\"id\": \"key_late\"}}', 'null',"
                " now() at time zone 'UTC', now() at time zone 'UTC', now() at time zone 'UTC'"
                " from {} where id = 'audit_log-hostile-06'"
            ).format(raw, raw)
        )
        postgres.execute(
            sql.SQL(
                'update {} set payload = \'{{"id": "key_changed"}}\','
                " _sdc_batched_at = now() at time zone 'UTC' where id = 'audit_log-hostile-05'"
            ).format(raw)
        )
        dbt(warehouse.dbt_bin, env, *PRODUCTION)
        for table in ("stg_openai_audit__events", "openai_audit__ocsf_events"):
            row = postgres.execute(
                sql.SQL(
                    "select count(*), count(distinct id),"
                    " count(*) filter (where id = 'audit_log-late') from {}"
                ).format(sql.Identifier(models, table))
            ).fetchone()
            assert row == (landed[0] + 1, landed[0] + 1, 1), table
        changed = postgres.execute(
            sql.SQL(
                "select stg.object_id, ocsf.ocsf #>> '{{entity,uid}}' from {} as stg"
                " join {} as ocsf using (id) where id = 'audit_log-hostile-05'"
            ).format(
                sql.Identifier(models, "stg_openai_audit__events"),
                sql.Identifier(models, "openai_audit__ocsf_events"),
            )
        ).fetchone()
        assert changed == ("key_changed", "key_changed")
        assert _count(postgres, models, "stg_openai_audit__users") == 0
    finally:
        drop_schemas(postgres, source, models)


def test_one_build_on_empty_tables(
    warehouse: Warehouse, postgres: Connection, tmp_path: Path
) -> None:
    """The audit log and its ledger empty, no inventory table, no model yet: seeds, models,
    unit and data tests in one go, and one warning naming every missing table."""
    source = f"empty_{uuid.uuid4().hex[:12]}"
    models = f"{source}_models"
    try:
        postgres.execute(sql.SQL("create schema {}").format(sql.Identifier(source)))
        for table in ("audit_logs", "audit_log_reads"):
            postgres.execute(
                sql.SQL("create table {} as select * from {} where false").format(
                    sql.Identifier(source, table), sql.Identifier(warehouse.source_schema, table)
                )
            )
        env = dbt_environment(warehouse.database, source, models, tmp_path)
        build = dbt(warehouse.dbt_bin, env, "build")
        assert " ERROR=0 " in build.output
        (warning,) = [line for line in build.output.splitlines() if "build empty" in line]
        assert f"in schema {source} on " in warning
        assert all(f" {name}," in warning or f" {name} in" in warning for name in INVENTORY)
        built = relations(postgres, models)
        assert "openai_audit__access_review" in built
        staged = [name for name in built if name.startswith("stg_openai_audit__")]
        assert len(staged) == 21
        assert all(_count(postgres, models, name) == 0 for name in staged)
    finally:
        drop_schemas(postgres, source, models)


def _count(postgres: Connection, schema: str, table: str) -> int:
    query = sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))
    row = postgres.execute(query).fetchone()
    assert row is not None
    return int(row[0])

"""An hourly build recomputes only the matches new events can change, and gives the matches a
build from scratch gives, also when a late event removes matches."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from psycopg import sql

from .support import dbt, dbt_environment, drop_schemas

if TYPE_CHECKING:
    from pathlib import Path

    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

PRODUCTION = ("build", "--exclude-resource-type", "unit_test")
MATCHES = "int_openai_audit__alert_matches"
COPY = (
    "insert into {raw} (id, type, effective_at, scope, actor, project, payload, extra,"
    " _sdc_batched_at, _sdc_received_at, _sdc_extracted_at)"
    " select %s, {type}, {at}, scope, actor, project, payload, extra,"
    " now() at time zone 'UTC', now() at time zone 'UTC', now() at time zone 'UTC'"
    " from {raw} where id = %s"
)


def _matches(postgres: Connection, schema: str) -> list[tuple[object, ...]]:
    query = sql.SQL("select * from {} order by organization, detection_id, match_id").format(
        sql.Identifier(schema, MATCHES)
    )
    return postgres.execute(query).fetchall()


def _one(postgres: Connection, query: sql.Composed) -> tuple[object, ...]:
    row = postgres.execute(query).fetchone()
    assert row is not None, query
    return tuple(row)


def _build_and_compare(
    warehouse: Warehouse,
    postgres: Connection,
    source: str,
    work: Path,
    *,
    compare: bool = True,
) -> None:
    """The hourly build of `source`'s models, then a build from scratch to compare with."""
    models, scratch = f"{source}_models", f"{source}_scratch"
    env = dbt_environment(warehouse.database, source, models, work / "models")
    dbt(warehouse.dbt_bin, env, *PRODUCTION)
    # it recomputed from the new events' time on, not everything
    ran = next((work / "models" / "target" / "compiled").rglob(f"{MATCHES}.sql"))
    assert "effective_at >= timestamptz '" in ran.read_text(encoding="utf-8")
    if not compare:
        return
    env = dbt_environment(warehouse.database, source, scratch, work / "scratch")
    dbt(warehouse.dbt_bin, env, *PRODUCTION, "--full-refresh")
    assert _matches(postgres, models) == _matches(postgres, scratch)


def test_an_incremental_build_gives_the_matches_of_a_build_from_scratch(
    warehouse: Warehouse, postgres: Connection, tmp_path: Path
) -> None:
    source = f"inc_{uuid.uuid4().hex[:12]}"
    models, scratch = f"{source}_models", f"{source}_scratch"
    raw = sql.Identifier(source, "audit_logs")
    try:
        postgres.execute(sql.SQL("create schema {}").format(sql.Identifier(source)))
        for table in ("audit_logs", "audit_log_reads"):
            postgres.execute(
                sql.SQL("create table {} as select * from {}").format(
                    sql.Identifier(source, table), sql.Identifier(warehouse.source_schema, table)
                )
            )
        # A user deleted ten minutes before one of their acts: activity after deletion.
        act = _one(
            postgres,
            sql.SQL(
                "select id, actor #>> '{{session,user,id}}' from {} where type = 'api_key.created'"
                " and actor #>> '{{session,user,id}}' is not null order by effective_at limit 1"
            ).format(raw),
        )
        postgres.execute(
            sql.SQL(
                "insert into {raw} (id, type, effective_at, scope, actor, project, payload, extra,"
                " _sdc_batched_at, _sdc_received_at, _sdc_extracted_at)"
                " select 'scenario-deleted', 'user.deleted',"
                " (select effective_at from {raw} where id = %s) - interval '10 minutes',"
                " scope, actor, project, jsonb_build_object('id', %s::text), extra,"
                " _sdc_batched_at, _sdc_received_at, _sdc_extracted_at from {raw} where id = %s"
            ).format(raw=raw),
            (act[0], act[1], act[0]),
        )
        env = dbt_environment(warehouse.database, source, models, tmp_path / "models")
        dbt(warehouse.dbt_bin, env, *PRODUCTION)
        matches = sql.Identifier(models, MATCHES)
        found = sql.SQL(
            "select count(*) from {} where detection_id = 'activity_after_user_deleted'"
            " and match_id = %s and event_ids[1] = 'scenario-deleted'"
        ).format(matches)
        assert postgres.execute(found, (act[0],)).fetchone() == (1,)
        # A login between the two of an impossible-travel match, from the second one's place,
        # just after the first: the match moves to it, and the one it had goes.
        travel = _one(
            postgres,
            sql.SQL(
                "select event_ids[1], match_id from {} where detection_id ="
                " 'login_impossible_travel' order by match_at limit 1"
            ).format(matches),
        )
        at = sql.SQL("(select effective_at from {raw} where id = %s) + interval '1 second'")
        postgres.execute(
            sql.SQL(COPY).format(raw=raw, type=sql.SQL("type"), at=at.format(raw=raw)),
            ("late-travel", travel[0], travel[1]),
        )
        # Alone: a build re-reads the last batch the previous one saw (as staging does), so
        # the next build starts at this event and reads the pair's first login from before it.
        _build_and_compare(warehouse, postgres, source, tmp_path, compare=False)
        ids = {(row[1], row[4]) for row in _matches(postgres, models)}
        assert ("login_impossible_travel", travel[1]) not in ids
        assert ("login_impossible_travel", "late-travel") in ids
        # The user added again five minutes before the act, loaded late: no match any more.
        back = sql.SQL("(select effective_at from {raw} where id = %s) - interval '5 minutes'")
        postgres.execute(
            sql.SQL(COPY).format(raw=raw, type=sql.Literal("user.added"), at=back.format(raw=raw)),
            ("late-re-added", act[0], "scenario-deleted"),
        )
        # The logins, creations and user changes after it again, an hour earlier, loaded now:
        # windows of earlier events fill up with late ones.
        postgres.execute(
            sql.SQL(
                "insert into {raw} (id, type, effective_at, scope, actor, project, payload, extra,"
                " _sdc_batched_at, _sdc_received_at, _sdc_extracted_at)"
                " select 'late-' || id, type, effective_at - interval '1 hour', scope, actor,"
                " project, payload, extra, now() at time zone 'UTC', now() at time zone 'UTC',"
                " now() at time zone 'UTC' from {raw}"
                " where (type like 'login.%%' or type like '%%.created' or type like 'user.%%')"
                " and effective_at - interval '1 hour'"
                " > (select effective_at from {raw} where id = 'late-re-added')"
            ).format(raw=raw)
        )
        _build_and_compare(warehouse, postgres, source, tmp_path)
        ids = {(row[1], row[4]) for row in _matches(postgres, models)}
        assert ("activity_after_user_deleted", act[0]) not in ids
    finally:
        drop_schemas(postgres, source, models, scratch)

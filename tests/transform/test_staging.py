"""Staging reads every shape the API may send, in UTC, one row per landed row."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from openai_audit_emulator import HOSTILE_START

if TYPE_CHECKING:
    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

INVENTORY = (
    "users",
    "invites",
    "projects",
    "project_users",
    "project_service_accounts",
    "project_api_keys",
    "admin_api_keys",
    "certificates",
    "project_certificates",
    "project_rate_limits",
    "groups",
    "group_users",
    "group_roles",
    "roles",
    "user_roles",
    "project_groups",
    "project_roles",
    "project_user_roles",
    "project_group_roles",
)


def _at(value: Any, *path: str) -> Any:
    """The value at `path` in JSON of any shape, or None."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any, *path: str) -> str | None:
    found = _at(value, *path)
    if isinstance(found, bool) or not isinstance(found, (str, int, float)):
        return None
    return str(found)


def _count(postgres: Connection, schema: str, table: str) -> int:
    query = sql.SQL("select count(*) from {}.{}").format(
        sql.Identifier(schema), sql.Identifier(table)
    )
    row = postgres.execute(query).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def events(warehouse: Warehouse, postgres: Connection) -> dict[str, dict[str, Any]]:
    """Each staged event with the raw actor, project and payload it came from."""
    postgres.execute("set time zone 'Asia/Tokyo'")  # reading must not depend on it either
    query = sql.SQL(
        "select stg.*, raw.actor as raw_actor, raw.project as raw_project,"
        " raw.payload as raw_payload from {}.stg_openai_audit__events as stg"
        " join {}.audit_logs as raw using (id)"
    ).format(sql.Identifier(warehouse.model_schema), sql.Identifier(warehouse.source_schema))
    cursor = postgres.execute(query)
    names = [column.name for column in cursor.description or []]
    rows = {row[names.index("id")]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    postgres.execute("set time zone 'UTC'")
    return rows


def test_each_landed_row_is_staged_once(warehouse: Warehouse, postgres: Connection) -> None:
    assert _count(postgres, warehouse.model_schema, "stg_openai_audit__events") == _count(
        postgres, warehouse.source_schema, "audit_logs"
    )
    for table in (*INVENTORY, "audit_log_reads"):
        staged = _count(postgres, warehouse.model_schema, f"stg_openai_audit__{table}")
        assert staged == _count(postgres, warehouse.source_schema, table), table


def test_effective_at_is_read_as_utc(events: dict[str, dict[str, Any]]) -> None:
    first_hostile = events["audit_log-hostile-00"]["effective_at"]  # sent as HOSTILE_START
    assert first_hostile.timestamp() == HOSTILE_START
    assert first_hostile.astimezone(timezone.utc) == datetime(2026, 10, 30, tzinfo=timezone.utc)


def test_actor_project_and_payload_columns_follow_the_raw_json(
    events: dict[str, dict[str, Any]],
) -> None:
    for event_id, event in events.items():
        actor, project, payload = event["raw_actor"], event["raw_project"], event["raw_payload"]
        expected = {
            "actor_type": _text(actor, "type"),
            "actor_user_id": _text(actor, "session", "user", "id")
            or _text(actor, "api_key", "user", "id"),
            "actor_email": _text(actor, "session", "user", "email")
            or _text(actor, "api_key", "user", "email"),
            "actor_api_key_id": _text(actor, "api_key", "id"),
            "actor_service_account_id": _text(actor, "api_key", "service_account", "id"),
            "ip_address": (_text(actor, "session", "ip_address") or "").strip() or None,
            "user_agent": _text(actor, "session", "user_agent"),
            "project_id": _text(project, "id"),
            "project_name": _text(project, "name"),
            "object_id": _text(payload, "id"),
        }
        country = (_text(actor, "session", "ip_address_details", "country") or "").strip()
        expected["country"] = country.upper() or None
        assert {name: event[name] for name in expected} == expected, event_id


def test_coordinates_are_numbers_or_numeric_strings_in_range(
    events: dict[str, dict[str, Any]],
) -> None:
    located = 0
    for event_id, event in events.items():
        details = _at(event["raw_actor"], "session", "ip_address_details")
        latitude, longitude = _at(details, "latitude"), _at(details, "longitude")
        if event["latitude"] is None:
            assert event["longitude"] is None, event_id
            continue
        located += 1
        assert event["latitude"] == pytest.approx(float(latitude)), event_id
        assert event["longitude"] == pytest.approx(float(longitude)), event_id
        assert -90 <= event["latitude"] <= 90, event_id
        assert (event["latitude"], event["longitude"]) != (0, 0), event_id
    assert located > 100
    # hostile 02 sends them as numbers where the reference shows strings
    assert events["audit_log-hostile-02"]["latitude"] is not None


@pytest.mark.parametrize(
    ("event_id", "column"),
    [
        ("audit_log-hostile-04", "actor_type"),  # actor, project and payload are null
        ("audit_log-hostile-05", "actor_user_id"),  # actor is {}
        ("audit_log-hostile-07", "actor_user_id"),  # session.user is a string
        ("audit_log-hostile-09", "object_id"),  # the payload is an array
    ],
)
def test_other_shapes_give_nulls(
    events: dict[str, dict[str, Any]], event_id: str, column: str
) -> None:
    assert events[event_id][column] is None


def test_inventory_timestamps_are_timestamptz(warehouse: Warehouse, postgres: Connection) -> None:
    rows = postgres.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = %s and table_name like 'stg_openai_audit__%%'"
        " and (column_name like '%%\\_at' or column_name = 'created')",
        (warehouse.model_schema,),
    ).fetchall()
    assert len(rows) > 30
    assert {data_type for _, _, data_type in rows} == {"timestamp with time zone"}

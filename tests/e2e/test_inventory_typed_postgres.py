"""Typed, lossless inventory tables, and lists the organization lacks, through `meltano run`.

Two runs into PostgreSQL against the hostile inventory (undeclared fields, documented fields
of another type): the first with target-postgres at its own defaults (`validate_records` on,
`use_copy` off), which validates every record against the tap's schema; the second with the
full hourly extractor after some lists start answering 403 or 404 and objects of those lists
were deleted, which must skip them without marking anything deleted and exit 0.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tap_openai_audit.inventory.endpoints import ENDPOINTS, Kind
from tap_openai_audit.inventory.schema import id_columns
from tests.services import meltano

from .support import meltano_environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

Connection = psycopg.Connection[tuple[Any, ...]]
INVENTORY = [endpoint.stream for endpoint in ENDPOINTS]
# What target-postgres 0.8.1 makes of each declared type (measured; /work notes and docs/sql.md).
COLUMN = {
    Kind.STRING: "text",
    Kind.INTEGER: "bigint",
    Kind.BOOLEAN: "boolean",
    Kind.UNIXTIME: "timestamp without time zone",
    Kind.JSON: "jsonb",
}
# The second run: lists refused, and the streams that go with them.
REFUSED = {"groups": 403, "certificates": 404, "project_users": 403}
SKIPPED = {"groups", "group_users", "group_roles", "certificates"}
SKIPPED |= {"project_users", "project_user_roles"}


@dataclass
class Loaded:
    emulator: Emulator
    schema: str
    sent_users: list[dict[str, Any]]
    types: dict[str, dict[str, str]]
    users: dict[str, dict[str, Any]]
    rate_limit_extras: list[Any]
    key_extras: list[Any]
    versions_before: dict[str, set[int]]
    versions_after: dict[str, set[int]]
    counts_after: dict[str, int]
    deleted_after: dict[str, int]
    second_output: str


def _rows(postgres: Connection, schema: str, table: str) -> list[dict[str, Any]]:
    cursor = postgres.execute(
        sql.SQL("select * from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    )
    columns = [column.name for column in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _types(postgres: Connection, schema: str) -> dict[str, dict[str, str]]:
    rows = postgres.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = %s",
        [schema],
    ).fetchall()
    types: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        types.setdefault(str(table), {})[str(column)] = str(kind)
    return types


def _per_table(postgres: Connection, schema: str, expression: str) -> dict[str, Any]:
    found = {}
    for stream in INVENTORY:
        query = sql.SQL("select {} from {}.{}").format(
            sql.SQL(expression), sql.Identifier(schema), sql.Identifier(stream)
        )
        row = postgres.execute(query).fetchone()
        assert row is not None
        found[stream] = row[0]
    return found


def _versions(postgres: Connection, schema: str) -> dict[str, set[int]]:
    found = _per_table(postgres, schema, "array_agg(distinct _sdc_table_version)")
    return {stream: set(versions or []) for stream, versions in found.items()}


def _listed(emu: Emulator, stream: str) -> int:
    """Rows a complete snapshot lands: archived projects' members are not asked for."""
    archived = {p["id"] for p in emu.inventory.items("projects") or [] if p["status"] == "archived"}
    unread = {"project_users", "project_service_accounts", "project_user_roles"}
    return sum(
        len(items)
        for parents, items in emu.inventory.lists[stream].items()
        if not (stream in unread and parents[0] in archived)
    )


@pytest.fixture(scope="module")
def loaded(
    meltano_bin: Path,
    meltano_sys_dir: Path,
    postgres: Connection,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Loaded]:
    schema = f"typed_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(meltano_sys_dir, tmp_path_factory.mktemp("meltano"), schema)
    with Emulator(hostile_inventory=True) as emu:
        env |= {
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
        }
        # target-postgres' own defaults: every record validated, INSERT rather than COPY.
        strict = {
            **env,
            "TARGET_POSTGRES_VALIDATE_RECORDS": "true",
            "TARGET_POSTGRES_USE_COPY": "false",
        }
        try:
            meltano(
                meltano_bin,
                strict,
                "run",
                "--install",
                "tap-openai-audit-inventory",
                "target-postgres",
            )
            versions_before = _versions(postgres, schema)
            loaded_users = {row["id"]: row for row in _rows(postgres, schema, "users")}
            rate_limits = _rows(postgres, schema, "project_rate_limits")
            keys = _rows(postgres, schema, "project_api_keys")
            types = _types(postgres, schema)
            # Lists the organization no longer offers, and objects deleted from them: a
            # snapshot that did activate would mark those rows deleted.
            for stream, status in REFUSED.items():
                emu.inventory.refuse(stream, status)
            group = next(g["id"] for g in emu.inventory.items("groups") or [])
            member = (emu.inventory.items("group_users", (group,)) or [])[0]["id"]
            emu.delete_object("group_users", member, group)
            certificate = (emu.inventory.items("certificates") or [])[0]["id"]
            emu.delete_object("certificates", certificate)
            output = meltano(meltano_bin, strict, "run", "tap-openai-audit", "target-postgres")
            yield Loaded(
                emulator=emu,
                schema=schema,
                sent_users=emu.inventory.items("users") or [],
                types=types,
                users=loaded_users,
                rate_limit_extras=[row["extra"] for row in rate_limits],
                key_extras=[row["extra"] for row in keys],
                versions_before=versions_before,
                versions_after=_versions(postgres, schema),
                counts_after=_per_table(postgres, schema, "count(*)"),
                deleted_after=_per_table(postgres, schema, "count(_sdc_deleted_at)"),
                second_output=output,
            )
        finally:
            postgres.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )


def test_every_stream_has_typed_columns_and_extra(loaded: Loaded) -> None:
    for endpoint in ENDPOINTS:
        columns = loaded.types[endpoint.stream]
        for key in id_columns(endpoint):
            assert columns[key] == "text", (endpoint.stream, key)
        for name, kind in endpoint.fields.items():
            assert columns[name] == COLUMN[kind], (endpoint.stream, name)
        assert columns["extra"] == "jsonb", endpoint.stream


def test_undeclared_and_mistyped_values_land_in_extra_as_sent(loaded: Loaded) -> None:
    sent = loaded.sent_users
    second = loaded.users[sent[1]["id"]]
    assert second["extra"] == {
        "brand_new_text": sent[1]["brand_new_text"],  # an undeclared string
        "brand_new_object": {"nested": {"list": [1, "two", None]}},  # an undeclared object
        "brand_new_number": 3.25,  # an undeclared number
        "developer_persona": 42,  # a documented string sent as a number
        "api_key_last_used_at": "last tuesday",  # a timestamp sent as text, not RFC 3339
        "is_scim_managed": "false",  # a boolean sent as a string
        "extra": {"sent": "by the API under the name extra"},
    }
    assert second["developer_persona"] is None
    assert second["api_key_last_used_at"] is None
    assert second["is_scim_managed"] is None
    # Fitting values keep their columns, typed.
    assert second["email"] == sent[1]["email"]
    assert isinstance(second["is_default"], bool)
    third = loaded.users[sent[2]["id"]]
    assert third["created"].isoformat() == "2026-01-02T02:04:05"  # RFC 3339 text, in UTC
    assert third["technical_level"] is None
    assert third["extra"] == {"technical_level": {"unexpected": ["shape", 1]}}
    # A user without anything extra has `extra` as the jsonb null (see docs/sql.md).
    plain = [u for u in loaded.users.values() if u["extra"] is None]
    assert plain
    assert {"max_images_per_1_minute": "unlimited"} in loaded.rate_limit_extras
    assert {"scopes": ["api.model.read"]} in loaded.key_extras


def test_refused_lists_are_skipped_and_nothing_is_marked_deleted(loaded: Loaded) -> None:
    assert loaded.deleted_after == dict.fromkeys(INVENTORY, 0)
    for stream in SKIPPED:
        # Neither new rows nor a new version: the first run's snapshot stays as it was.
        assert loaded.versions_after[stream] == loaded.versions_before[stream], stream
        lines = [
            line
            for line in loaded.second_output.splitlines()
            if f"{stream}: skipped for this run" in line
        ]
        assert len(lines) == 1, stream
        assert f"'!{stream}.*'" in lines[0]


def test_every_other_table_is_complete_and_from_the_second_run(loaded: Loaded) -> None:
    for stream in INVENTORY:
        if stream in SKIPPED:
            continue
        assert loaded.counts_after[stream] == _listed(loaded.emulator, stream), stream
        # Every row re-sent by the second snapshot, which was activated.
        (version,) = loaded.versions_after[stream]
        assert version not in loaded.versions_before[stream], stream

"""docs/upgrading.md's step, proven: 0.1.x inventory tables (all `jsonb`) to 0.2.0's typed ones.

0.1.x-shaped tables are loaded as 0.1.x loaded them: its schema (ids as strings, every other
documented field any JSON, no `extra`), the API's objects as records, two snapshots with one
key revoked in between. A 0.2.0 run into them fails (target-postgres 0.8.1 cannot alter a
column's type); the rename step from the doc runs; the next 0.2.0 run succeeds, and the old
rows keep their deletion history under the new names.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tap_openai_audit.inventory.endpoints import ENDPOINTS
from tap_openai_audit.json_types import ANY_JSON_TYPES
from tests import docs
from tests.services import meltano

from .support import PROJECT_ROOT, meltano_environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

Connection = psycopg.Connection[tuple[Any, ...]]
INVENTORY = [endpoint.stream for endpoint in ENDPOINTS]
INVENTORY_EXTRACTOR = "tap-openai-audit-inventory"


def old_schema(stream: str) -> dict[str, Any]:
    """The record schema of a 0.1.x build: ids as strings, every other field any JSON."""
    endpoint = next(e for e in ENDPOINTS if e.stream == stream)
    keys = dict.fromkeys((*endpoint.parent.fields, *endpoint.primary_keys))
    properties: dict[str, Any] = {key: {"type": "string"} for key in keys}
    properties |= {
        name: {"type": list(ANY_JSON_TYPES)} for name in endpoint.fields if name not in keys
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(keys),
        "additionalProperties": True,
    }


def old_snapshot(emu: Emulator, version: int) -> list[dict[str, Any]]:
    """The Singer messages of one 0.1.x inventory snapshot of the emulator's organization."""
    messages: list[dict[str, Any]] = []
    for endpoint in ENDPOINTS:
        stream = endpoint.stream
        messages.append(
            {
                "type": "SCHEMA",
                "stream": stream,
                "schema": old_schema(stream),
                "key_properties": list(endpoint.primary_keys),
            }
        )
        for parents, items in emu.inventory.lists[stream].items():
            ids = dict(zip(endpoint.parent.fields, parents, strict=True))
            messages += [
                {"type": "RECORD", "stream": stream, "record": {**item, **ids}, "version": version}
                for item in items
            ]
        messages.append({"type": "ACTIVATE_VERSION", "stream": stream, "version": version})
    return messages


@dataclass
class Upgrade:
    """What each stage left in the database."""

    schema: str
    revoked: tuple[str, str]  # (project_id, id) of the key revoked under 0.1.x
    old_types: dict[str, str]
    old_rows: dict[str, int]
    failed_output: str
    new_types: dict[str, str]
    kept_types: dict[str, str]
    kept_rows: dict[str, int]
    kept_deleted: list[tuple[str, str]]
    new_rows: dict[str, int]
    emulator_rows: dict[str, int]


def column_types(postgres: Connection, schema: str, table: str) -> dict[str, str]:
    rows = postgres.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = %s and table_name = %s",
        [schema, table],
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def row_counts(postgres: Connection, schema: str, suffix: str = "") -> dict[str, int]:
    counts = {}
    for stream in INVENTORY:
        query = sql.SQL("select count(*) from {}.{}").format(
            sql.Identifier(schema), sql.Identifier(stream + suffix)
        )
        row = postgres.execute(query).fetchone()
        assert row is not None
        counts[stream] = int(row[0])
    return counts


def deleted_keys(postgres: Connection, schema: str, table: str) -> list[tuple[str, str]]:
    query = sql.SQL(
        "select project_id, id from {}.{} where _sdc_deleted_at is not null order by 1, 2"
    ).format(sql.Identifier(schema), sql.Identifier(table))
    return [(str(a), str(b)) for a, b in postgres.execute(query).fetchall()]


def listed_rows(emu: Emulator) -> dict[str, int]:
    """How many rows a run lands per stream: the members of archived projects are not asked."""
    archived = {p["id"] for p in emu.inventory.items("projects") or [] if p["status"] == "archived"}
    unread = {"project_users", "project_service_accounts", "project_user_roles"}
    return {
        stream: sum(
            len(items)
            for parents, items in emu.inventory.lists[stream].items()
            if not (stream in unread and parents[0] in archived)
        )
        for stream in INVENTORY
    }


def upgrade_sql(schema: str) -> str:
    (block,) = docs.sql_blocks(docs.section("upgrading.md", UPGRADE_SECTION))
    assert block.count("rename to") == len(INVENTORY)
    return block.replace("openai_audit.", f"{schema}.")


UPGRADE_SECTION = "Inventory tables: rename the 19 tables before the first 0.2.0 run"


@pytest.fixture(scope="module")
def upgrade(
    meltano_bin: Path,
    meltano_sys_dir: Path,
    postgres: Connection,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Upgrade]:
    schema = f"upgrade_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(meltano_sys_dir, tmp_path_factory.mktemp("meltano"), schema)
    with Emulator() as emu:
        env |= {
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
        }
        try:
            # 0.1.x: two snapshots, a key revoked between them (so it is marked deleted).
            project = (emu.inventory.items("projects") or [])[0]["id"]
            revoked = (emu.inventory.items("project_api_keys", (project,)) or [])[0]["id"]
            first = old_snapshot(emu, version=1)
            emu.delete_object("project_api_keys", revoked, project)
            second = old_snapshot(emu, version=2)
            lines = "".join(json.dumps(message) + "\n" for message in first + second)
            meltano(meltano_bin, env, "install", "loader", "target-postgres")
            loaded = subprocess.run(
                [str(meltano_bin), "invoke", "target-postgres"],
                cwd=PROJECT_ROOT,
                env=env,
                input=lines,
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
            assert loaded.returncode == 0, (loaded.stdout + loaded.stderr)[-3000:]
            old_types = column_types(postgres, schema, "users")
            old_rows = row_counts(postgres, schema)
            # The first 0.2.0 run, without the step.
            failed = subprocess.run(
                [str(meltano_bin), "run", "--install", INVENTORY_EXTRACTOR, "target-postgres"],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
            assert failed.returncode != 0, "a 0.2.0 run into 0.1.x tables must fail"
            # The documented step, then the 0.2.0 run again.
            postgres.execute(upgrade_sql(schema).encode())
            meltano(meltano_bin, env, "run", INVENTORY_EXTRACTOR, "target-postgres")
            yield Upgrade(
                schema=schema,
                revoked=(project, revoked),
                old_types=old_types,
                old_rows=old_rows,
                failed_output=failed.stdout + failed.stderr,
                new_types=column_types(postgres, schema, "users"),
                kept_types=column_types(postgres, schema, "users_v01"),
                kept_rows=row_counts(postgres, schema, "_v01"),
                kept_deleted=deleted_keys(postgres, schema, "project_api_keys_v01"),
                new_rows=row_counts(postgres, schema),
                emulator_rows=listed_rows(emu),
            )
        finally:
            postgres.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )


def test_the_01_tables_hold_jsonb_columns_and_a_deletion(upgrade: Upgrade) -> None:
    assert upgrade.old_types["id"] == "text"
    for column in ("email", "role", "added_at", "is_default"):
        assert upgrade.old_types[column] == "jsonb", column
    assert "extra" not in upgrade.old_types
    assert upgrade.kept_deleted == [upgrade.revoked]


def test_a_02_run_into_them_fails_on_the_column_types(upgrade: Upgrade) -> None:
    # As docs/upgrading.md quotes it (there for the default schema).
    assert (
        "NotImplementedError: Altering columns is not supported. Could not convert column "
        f"'{upgrade.schema}.users.object' from 'JSONB' to 'TEXT'."
    ) in upgrade.failed_output
    # ...and it left the old tables as they were.
    assert upgrade.kept_types == upgrade.old_types


def test_after_the_rename_the_02_run_loads_typed_tables(upgrade: Upgrade) -> None:
    types = upgrade.new_types
    assert types["email"] == "text"
    assert types["added_at"] == "timestamp without time zone"
    assert types["is_default"] == "boolean"
    assert types["user"] == "jsonb"
    assert types["extra"] == "jsonb"
    # Every live object of the organization, the revoked key no longer among them.
    assert upgrade.new_rows == upgrade.emulator_rows


def test_the_renamed_tables_keep_every_old_row_and_its_deletion_history(
    upgrade: Upgrade,
) -> None:
    assert upgrade.kept_rows == upgrade.old_rows
    assert upgrade.kept_deleted == [upgrade.revoked]

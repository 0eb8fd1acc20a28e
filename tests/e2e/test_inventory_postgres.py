"""Deletions reach the warehouse, and the README's access-review queries answer right.

Three `meltano run`s into PostgreSQL: a first full load (audit log and inventory); a run of
the inventory extractor that fails part-way through `project_users`, after a key and a
membership were deleted in the emulator; a run that completes. Only the completed snapshots
may mark rows deleted (`_sdc_deleted_at`).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator, Fault
from tests import docs
from tests.services import meltano

from .support import PROJECT_ROOT, meltano_environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

Connection = psycopg.Connection[tuple[Any, ...]]
Rows = list[tuple[Any, ...]]


@dataclass
class Loaded:
    """What the three runs left, and what was deleted between them."""

    emulator: Emulator
    schema: str
    deleted_key: tuple[str, str]  # (project_id, id)
    removed_member: tuple[str, str]  # (project_id, user id)
    after_failure: dict[str, Rows]
    after_success: dict[str, Rows]
    failed_output: str


def _deleted(postgres: Connection, schema: str) -> dict[str, Rows]:
    """Per table, the keys of the rows marked deleted."""
    tables = {"project_api_keys": "project_id, id", "project_users": "project_id, id"}
    return {
        table: postgres.execute(
            sql.SQL("select {} from {}.{} where _sdc_deleted_at is not null order by 1, 2").format(
                sql.SQL(columns), sql.Identifier(schema), sql.Identifier(table)
            )
        ).fetchall()
        for table, columns in tables.items()
    }


@pytest.fixture(scope="module")
def loaded(
    meltano_bin: Path,
    meltano_sys_dir: Path,
    postgres: Connection,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Loaded]:
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(meltano_sys_dir, tmp_path_factory.mktemp("meltano"), schema)
    with Emulator() as emu:
        env |= {
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
        }
        try:
            meltano(meltano_bin, env, "run", "--install", "tap-openai-audit", "target-postgres")
            default_project = (emu.inventory.items("projects") or [])[0]["id"]
            # A key of the default project is revoked, and the owner of another one leaves it.
            keys = emu.inventory.items("project_api_keys", (default_project,)) or []
            user_keys = [k for k in keys if k["owner"]["type"] == "user"]
            deleted_key, kept_key = user_keys[0]["id"], user_keys[1]
            leaver = kept_key["owner"]["user"]["id"]
            emu.delete_object("project_api_keys", deleted_key, default_project)
            emu.delete_object("project_users", leaver, default_project)
            # One request at a time: users, invites, projects and the default project's users
            # are read, then the next project's users fail (a 400 is not retried).
            emu.inject(*[Fault.slow(0)] * 4, Fault.status(400, message="Injected refusal."))
            failed = subprocess.run(
                [str(meltano_bin), "run", "tap-openai-audit-inventory", "target-postgres"],
                cwd=PROJECT_ROOT,
                env={**env, "TAP_OPENAI_AUDIT_MAX_CONCURRENCY": "1"},
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
            assert failed.returncode != 0, "the injected refusal must fail the run"
            after_failure = _deleted(postgres, schema)
            meltano(meltano_bin, env, "run", "tap-openai-audit-inventory", "target-postgres")
            yield Loaded(
                emulator=emu,
                schema=schema,
                deleted_key=(default_project, deleted_key),
                removed_member=(default_project, leaver),
                after_failure=after_failure,
                after_success=_deleted(postgres, schema),
                failed_output=failed.stdout + failed.stderr,
            )
        finally:
            postgres.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )


def test_a_snapshot_that_failed_part_way_marks_nothing_deleted(loaded: Loaded) -> None:
    assert "Injected refusal." in loaded.failed_output
    assert loaded.after_failure == {"project_api_keys": [], "project_users": []}


def test_the_next_complete_snapshot_marks_exactly_what_was_deleted(loaded: Loaded) -> None:
    assert loaded.after_success == {
        "project_api_keys": [loaded.deleted_key],
        "project_users": [loaded.removed_member],
    }


def _queries() -> dict[str, str]:
    blocks = docs.sql_blocks(docs.section("sql.md", "Access review"))
    named = {}
    for block in blocks:
        title = re.match(r"-- access review: (.+)\n", block)
        assert title, "each access-review query starts with `-- access review: <question>`"
        named[title.group(1)] = block
    return named


@pytest.fixture(scope="module")
def review(loaded: Loaded, postgres: Connection) -> dict[str, list[dict[str, Any]]]:
    """Each README query's rows, as dicts, on the loaded schema."""
    results = {}
    for title, query in _queries().items():
        cursor = postgres.execute(query.replace("openai_audit.", f"{loaded.schema}.").encode())
        columns = [column.name for column in cursor.description or []]
        results[title] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return results


def _live_keys(emu: Emulator) -> list[dict[str, Any]]:
    return [
        {**key, "project_id": project}
        for (project,), keys in emu.inventory.lists["project_api_keys"].items()
        for key in keys
    ]


def test_the_readme_asks_five_questions(review: dict[str, list[dict[str, Any]]]) -> None:
    assert len(review) == 5


def test_keys_whose_owner_left_the_project(
    loaded: Loaded, review: dict[str, list[dict[str, Any]]]
) -> None:
    rows = review["live keys whose owner no longer has access to the key's project"]
    found = {(row["project_id"], row["key_id"]) for row in rows}
    flagged = {
        (k["project_id"], k["id"])
        for k in _live_keys(loaded.emulator)
        if k["owner_project_access"] == "inactive"
    }
    project, leaver = loaded.removed_member
    left = {
        (k["project_id"], k["id"])
        for k in _live_keys(loaded.emulator)
        if k["project_id"] == project and k["owner"].get("user", {}).get("id") == leaver
    }
    assert flagged
    assert left, "the member who left owns a key the API still calls active"
    assert found == flagged | left


def test_admin_keys_unused_for_ninety_days(review: dict[str, list[dict[str, Any]]]) -> None:
    rows = review["admin keys never used, or unused for 90 days"]
    assert [row["key_name"] for row in rows] == ["never used", "old migration"]


def test_owners_directly_or_through_a_group(
    loaded: Loaded, review: dict[str, list[dict[str, Any]]]
) -> None:
    rows = review["who holds the owner role, directly or through a group"]
    inventory = loaded.emulator.inventory
    direct = {u["id"] for u in inventory.items("users") or [] if u["role"] == "owner"}
    owner_groups = {
        group
        for (group,), roles in inventory.lists["group_roles"].items()
        if any(role["name"] == "owner" for role in roles)
    }
    through_groups = {
        member["id"]
        for group in owner_groups
        for member in inventory.items("group_users", (group,)) or []
    }
    assert direct
    assert through_groups
    assert {row["user_id"] for row in rows if row["how"] != "group role"} == direct
    assert {row["user_id"] for row in rows if row["how"] == "group role"} == through_groups


def test_created_events_behind_each_live_key(
    loaded: Loaded, review: dict[str, list[dict[str, Any]]]
) -> None:
    rows = review["the api_key.created events behind each key that exists now"]
    emu = loaded.emulator
    live = {k["id"] for k in _live_keys(emu)} | {
        k["id"] for k in emu.inventory.items("admin_api_keys") or []
    }
    assert {row["key_id"] for row in rows} == live
    created = {
        e["api_key.created"]["id"]: e["id"]
        for e in emu.ground_truth()
        if e["type"] == "api_key.created"
    }
    joined = {row["key_id"]: row["event_id"] for row in rows if row["event_id"] is not None}
    assert joined, "some live keys were created inside the loaded history"
    assert joined == {key: event for key, event in created.items() if key in live}
    assert len(rows) == len(live)  # one creation per key


def test_projects_with_their_service_accounts_and_keys(
    loaded: Loaded, review: dict[str, list[dict[str, Any]]]
) -> None:
    rows = review["projects with their service accounts and keys"]
    emu = loaded.emulator
    projects = emu.inventory.items("projects") or []
    assert sorted(row["project_id"] for row in rows) == sorted(p["id"] for p in projects)
    keys = _live_keys(emu)
    for row in rows:
        assert row["live_keys"] == sum(k["project_id"] == row["project_id"] for k in keys)
    archived = next(row for row in rows if row["status"] == "archived")
    assert archived["service_accounts"] is None  # not listed for an archived project

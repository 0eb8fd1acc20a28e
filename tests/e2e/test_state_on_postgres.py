"""Bookmarks that outlive the machine: Meltano's system database on PostgreSQL.

A scheduled run often starts in a fresh container, where `.meltano/` (and the SQLite file in it
that holds the state by default) is gone. The README's advice is `MELTANO_DATABASE_URI` on
PostgreSQL. Here one fresh copy of the project runs the pipeline; a second fresh copy, with
its own empty `.meltano/`, runs it again and must continue from the first one's bookmark:
its audit-log requests start at that bookmark minus the lookback, never earlier.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator, generate_events
from tap_openai_audit.settings import CONFIG_SCHEMA
from tap_openai_audit.timeutil import parse_rfc3339, to_unix_ceiling
from tests.services import active_database, meltano

from .support import PROJECT_ROOT, meltano_environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.services import Connection

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

PIPELINE = ("tap-openai-audit", "target-postgres")
STATE_ID = "dev:tap-openai-audit-to-target-postgres"
LOOKBACK = int(CONFIG_SCHEMA["properties"]["lookback_window"]["default"])
# What a checkout holds that Meltano needs: the project file and the tap it installs (`-e .`).
CHECKOUT_IGNORES = shutil.ignore_patterns(
    ".git", ".venv*", ".meltano", ".pg", "output", ".bench", "__pycache__", "*.egg-info", ".*_cache"
)


def fresh_checkout(parent: Path, name: str) -> Path:
    """A copy of the project as a clone would have it: no `.meltano/`, no virtualenvs."""
    checkout = parent / name
    shutil.copytree(PROJECT_ROOT, checkout, ignore=CHECKOUT_IGNORES)
    assert not (checkout / ".meltano").exists()
    return checkout


def bookmarks(state: Any) -> list[str]:
    """Every `replication_key_value` in a state, whatever its shape (stream or partitions)."""
    if isinstance(state, dict):
        found = [str(v) for k, v in state.items() if k == "replication_key_value"]
        return found + [value for v in state.values() for value in bookmarks(v)]
    if isinstance(state, list):
        return [value for item in state for value in bookmarks(item)]
    return []


def audit_log_lower_bounds(emulator: Emulator, since: int) -> list[int]:
    """`effective_at[gte]` of every audit-log request served after the first `since`."""
    bounds = []
    for request in emulator.requests[since:]:
        if request.path.endswith("/organization/audit_logs"):
            params = dict(request.query)
            if "effective_at[gte]" in params:
                bounds.append(int(params["effective_at[gte]"]))
    return bounds


@pytest.fixture
def system_database(postgres: Connection) -> Iterator[str]:
    """A database of its own for Meltano's system tables; its URI."""
    name = f"meltano_{uuid.uuid4().hex[:12]}"
    database = active_database()
    assert database is not None  # the `postgres` fixture records it
    postgres.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield database.url(name, scheme="postgresql+psycopg")
    finally:
        postgres.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def test_a_second_fresh_checkout_continues_from_the_first_ones_bookmark(
    meltano_bin: Path,
    postgres: Connection,
    system_database: str,
    tmp_path: Path,
) -> None:
    schema = f"e2e_state_{uuid.uuid4().hex[:12]}"
    with Emulator() as emu:
        env = meltano_environment(tmp_path / "unused-sys", tmp_path, schema)
        del env["MELTANO_SYS_DIR_ROOT"]  # each checkout keeps its own, fresh `.meltano/`
        env |= {
            "MELTANO_DATABASE_URI": system_database,
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
        }
        try:
            first = fresh_checkout(tmp_path, "first")
            meltano(meltano_bin, env, "run", "--install", *PIPELINE, project=first)
            first_bounds = audit_log_lower_bounds(emu, 0)

            now = int(time.time())
            emu.add_events(generate_events(seed=61, count=25, start=now - 60, end=now))
            second = fresh_checkout(tmp_path, "second")
            output = meltano(meltano_bin, env, "state", "get", STATE_ID, project=second)
            stored = json.loads(output.splitlines()[0])  # stdout first, then Meltano's log
            bookmark = min(to_unix_ceiling(parse_rfc3339(v)) for v in bookmarks(stored))
            served_before = len(emu.requests)
            meltano(meltano_bin, env, "run", "--install", *PIPELINE, project=second)
            second_bounds = audit_log_lower_bounds(emu, served_before)

            ids = [
                row[0]
                for row in postgres.execute(
                    sql.SQL("select id from {}.audit_logs").format(sql.Identifier(schema))
                )
            ]
            methods = {request.method for request in emu.requests}
            organization = {e["id"] for e in emu.ground_truth()}
            tenant = {e["id"] for e in emu.ground_truth(tenant_only=True)}
        finally:
            postgres.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )
    # Neither checkout kept the state in a file of its own.
    assert not (second / ".meltano" / "meltano.db").exists()
    # The first run read the history; the second started at its bookmark minus the lookback.
    assert min(first_bounds) < bookmark - LOOKBACK
    assert second_bounds, "the second run sent no audit-log request"
    assert min(second_bounds) >= bookmark - LOOKBACK
    # The tap only reads: a read-only Admin key is enough (README, "Trust").
    assert methods == {"GET"}
    # Every event once; this extractor reads the organization scope (and the tenant scope
    # where it reads both).
    assert len(ids) == len(set(ids))
    assert organization <= set(ids) <= organization | tenant

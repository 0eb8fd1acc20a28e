"""The hostile organization through `meltano run`, into PostgreSQL and into DuckDB.

Both loaders keep their defaults, record validation included: every id lands, and the
replaced characters read back as U+FFFD, the rest of each string kept (see README, "What
lands in PostgreSQL"). PostgreSQL also gets the settings meltano.yml ships (COPY, no
validation), which must land the same rows.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator, hostile_events
from tap_openai_audit.inventory.endpoints import ENDPOINTS, Kind
from tests import docs
from tests.services import meltano
from tests.tap_runs import base_config, run_cli

from .support import PROJECT_ROOT, meltano_environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.meltano, pytest.mark.slow]

Connection = psycopg.Connection[tuple[Any, ...]]
R = "\ufffd"
WARNING = (
    "8 values in 3 events had U+0000 or lone surrogates replaced by U+FFFD: "
    "audit_log-hostile-09, audit_log-hostile-03, audit_log-hostile-02"
)
IDS = {event["id"] for event in hostile_events()}
# Read back, in each database, with the same JSON paths.
CHECKS = {
    "audit_log-hostile-02": (
        "actor",
        ["session", "user_agent"],
        f"Mozilla/5.0{R} (X11){R} evil/1.0",
    ),
    "audit_log-hostile-03": ("project", ["name"], f"Pro{R}ject{R} X"),
}


def _tap_environment(emulator: Emulator) -> dict[str, str]:
    return {
        "TAP_OPENAI_AUDIT_API_URL": emulator.url,
        "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
        "TAP_OPENAI_AUDIT_START_DATE": "2026-10-29T00:00:00Z",
        "TAP_OPENAI_AUDIT_END_DATE": "2026-11-01T00:00:00Z",
    }


def _readme_query(holding: str) -> str:
    """The README's SQL example that holds `holding`."""
    query: str
    (query,) = [q for q in docs.sql_blocks(docs.read("sql.md")) if holding in q]
    return query


@pytest.fixture(scope="module")
def hostile_emulator() -> Iterator[Emulator]:
    with Emulator(events=hostile_events()) as emulator:
        yield emulator


# target-postgres 0.8.1's own defaults for what meltano.yml sets, and meltano.yml's own.
LOADER_DEFAULTS = {"TARGET_POSTGRES_USE_COPY": "false", "TARGET_POSTGRES_VALIDATE_RECORDS": "true"}


@pytest.mark.postgres
@pytest.mark.parametrize("loader", [LOADER_DEFAULTS, {}], ids=["loader-defaults", "shipped"])
def test_every_hostile_event_lands_in_postgres_as_the_readme_says(  # noqa: PLR0913, PLR0917 - fixtures
    meltano_bin: Path,
    meltano_sys_dir: Path,
    postgres: Connection,
    hostile_emulator: Emulator,
    tmp_path: Path,
    loader: dict[str, str],
) -> None:
    schema = f"e2e_hostile_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(meltano_sys_dir, tmp_path, schema) | _tap_environment(
        hostile_emulator
    )
    env |= loader
    try:
        output = meltano(
            meltano_bin, env, "run", "--install", "tap-openai-audit", "target-postgres"
        )
        table = sql.Identifier(schema, "audit_logs")
        rows = postgres.execute(
            sql.SQL(
                "select id, actor, project, payload, extra, jsonb_typeof(payload) from {}"
            ).format(table)
        ).fetchall()
        by_id = {row[0]: row[1:] for row in rows}
        assert set(by_id) == IDS
        for event_id, (column, path, expected) in CHECKS.items():
            value = postgres.execute(
                sql.SQL("select {} #>> %s from {} where id = %s").format(
                    sql.Identifier(column), table
                ),
                [path, event_id],
            ).fetchone()
            assert value == (expected,)
        named = by_id["audit_log-hostile-03"][2]
        assert named["data"] == {f"na{R}me": f"{R}title", f"ti{R}tle": "ok", "scopes": "all"}
        providers = postgres.execute(
            sql.SQL(
                "select jsonb_typeof(payload #> '{{data,provider}}') from {} where id in "
                "('audit_log-hostile-00', 'audit_log-hostile-01') order by id"
            ).format(table)
        ).fetchall()
        assert providers == [("string",), ("object",)]
        assert by_id["audit_log-hostile-02"][0]["session"]["ip_address_details"]["asn"] == 13335
        assert by_id["audit_log-hostile-09"][3][f"unknown{R}"] == "key with a surrogate"
        assert by_id["audit_log-hostile-09"][3]["severity"] == 3
        assert by_id["audit_log-hostile-09"][3]["request"]["path"] == f"/v1/{R}"
        # target-postgres 0.8.1 stores a JSON null in these columns, not SQL NULL.
        assert by_id["audit_log-hostile-04"][4] == "null"
        assert len(json.dumps(by_id["audit_log-hostile-08"][2])) > 2_000_000
        assert WARNING in output
        postgres.execute(sql.SQL("set search_path to {}").format(sql.Identifier(schema)))
        found = postgres.execute(
            _readme_query("chr(65533)").replace("openai_audit.", "")
        ).fetchall()
        postgres.execute("reset search_path")
        assert found == [("audit_log-hostile-02", CHECKS["audit_log-hostile-02"][2])]
    finally:
        postgres.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))


_DUCKDB_READ = """
import json, sys
import duckdb
with duckdb.connect(sys.argv[1], read_only=True) as con:
    rows = con.execute(
        "select id, actor::varchar, project::varchar, payload::varchar, extra::varchar "
        "from hostile.audit_logs"
    ).fetchall()
inventory = {}
with duckdb.connect(sys.argv[1], read_only=True) as con:
    for (table,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'hostile'"
    ).fetchall():
        columns = dict(con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'hostile' and table_name = ?", [table]
        ).fetchall())
        count = con.execute(f'select count(*) from hostile."{table}"').fetchone()[0]
        inventory[table] = {"columns": columns, "rows": count}
    users = con.execute(
        "select id, created::varchar, is_scim_managed, extra::varchar from hostile.users"
    ).fetchall()
print(json.dumps({"events": rows, "tables": inventory, "users": users}))
"""
BIG = "audit_log-hostile-08"
# What target-duckdb 0.8.0 makes of each type the inventory declares.
DUCKDB_COLUMN = {
    Kind.STRING: "VARCHAR",
    Kind.INTEGER: "HUGEINT",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.UNIXTIME: "TIMESTAMP",
    Kind.JSON: "JSON",
}


@pytest.fixture(scope="module")
def duckdb_installed(
    meltano_bin: Path, meltano_sys_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """target-duckdb as meltano.yml pins it, installed into the session's `.meltano`."""
    env = meltano_environment(meltano_sys_dir, tmp_path_factory.mktemp("install"), "unused")
    meltano(meltano_bin, env, "install", "--plugin-type", "loader", "target-duckdb")
    return meltano_sys_dir / "loaders" / "target-duckdb" / "venv" / "bin"


def test_every_hostile_event_but_the_2_mb_one_lands_in_duckdb(
    meltano_bin: Path, meltano_sys_dir: Path, duckdb_installed: Path, tmp_path: Path
) -> None:
    # target-duckdb 0.8.0 loads through a CSV file, and DuckDB 1.2.2 cannot read a CSV line of
    # about 2,000,000 bytes or more: the 2.2 MB event is left out here, and the next test
    # shows that limit (README, "The embedded loader: DuckDB").
    events = [event for event in hostile_events() if event["id"] != BIG]
    database = tmp_path / "loaded.duckdb"
    # Every stream, the inventory's 19 with undeclared and mistyped fields included.
    with Emulator(events=events, hostile_inventory=True) as emulator:
        env = meltano_environment(meltano_sys_dir, tmp_path, "unused") | _tap_environment(emulator)
        env |= {
            "TARGET_DUCKDB_PATH": str(database),
            "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "hostile",
        }
        output = meltano(meltano_bin, env, "run", "--install", "tap-openai-audit", "target-duckdb")
    # The run's one warning also counts the hostile inventory's user name (4 records name it).
    (warning,) = re.findall(r"\d+ values in \d+ events had U\+0000 .*", output)
    assert warning.startswith("12 values in 7 events had U+0000 or lone surrogates")
    assert all(event_id in warning for event_id in WARNING.rsplit(": ", 1)[1].split(", "))
    done = subprocess.run(
        [str(duckdb_installed / "python"), "-c", _DUCKDB_READ, str(database)],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    loaded = json.loads(done.stdout)
    rows: dict[str, list[Any]] = {
        row[0]: [None if value is None else json.loads(value) for value in row[1:]]
        for row in loaded["events"]
    }
    assert set(rows) == IDS - {BIG}
    for event_id, (column, path, expected) in CHECKS.items():
        value: Any = rows[event_id][["actor", "project"].index(column)]
        for key in path:
            value = value[key]
        assert value == expected
    assert rows["audit_log-hostile-03"][2]["data"][f"na{R}me"] == f"{R}title"
    assert rows["audit_log-hostile-09"][2] == [1, {"how": "hard"}]
    assert rows["audit_log-hostile-09"][3]["request"]["path"] == f"/v1/{R}"
    assert rows["audit_log-hostile-02"][0]["session"]["ip_address_details"]["asn"] == 13335
    _check_duckdb_inventory(emulator, loaded)


def _check_duckdb_inventory(emulator: Emulator, loaded: dict[str, Any]) -> None:
    """Every inventory table, typed, with every row; what did not fit is in `extra`."""
    tables = loaded["tables"]
    archived = {
        p["id"] for p in emulator.inventory.items("projects") or [] if p["status"] == "archived"
    }
    unread = {"project_users", "project_service_accounts", "project_user_roles"}
    for endpoint in ENDPOINTS:
        table = tables[endpoint.stream]
        expected = sum(
            len(items)
            for parents, items in emulator.inventory.lists[endpoint.stream].items()
            if not (endpoint.stream in unread and parents[0] in archived)
        )
        assert table["rows"] == expected, endpoint.stream
        for name, kind in endpoint.fields.items():
            assert table["columns"][name] == DUCKDB_COLUMN[kind], (endpoint.stream, name)
        assert table["columns"]["extra"] == "JSON"
    sent = emulator.inventory.items("users") or []
    users = {user_id: (created, scim, extra) for user_id, created, scim, extra in loaded["users"]}
    _, scim, extra = users[sent[1]["id"]]
    assert scim is None
    assert json.loads(extra)["is_scim_managed"] == "false"
    assert json.loads(extra)["brand_new_object"] == {"nested": {"list": [1, "two", None]}}
    assert users[sent[2]["id"]][0] == "2026-01-02 02:04:05"


def test_target_duckdb_cannot_load_an_event_of_2_mb(duckdb_installed: Path, tmp_path: Path) -> None:
    """What the README says of the embedded loader; fails once a loader version lifts it."""
    target = duckdb_installed / "target-duckdb"
    big = [event for event in hostile_events() if event["id"] == BIG]
    with Emulator(events=big) as emulator:
        config = {**base_config(emulator.url), "start_date": "2026-10-29T00:00:00Z"}
        run = run_cli(tmp_path, {**config, "end_date": "2026-11-01T00:00:00Z"})
    assert run.returncode == 0
    assert run.ids == [BIG]
    (tmp_path / "duckdb.json").write_text(
        json.dumps({"path": str(tmp_path / "big.duckdb"), "default_target_schema": "big"})
    )
    done = subprocess.run(
        [str(target), "--config", str(tmp_path / "duckdb.json")],
        input=run.stdout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "Error when sniffing file" in done.stderr

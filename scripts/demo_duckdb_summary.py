"""Summarise the demo's DuckDB table as one JSON object on stdout.

Runs under target-duckdb's own Python (the plugin venv Meltano built), which has the `duckdb`
module; the project's venv does not need it. Prints counts, types and days only: no e-mail,
IP address or key ever leaves the database through this script.

Usage: <target-duckdb venv>/bin/python scripts/demo_duckdb_summary.py <path.duckdb> <schema>
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import duckdb  # type: ignore[import-not-found]  # lives in target-duckdb's venv only

TOP_TYPES = 10
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def summary(path: str, schema: str) -> dict[str, object]:
    """Return row counts, the top event types, events per UTC day and the column types."""
    # Identifiers cannot be bound as parameters; the schema is checked to be a plain name.
    if not _IDENTIFIER.fullmatch(schema):
        msg = f"not a plain schema name: {schema!r}"
        raise ValueError(msg)
    table = f'"{schema}"."audit_logs"'
    with duckdb.connect(path, read_only=True) as con:
        counts = con.execute(
            f"select count(*), count(distinct id) from {table}"  # noqa: S608 - checked above
        ).fetchone()
        by_type = con.execute(
            f"select type, count(*) from {table} "  # noqa: S608 - checked above
            f"group by type order by 2 desc, 1 limit {TOP_TYPES}"
        ).fetchall()
        # target-duckdb stores date-time fields as TIMESTAMP holding the UTC wall time.
        by_day = con.execute(
            "select strftime(effective_at, '%Y-%m-%d') as day, count(*) "  # noqa: S608 - checked
            f"from {table} group by day order by day"
        ).fetchall()
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = 'audit_logs' order by ordinal_position",
            [schema],
        ).fetchall()
        ledger = _ledger(con, f'"{schema}"."audit_log_reads"')
    return {
        "rows": counts[0],
        "distinct_ids": counts[1],
        "by_type": [[name, count] for name, count in by_type],
        "by_day": [[day, count] for day, count in by_day],
        "columns": dict(columns),
        **ledger,
    }


def _ledger(con: Any, table: str) -> dict[str, object]:  # noqa: ANN401 - duckdb is untyped here
    """Coverage per scope, its gaps, and the windows that grew when read again."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'audit_log_reads'"
    ).fetchone()[0]
    if not exists:
        return {"coverage": [], "gaps": [], "grown": []}
    coverage = con.execute(
        "select scope, strftime(min(window_start), '%Y-%m-%dT%H:%M:%SZ'), "  # noqa: S608
        "strftime(max(window_end), '%Y-%m-%dT%H:%M:%SZ'), count(*), count(distinct run_id) "
        f"from {table} where not filtered group by scope order by scope"
    ).fetchall()
    gaps = con.execute(
        "with reads as (select scope, window_start, max(window_end) over ("  # noqa: S608
        "partition by scope order by window_start, window_end "
        "rows between unbounded preceding and 1 preceding) as read_before "
        f"from {table} where not filtered) "
        "select scope, strftime(read_before, '%Y-%m-%dT%H:%M:%SZ'), "
        "strftime(window_start, '%Y-%m-%dT%H:%M:%SZ') from reads "
        "where read_before is not null and window_start > read_before order by 1, 2"
    ).fetchall()
    grown = con.execute(
        "with reads as (select scope, window_start, window_end, read_at, events, "  # noqa: S608
        "lag(events) over (partition by scope, window_start, window_end order by read_at) "
        f"as events_before from {table} where not filtered) "
        "select scope, strftime(window_start, '%Y-%m-%dT%H:%M:%SZ'), "
        "strftime(window_end, '%Y-%m-%dT%H:%M:%SZ'), events_before, events "
        "from reads where events > events_before order by 2, 1"
    ).fetchall()
    return {
        "coverage": [list(row) for row in coverage],
        "gaps": [list(row) for row in gaps],
        "grown": [list(row) for row in grown],
    }


if __name__ == "__main__":
    json.dump(summary(sys.argv[1], sys.argv[2]), sys.stdout)

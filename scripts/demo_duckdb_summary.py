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
    return {
        "rows": counts[0],
        "distinct_ids": counts[1],
        "by_type": [[name, count] for name, count in by_type],
        "by_day": [[day, count] for day, count in by_day],
        "columns": dict(columns),
    }


if __name__ == "__main__":
    json.dump(summary(sys.argv[1], sys.argv[2]), sys.stdout)

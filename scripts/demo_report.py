"""What `make demo` reads back from PostgreSQL: the tap's tables and the dbt models built on them.

Counts, types, check ids, severities and the models' own summaries only: no e-mail, IP address
or key is printed from the raw tables. A dbt model missing from the database (the package in
`transform/` does not have it yet) is reported as such, not as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    import psycopg

    Connection = psycopg.Connection[tuple[Any, ...]]

TOP_TYPES = 10
# to_char's format for RFC 3339 in UTC (the demo's session time zone is UTC).
_TIME = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'


@dataclass(frozen=True)
class AuditTable:
    """The audit log as loaded: rows, distinct ids and the most frequent types."""

    rows: int
    distinct_ids: int
    by_type: list[tuple[str, int]]


@dataclass(frozen=True)
class Ledger:
    """From `audit_log_reads`: the scopes it covers and the windows that grew when re-read."""

    scopes: list[str]
    # (scope, window start, window end, events before, events after)
    grown: list[tuple[str, str, str, int, int]]


@dataclass(frozen=True)
class Kind:
    """One kind of finding or alert: its severity, name, how many, and one example's text."""

    severity: str
    name: str
    count: int
    example: str


def exists(connection: Connection, schema: str, table: str) -> bool:
    """Whether `schema.table` is a table or view."""
    name = sql.Identifier(schema, table).as_string(connection)
    row = connection.execute("select to_regclass(%s) is not null", (name,)).fetchone()
    return bool(row and row[0])


def audit_table(connection: Connection, schema: str) -> AuditTable:
    """Count the audit log's rows and ids, and its top event types."""
    table = sql.Identifier(schema, "audit_logs")
    counts = connection.execute(
        sql.SQL("select count(*), count(distinct id) from {}").format(table)
    ).fetchone()
    assert counts is not None  # noqa: S101 - an aggregate always returns a row
    by_type = connection.execute(
        sql.SQL("select type, count(*) from {} group by type order by 2 desc, 1 limit {}").format(
            table, sql.Literal(TOP_TYPES)
        )
    ).fetchall()
    return AuditTable(int(counts[0]), int(counts[1]), [(str(t), int(n)) for t, n in by_type])


def ledger(connection: Connection, schema: str) -> Ledger:
    """The ledger's scopes, and each window whose event count grew on a later read."""
    table = sql.Identifier(schema, "audit_log_reads")
    scopes = connection.execute(
        sql.SQL("select distinct scope from {} where not filtered order by 1").format(table)
    ).fetchall()
    grown = connection.execute(
        sql.SQL(
            "with reads as (select scope, window_start, window_end, events, "
            "lag(events) over (partition by scope, window_start, window_end order by read_at) "
            "as before from {} where not filtered) "
            "select scope, to_char(window_start, {}), to_char(window_end, {}), before, events "
            "from reads where events > before order by 2, 1"
        ).format(table, sql.Literal(_TIME), sql.Literal(_TIME))
    ).fetchall()
    return Ledger(
        [str(scope) for (scope,) in scopes],
        [(str(s), str(a), str(b), int(x), int(y)) for s, a, b, x, y in grown],
    )


def inventory(
    connection: Connection, schema: str, streams: list[str]
) -> dict[str, tuple[int, int]]:
    """Live and deleted rows (`_sdc_deleted_at`) per inventory table that exists."""
    counts = {}
    for stream in streams:
        if exists(connection, schema, stream):
            row = connection.execute(
                sql.SQL(
                    "select count(*) filter (where _sdc_deleted_at is null), "
                    "count(*) filter (where _sdc_deleted_at is not null) from {}"
                ).format(sql.Identifier(schema, stream))
            ).fetchone()
            assert row is not None  # noqa: S101 - an aggregate always returns a row
            counts[stream] = (int(row[0]), int(row[1]))
    return counts


def coverage(connection: Connection, schema: str) -> list[tuple[str, str, str, int, int, int]]:
    """`openai_audit__coverage`: (scope, from, to, windows, runs, gaps) per scope."""
    return [
        (str(s), str(a), str(b), int(w), int(r), int(g))
        for s, a, b, w, r, g in connection.execute(
            sql.SQL(
                "select scope, to_char(covered_from, {}), to_char(covered_to, {}), windows, "
                "runs, gaps from {} order by scope"
            ).format(
                sql.Literal(_TIME),
                sql.Literal(_TIME),
                sql.Identifier(schema, "openai_audit__coverage"),
            )
        )
    ]


def findings(connection: Connection, schema: str) -> list[Kind]:
    """`openai_audit__access_review` per check: severity, check_id, findings, one detail."""
    return _kinds(connection, schema, "openai_audit__access_review", "check_id", "detail")


def alerts(connection: Connection, schema: str) -> list[Kind]:
    """`openai_audit__alerts` per detection: severity, detection_id, alerts, latest summary."""
    return _kinds(connection, schema, "openai_audit__alerts", "detection_id", "summary")


@dataclass(frozen=True)
class Alert:
    """One alert as a person on call reads it first: severity, status, title and summary."""

    severity: str
    status: str
    title: str
    summary: str


def alert_rows(connection: Connection, schema: str) -> list[Alert]:
    """Every alert, most severe first, then the latest first."""
    query = sql.SQL(
        "select severity, status, title, summary from {model} "
        "order by {severity}, detected_at desc, alert_id"
    ).format(model=sql.Identifier(schema, "openai_audit__alerts"), severity=_SEVERITY_ORDER)
    return [Alert(str(a), str(b), str(c), str(d)) for a, b, c, d in connection.execute(query)]


def _kinds(connection: Connection, schema: str, model: str, kind: str, text: str) -> list[Kind]:
    order = "detected_at desc" if kind == "detection_id" else "subject_id"
    query = sql.SQL(
        "select severity, {kind}, count(*), (array_agg({text} order by {order}))[1] "
        "from {model} group by severity, {kind} order by {severity}, {kind}"
    ).format(
        kind=sql.Identifier(kind),
        text=sql.Identifier(text),
        order=sql.SQL(order),
        model=sql.Identifier(schema, model),
        severity=_SEVERITY_ORDER,
    )
    return [
        Kind(str(a), str(b), int(n), str(example)) for a, b, n, example in connection.execute(query)
    ]


# The five severities of the alerts and findings (docs/transform.md), most severe first.
_SEVERITY_ORDER = sql.SQL(
    "array_position(array['critical', 'high', 'medium', 'low', 'info'], severity::text)"
)

"""The SQL: the alerts read, the deliveries table, the lock.

`openai_audit_notify_deliveries` sits in the models schema beside the alerts, one row per alert
and destination key. Each send is recorded in its own transaction right after it: a crash can
lose at most the record of the one message in flight, which is then sent again (at least once).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from openai_audit_notify.errors import BadInput
from openai_audit_notify.settings import SEVERITIES

Connection = psycopg.Connection[Any]

ALERTS = "openai_audit__alerts"
FINDINGS = "openai_audit__ocsf_findings"
DELIVERIES = "openai_audit_notify_deliveries"
REQUIRED = ("alert_id", "detection_id", "severity", "status", "first_seen_at")
# Shown in a message when the alerts table has them (older builds lack a few).
SHOWN = (
    "title",
    "organization",
    "summary",
    "actor",
    "subject_type",
    "subject",
    "detected_at",
    "event_count",
    "mitre_attack",
    "next_steps",
)
DDL = """
create table if not exists {table} (
    alert_id text not null,
    destination text not null,
    state text not null check (state in ('sent', 'failed', 'skipped_backlog')),
    severity_sent text,
    attempts integer not null default 0,
    first_attempt_at timestamptz,
    sent_at timestamptz,
    last_error text,
    primary key (alert_id, destination)
)
"""
# Open, severe enough, and either never seen by this destination, or failed there, or sent
# there at a lower severity than it has now. Skipped as backlog: never again.
CANDIDATES = """
with candidates as (
    select a.alert_id, a.severity, a.detection_id, a.first_seen_at,
           d.alert_id is null as unseen, d.state, d.severity_sent
    from {alerts} as a
    left join {deliveries} as d
        on d.alert_id = a.alert_id and d.destination = %(destination)s
    where a.status = 'open' and a.severity = any(%(severities)s)
      and (d.alert_id is null
           or (d.state <> 'skipped_backlog'
               and (d.severity_sent is null
                    or array_position(%(ranks)s, a.severity)
                       > array_position(%(ranks)s, d.severity_sent))))
)
"""
# On a destination's first run, what was first seen more than backlog_hours ago.
BACKLOG = """
(%(first_run)s and c.unseen
 and coalesce(c.first_seen_at < now() - make_interval(secs => %(backlog_seconds)s), false))
"""


@dataclass(frozen=True)
class Pending:
    """What one destination has to receive this run."""

    alerts: list[dict[str, Any]]  # at most max_per_run, most severe first
    waiting: Counter[tuple[str, str]]  # past max_per_run: (detection_id, severity) -> count


class Store:
    """The alerts and deliveries of one models schema, on one connection."""

    def __init__(self, connection: Connection, schema: str) -> None:
        """Check that `schema` holds the alerts; BadInput naming it otherwise."""
        self.connection = connection
        self.schema = schema
        connection.execute("set time zone 'UTC'")  # the alerts' timestamps are UTC wall times
        columns = self._columns(ALERTS)
        if not columns:
            msg = (
                f"schema {schema!r} has no {ALERTS} table: set the notifier's schema to the dbt "
                "utility's models schema (OPENAI_AUDIT_NOTIFY_SCHEMA)"
            )
            raise BadInput(msg)
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            msg = f"{schema}.{ALERTS} lacks {', '.join(missing)}: rebuild it with this release"
            raise BadInput(msg)
        self.shown = [c for c in SHOWN if c in columns]
        self.has_findings = bool(self._columns(FINDINGS))
        self.has_deliveries = bool(self._columns(DELIVERIES))

    def try_lock(self) -> bool:
        """Take the schema's notifier lock for this session; False if another run holds it."""
        key = f"openai-audit-notify:{self.schema}"
        row = self.connection.execute(
            "select pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)
        ).fetchone()
        return bool(row and row[0])

    def create_deliveries(self) -> None:
        """Create the deliveries table when it is missing."""
        self.connection.execute(sql.SQL(DDL).format(table=self._table(DELIVERIES)))
        self.has_deliveries = True

    def is_first_run(self, destination: str) -> bool:
        """True while the destination has no row at all in the deliveries table."""
        if not self.has_deliveries:
            return True
        query = sql.SQL("select exists (select 1 from {} where destination = %s)").format(
            self._table(DELIVERIES)
        )
        row = self.connection.execute(query, (destination,)).fetchone()
        return not (row and row[0])

    def skip_backlog(self, params: dict[str, Any], *, record: bool) -> int:
        """Record the backlog as skipped_backlog (or only count it, when not recording)."""
        if record:
            query = self._query(
                "{candidates} insert into {deliveries} (alert_id, destination, state, attempts) "
                "select c.alert_id, %(destination)s, 'skipped_backlog', 0 "
                "from candidates as c where {backlog} on conflict do nothing"
            )
            return self.connection.execute(query, params).rowcount
        query = self._query("{candidates} select count(*) from candidates as c where {backlog}")
        row = self.connection.execute(query, params).fetchone()
        return int(row[0]) if row else 0

    def pending(self, params: dict[str, Any], limit: int) -> Pending:
        """The alerts to send now, and what waits past `limit`."""
        finding = sql.SQL("f.ocsf") if self.has_findings else sql.SQL("null::jsonb")
        join = (
            sql.SQL("left join {} as f on f.alert_id = c.alert_id").format(self._table(FINDINGS))
            if self.has_findings
            else sql.SQL("")
        )
        query = self._query(
            "{candidates} select c.alert_id, c.severity, c.detection_id, c.first_seen_at, "
            "c.unseen, c.severity_sent, {shown}{finding} as ocsf "
            "from candidates as c join {alerts} as a on a.alert_id = c.alert_id {join} "
            "where not {backlog} order by coalesce(c.state = 'failed', false), "
            "array_position(%(ranks)s, c.severity) desc, c.first_seen_at nulls last, c.alert_id "
            "limit %(limit)s",
            shown=sql.SQL("").join(sql.SQL("a.{}, ").format(sql.Identifier(c)) for c in self.shown),
            finding=finding,
            join=join,
        )
        with self.connection.cursor(row_factory=dict_row) as cursor:
            alerts = cursor.execute(query, {**params, "limit": limit + 1}).fetchall()
        waiting: Counter[tuple[str, str]] = Counter()
        if len(alerts) > limit:
            alerts = alerts[:limit]
            counts = self._query(
                "{candidates} select c.detection_id, c.severity, count(*) from candidates as c "
                "where not {backlog} group by 1, 2"
            )
            for detection, severity, count in self.connection.execute(counts, params):
                waiting[(detection, severity)] += count
            waiting.subtract(Counter((a["detection_id"], a["severity"]) for a in alerts))
            waiting = +waiting  # drops the zero counts
        return Pending(alerts=alerts, waiting=waiting)

    def record(self, alert_id: str, destination: str, *, severity: str, error: str | None) -> None:
        """Record one send: sent at `severity`, or failed with `error` (no secret in it)."""
        query = sql.SQL(
            """
            insert into {table} as d (alert_id, destination, state, severity_sent, attempts,
                                      first_attempt_at, sent_at, last_error)
            values (%(alert_id)s, %(destination)s, %(state)s, %(severity_sent)s, 1, now(),
                    case when %(sent)s then now() end, %(error)s)
            on conflict (alert_id, destination) do update set
                state = excluded.state,
                severity_sent = coalesce(excluded.severity_sent, d.severity_sent),
                attempts = d.attempts + 1,
                first_attempt_at = coalesce(d.first_attempt_at, excluded.first_attempt_at),
                sent_at = coalesce(excluded.sent_at, d.sent_at),
                last_error = excluded.last_error
            """
        ).format(table=self._table(DELIVERIES))
        self.connection.execute(
            query,
            {
                "alert_id": alert_id,
                "destination": destination,
                "state": "sent" if error is None else "failed",
                "severity_sent": severity if error is None else None,
                "sent": error is None,
                "error": error,
            },
        )

    def params(
        self, destination: str, severities: tuple[str, ...], backlog_hours: float
    ) -> dict[str, Any]:
        """The parameters every candidates query takes."""
        return {
            "destination": destination,
            "severities": list(severities),
            "ranks": list(SEVERITIES),
            "first_run": self.is_first_run(destination),
            "backlog_seconds": backlog_hours * 3600.0,
        }

    def _query(self, template: str, **parts: sql.Composable) -> sql.Composed:
        """`template` with the candidates CTE, the backlog condition and the tables filled in."""
        tables = {"alerts": self._table(ALERTS), "deliveries": self._deliveries()}
        return sql.SQL(template).format(
            candidates=sql.SQL(CANDIDATES).format(**tables),
            backlog=sql.SQL(BACKLOG),
            **tables,
            **parts,
        )

    def _deliveries(self) -> sql.Composable:
        if self.has_deliveries:
            return self._table(DELIVERIES)
        # A dry run before the first real one: no table yet, nothing delivered.
        return sql.SQL(
            "(select null::text as alert_id, null::text as destination, null::text as state, "
            "null::text as severity_sent where false)"
        )

    def _table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    def _columns(self, table: str) -> set[str]:
        rows = self.connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s",
            (self.schema, table),
        ).fetchall()
        return {row[0] for row in rows}

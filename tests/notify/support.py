"""Local receivers for Apprise's JSON and form webhooks, and a throwaway alerts schema.

A receiver is an http.server on 127.0.0.1 in a thread. Its URLs carry a user, a password, a
path and a query value that stand for a real destination's secrets: every test scans all it
printed, logged and stored for them.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from psycopg import sql
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.services import Connection

ALERT_COLUMNS = """
    alert_id text, organization text, detection_id text, title text, severity text,
    status text, suppression_reason text, subject_type text, subject text,
    detected_at timestamp, last_event_at timestamp, first_seen_at timestamp,
    updated_at timestamp, event_count bigint, event_ids text[], actor text,
    actor_user_id text, actor_email text, actor_api_key_id text,
    actor_service_account_id text, src_ips text[], countries text[], user_agents text[],
    project_ids text[], object_ids text[], mitre_attack text[], summary text, next_steps text
"""
SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}


@dataclass
class Message:
    """What one POST brought: Apprise's fields, and the path it came to."""

    path: str
    title: str
    message: str
    kind: str

    @property
    def finding(self) -> dict[str, Any]:
        """The OCSF finding a JSON webhook's message holds."""
        document: dict[str, Any] = json.loads(self.message)
        return document


@dataclass
class Receiver:
    """A webhook on 127.0.0.1: answers 200, or what `answer` says."""

    scheme: str = "json"  # json: Apprise's JSON envelope; form: the same fields, form-encoded
    status: int = 200
    hook: Callable[[Message], None] | None = None  # runs before the answer (to hang or crash)
    messages: list[Message] = field(default_factory=list)
    user: str = field(default_factory=lambda: f"hookuser{secrets.token_hex(4)}")
    password: str = field(default_factory=lambda: f"hookpass{secrets.token_hex(8)}")
    token: str = field(default_factory=lambda: f"T0KEN{secrets.token_hex(8)}")
    query: str = field(default_factory=lambda: f"Q{secrets.token_hex(8)}")

    def __post_init__(self) -> None:
        """Start serving."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.scheme == "json":
                    fields = json.loads(raw)
                else:
                    fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
                message = Message(
                    path=self.path,
                    title=fields.get("title", ""),
                    message=fields.get("message", ""),
                    kind=fields.get("type", ""),
                )
                if receiver.hook is not None:
                    receiver.hook(message)
                if receiver.status < 300:
                    receiver.messages.append(message)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            @override
            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The destination, with every kind of secret an Apprise URL may hold."""
        port = self.server.server_address[1]
        return (
            f"{self.scheme}://{self.user}:{self.password}@127.0.0.1:{port}"
            f"/hooks/{self.token}?-token={self.query}"
        )

    @property
    def secrets(self) -> list[str]:
        """The parts of the URL that must never be printed or stored."""
        return [self.url, self.user, self.password, self.token, self.query]

    @property
    def alert_ids(self) -> list[str]:
        """The alert of each message received, in order (from the finding or the text)."""
        return [alert_id_of(m, json_body=self.scheme == "json") for m in self.messages]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def alert_id_of(message: Message, *, json_body: bool) -> str:
    """The alert id a message carries."""
    if json_body:
        return str(message.finding["finding_info"]["uid"])
    (line,) = [line for line in message.message.splitlines() if line.startswith("alert_id: ")]
    return line.removeprefix("alert_id: ")


def closed_port_url() -> str:
    """A JSON webhook on a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"json://127.0.0.1:{port}/hooks/T0KENdown{secrets.token_hex(6)}"


class Warehouse:
    """A throwaway models schema holding the alerts and findings tables, v4 shape."""

    def __init__(self, connection: Connection) -> None:
        """Create the schema and its two tables."""
        self.connection = connection
        self.schema = f"notify_{uuid.uuid4().hex[:12]}"
        connection.execute(sql.SQL("create schema {}").format(sql.Identifier(self.schema)))
        connection.execute(
            sql.SQL("create table {} (" + ALERT_COLUMNS + ")").format(self._table("alerts"))
        )
        connection.execute(
            sql.SQL("create table {} (alert_id text, time bigint, ocsf jsonb)").format(
                self._table("findings")
            )
        )

    def _table(self, short: str) -> sql.Identifier:
        names = {
            "alerts": "openai_audit__alerts",
            "findings": "openai_audit__ocsf_findings",
            "deliveries": "openai_audit_notify_deliveries",
        }
        return sql.Identifier(self.schema, names[short])

    def add(
        self,
        severity: str = "high",
        *,
        status: str = "open",
        hours_ago: float = 0.1,
        detection_id: str = "admin_key_created",
    ) -> str:
        """One alert (and its finding), first seen `hours_ago`; its id."""
        alert_id = uuid.uuid4().hex
        self.connection.execute(
            sql.SQL(
                "insert into {} (alert_id, organization, detection_id, title, severity, status, "
                "subject_type, subject, detected_at, last_event_at, first_seen_at, updated_at, "
                "event_count, event_ids, actor, mitre_attack, summary, next_steps) values "
                "(%(id)s, 'org-demo', %(detection)s, 'Admin key created', %(severity)s, "
                "%(status)s, 'actor', 'user-1', "
                "(now() at time zone 'UTC') - make_interval(secs => (%(ago)s + 1) * 3600), "
                "(now() at time zone 'UTC') - make_interval(secs => (%(ago)s + 1) * 3600), "
                "(now() at time zone 'UTC') - make_interval(secs => %(ago)s * 3600), "
                "(now() at time zone 'UTC') - make_interval(secs => %(ago)s * 3600), "
                "2, array['ev-1', 'ev-2'], 'user-1', array['T1098'], "
                "'user-1 created an admin key.', 'Ask user-1 why.')"
            ).format(self._table("alerts")),
            {
                "id": alert_id,
                "detection": detection_id,
                "severity": severity,
                "status": status,
                "ago": hours_ago,
            },
        )
        finding = {
            "class_uid": 2004,
            "severity_id": SEVERITY_IDS[severity],
            "finding_info": {"uid": alert_id, "title": "Admin key created"},
        }
        self.connection.execute(
            sql.SQL("insert into {} values (%s, 0, %s::jsonb)").format(self._table("findings")),
            (alert_id, json.dumps(finding)),
        )
        return alert_id

    def set_severity(self, alert_id: str, severity: str) -> None:
        """Change an alert's severity, as a build after a tuning change would."""
        self.connection.execute(
            sql.SQL("update {} set severity = %s where alert_id = %s").format(
                self._table("alerts")
            ),
            (severity, alert_id),
        )

    def deliveries(self) -> list[dict[str, Any]]:
        """Every row of the deliveries table (empty when it does not exist)."""
        exists = self.connection.execute(
            "select to_regclass(%s)", (f"{self.schema}.openai_audit_notify_deliveries",)
        ).fetchone()
        if not exists or exists[0] is None:
            return []
        cursor = self.connection.execute(
            sql.SQL("select * from {} order by first_attempt_at, alert_id").format(
                self._table("deliveries")
            )
        )
        names = [c.name for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def has_deliveries_table(self) -> bool:
        """Whether a run created the deliveries table."""
        row = self.connection.execute(
            "select to_regclass(%s)", (f"{self.schema}.openai_audit_notify_deliveries",)
        ).fetchone()
        return bool(row and row[0] is not None)

    def drop(self) -> None:
        """Remove the schema and everything in it."""
        self.connection.execute(
            sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(self.schema))
        )

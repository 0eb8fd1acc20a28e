"""`make demo`'s stand-in for Slack: a JSON webhook on 127.0.0.1 that keeps what arrives.

The demo points openai-audit-notify (the last step of its pipeline) at it, then prints what
arrived and checks it against the alerts table: each open alert of medium severity or more,
once.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from demo_support import DemoError
from psycopg import sql
from typing_extensions import Self, override

if TYPE_CHECKING:
    from types import TracebackType

    from demo_report import Connection

SHOWN = 5  # messages printed in full (title and alert id)


class Webhook:
    """A local JSON webhook, served from a thread while the `with` block lasts."""

    def __init__(self) -> None:
        """Bind a free port on 127.0.0.1."""
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            @override
            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        """The Apprise URL of this webhook."""
        return self.url_for("demo-alerts")

    def url_for(self, path: str) -> str:
        """An Apprise URL of this webhook with its own `path`: a destination of its own."""
        return f"json://127.0.0.1:{self.server.server_address[1]}/{path}"

    def __enter__(self) -> Self:
        """Start serving."""
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def print_notified(webhook: Webhook, database: Connection, models: str) -> None:
    """What the webhook received, checked against the open alerts it should have."""
    findings = [json.loads(m["message"]) for m in webhook.received]
    ids = [f["finding_info"]["uid"] for f in findings]
    expected = {
        row[0]
        for row in database.execute(
            sql.SQL(
                "select alert_id from {} where status = 'open' "
                "and severity in ('medium', 'high', 'critical')"
            ).format(sql.Identifier(models, "openai_audit__alerts"))
        )
    }
    print(
        f"\nNotified   openai-audit-notify -> {webhook.url} (a local webhook this demo started): "
        f"{len(ids)} messages"
    )
    severities = Counter(
        m["title"].split("]")[0].strip("[").split(",")[0] for m in webhook.received
    )
    print("  by severity: " + ", ".join(f"{s.lower()} {n}" for s, n in severities.most_common()))
    for message, alert_id in list(zip(webhook.received, ids, strict=True))[:SHOWN]:
        print(f"  {message['title'][:70]:<70}  alert {alert_id[:12]}…")
    if len(ids) != len(set(ids)) or set(ids) != expected:
        msg = (
            f"the webhook got {len(ids)} messages for {len(set(ids))} alerts; "
            f"{len(expected)} open alerts of medium severity or more should each arrive once"
        )
        raise DemoError(msg)
    print(
        f"  = each open alert of medium severity or more, once (OCSF finding in the JSON "
        f"message); recorded in {models}.openai_audit_notify_deliveries"
    )

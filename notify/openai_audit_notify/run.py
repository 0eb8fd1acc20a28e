"""One `send` run: every destination served, failures reported, nothing sent twice.

Per destination, in order: on its first run, record the backlog as skipped_backlog; then send
the pending alerts (most severe first, those that failed before last), recording each right
after its send; past max_per_run, one digest. A destination that fails a send is left for the
next run at once (one timeout per run, not one per alert) and the others are still served.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg

from openai_audit_notify.connection import find_target, models_schema
from openai_audit_notify.destinations import SEND_TIMEOUT_SECONDS, Destination, load_destinations
from openai_audit_notify.errors import ConnectionFailed
from openai_audit_notify.messages import alert_message, digest_message
from openai_audit_notify.store import Store

if TYPE_CHECKING:
    from collections.abc import Mapping

    from openai_audit_notify.settings import Settings

log = logging.getLogger("openai_audit_notify")


@dataclass
class Outcome:
    """What one destination got this run."""

    destination: Destination
    sent: int = 0
    skipped_backlog: int = 0
    waiting: int = 0
    error: str | None = None
    failed_alert: str | None = None
    left: int = 0  # alerts not sent this run because the destination failed
    dry: list[str] = field(default_factory=list)


def send(
    settings: Settings, env: Mapping[str, str], *, timeout: float = SEND_TIMEOUT_SECONDS
) -> int:
    """Run once; return the exit status. BadInput and ConnectionFailed reach the caller.

    `timeout` bounds each send; only the tests shorten it.
    """
    if not settings.destinations:
        log.info("no destinations set (OPENAI_AUDIT_NOTIFY_DESTINATIONS): nothing to send")
        return 0
    destinations = load_destinations(settings.destinations)
    schema = settings.schema or models_schema(env)
    target = find_target(settings.database_url, env)
    try:
        connection = psycopg.connect(target.conninfo, autocommit=True)
    except psycopg.OperationalError as error:
        msg = f"cannot connect to PostgreSQL at {target.where}: {_first_line(error)}"
        raise ConnectionFailed(msg) from None
    with connection:
        store = Store(connection, schema)
        if not settings.dry_run:
            if not store.try_lock():
                log.info(
                    "another openai-audit-notify run holds the lock on schema %s: it sends what "
                    "is pending; this run sends nothing",
                    schema,
                )
                return 0
            store.create_deliveries()
        outcomes = [_serve(store, settings, destination, timeout) for destination in destinations]
    for outcome in outcomes:
        _report(outcome, dry_run=settings.dry_run)
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        log.error(
            "%s: not delivered (%s; alert %s); %d alert(s) wait for the next run",
            outcome.destination.label,
            outcome.error,
            outcome.failed_alert,
            outcome.left,
        )
    return 1 if failed else 0


def _serve(store: Store, settings: Settings, destination: Destination, timeout: float) -> Outcome:
    outcome = Outcome(destination)
    params = store.params(destination.key, settings.severities, settings.backlog_hours)
    if params["first_run"]:
        outcome.skipped_backlog = store.skip_backlog(params, record=not settings.dry_run)
    pending = store.pending(params, settings.max_per_run)
    outcome.waiting = sum(pending.waiting.values())
    for number, alert in enumerate(pending.alerts):
        raised_from = None if alert["unseen"] else alert["severity_sent"]
        message = alert_message(alert, as_json=destination.takes_json, raised_from=raised_from)
        if settings.dry_run:
            outcome.dry.append(f"{alert['alert_id']} {alert['severity']} {message.title}")
            continue
        error = destination.send(message.title, message.body, message.kind, timeout)
        store.record(alert["alert_id"], destination.key, severity=alert["severity"], error=error)
        if error is not None:
            outcome.error, outcome.failed_alert = error, alert["alert_id"]
            outcome.left = len(pending.alerts) - number + outcome.waiting
            return outcome
        outcome.sent += 1
    if pending.waiting:
        digest = digest_message(
            pending.waiting, settings.max_per_run, as_json=destination.takes_json
        )
        if settings.dry_run:
            outcome.dry.append(f"digest: {digest.title}")
        else:
            error = destination.send(digest.title, digest.body, digest.kind, timeout)
            if error is not None:
                outcome.error, outcome.failed_alert = error, "digest"
                outcome.left = outcome.waiting
    return outcome


def _report(outcome: Outcome, *, dry_run: bool) -> None:
    label = outcome.destination.label
    for line in outcome.dry:
        log.info("%s: would send %s", label, line)
    verb = "would send" if dry_run else "sent"
    log.info(
        "%s: %s %d, skipped_backlog %d, waiting past max_per_run %d%s",
        label,
        verb,
        len(outcome.dry) if dry_run else outcome.sent,
        outcome.skipped_backlog,
        outcome.waiting,
        " (dry run: nothing recorded)" if dry_run else "",
    )


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

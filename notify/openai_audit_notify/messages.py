"""What a destination receives: one message per alert, and a digest past max_per_run.

Chat and pager services get a title and a short text a person on call reads without SQL; a
generic JSON webhook (`json://`, `jsons://`) gets the alert's OCSF Detection Finding, as JSON
text, in the `message` of Apprise's envelope. Every alert message carries the `alert_id`, so
that a receiver can drop a duplicate (after a crash between a send and its record).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from apprise import NotifyType

if TYPE_CHECKING:
    from collections import Counter

# What Apprise should show: the colour and icon of a Slack or Teams message, say.
KINDS = {
    "info": NotifyType.INFO,
    "low": NotifyType.INFO,
    "medium": NotifyType.WARNING,
    "high": NotifyType.FAILURE,
    "critical": NotifyType.FAILURE,
}


@dataclass(frozen=True)
class Message:
    """One message, ready for Apprise."""

    title: str
    body: str
    kind: NotifyType


def alert_message(alert: dict[str, Any], *, as_json: bool, raised_from: str | None) -> Message:
    """The message for one alert (a row of openai_audit__alerts, plus its `ocsf` finding)."""
    severity = str(alert["severity"])
    prefix = severity.upper() if raised_from is None else f"{severity.upper()}, was {raised_from}"
    title = f"[{prefix}] {alert.get('title') or alert['detection_id']}"
    if as_json:
        finding = alert.get("ocsf")
        # Without its finding (the findings model not built yet), the alert's own columns.
        document = finding or {k: v for k, v in alert.items() if k != "ocsf"}
        body = json.dumps(document, default=_json_default, separators=(",", ":"))
    else:
        body = _text(alert)
    return Message(title=title, body=body, kind=KINDS.get(severity, NotifyType.INFO))


def digest_message(
    waiting: Counter[tuple[str, str]], max_per_run: int, *, as_json: bool
) -> Message:
    """How many alerts are still waiting, by detection and severity."""
    total = sum(waiting.values())
    rows = sorted(waiting.items(), key=lambda item: (-item[1], item[0]))
    title = f"{total} more OpenAI audit alerts waiting"
    if as_json:
        body = json.dumps(
            {
                "openai_audit_notify_digest": {
                    "waiting": total,
                    "max_per_run": max_per_run,
                    "by_detection_and_severity": [
                        {"detection_id": d, "severity": s, "count": n} for (d, s), n in rows
                    ],
                }
            },
            separators=(",", ":"),
        )
    else:
        lines = [f"{n} x {d} ({s})" for (d, s), n in rows]
        lines.append(f"They go out in the next runs, at most {max_per_run} per run.")
        body = "\n".join(lines)
    return Message(title=title, body=body, kind=NotifyType.WARNING)


def _text(alert: dict[str, Any]) -> str:
    techniques = alert.get("mitre_attack") or []
    fields = [
        ("Severity", alert["severity"]),
        ("Detection", alert["detection_id"]),
        ("Actor", alert.get("actor")),
        (
            "Subject",
            " ".join(str(x) for x in (alert.get("subject_type"), alert.get("subject")) if x),
        ),
        ("Detected at", _when(alert.get("detected_at"))),
        ("Events", alert.get("event_count")),
        ("ATT&CK", ", ".join(techniques)),
        ("Organization", alert.get("organization")),
        ("Next steps", alert.get("next_steps")),
        ("alert_id", alert["alert_id"]),
    ]
    lines = [str(alert["summary"])] if alert.get("summary") else []
    lines += [f"{name}: {value}" for name, value in fields if value not in (None, "")]
    return "\n".join(lines)


def _when(value: object) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return None if value is None else str(value)


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)

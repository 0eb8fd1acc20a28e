"""From an API event to an `audit_logs` record."""

from __future__ import annotations

from typing import Any

from tap_openai_audit.timeutil import to_rfc3339

# Keys every event may carry besides the one named like its type.
KNOWN_KEYS = frozenset({"id", "type", "effective_at", "actor", "project"})


def to_record(event: dict[str, Any]) -> dict[str, Any]:
    """Shape one event as a record.

    The payload sits under a key named exactly like the type (``"api_key.created": {...}``):
    it becomes `payload`, so that every type, known or new, lands in one column. Any other
    key is kept whole in `extra` rather than dropped.
    """
    event_type: str = event["type"]
    extra = {
        key: value for key, value in event.items() if key not in KNOWN_KEYS and key != event_type
    }
    return {
        "id": event["id"],
        "type": event_type,
        "effective_at": to_rfc3339(event["effective_at"]),
        "actor": event.get("actor"),
        "project": event.get("project"),
        "payload": event.get(event_type),
        "extra": extra or None,
    }

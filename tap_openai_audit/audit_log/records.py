"""From an API event to an `audit_logs` record.

Only three fields are checked, the ones the API guarantees and the tap relies on: `id` (the
primary key and the cursor), `type` (which names the payload's key) and `effective_at` (the
replication key). Everything else is kept as sent, whatever its shape.
"""

from __future__ import annotations

from typing import Any, NoReturn

from tap_openai_audit.errors import UnusableEvent
from tap_openai_audit.redact import redact
from tap_openai_audit.storable_text import replace_unstorable
from tap_openai_audit.timeutil import to_rfc3339

Event = dict[str, Any]

# Keys every event may carry besides the one named like its type.
KNOWN_KEYS = frozenset({"id", "type", "effective_at", "actor", "project"})

# The Unix seconds a date-time can hold: years 1 to 9999.
_EARLIEST = -62_135_596_800
_LATEST = 253_402_300_799


def check_event(event: object, request_id: str) -> Event:
    """Return `event` with `effective_at` as integer Unix seconds, or refuse it.

    An `effective_at` sent as a float with an integral value (``1764547200.0``) is read as that
    second: some JSON encoders write every number that way.

    Raises:
        UnusableEvent: the event is not an object, its `id` or `type` is not a string, or
            its `effective_at` is not a whole number of seconds in years 1 to 9999. The
            message names the event id and the request id.
    """
    if (
        type(event) is dict
        and type(event.get("id")) is str
        and type(event.get("type")) is str
        and type(moment := event.get("effective_at")) is int
        and _EARLIEST <= moment <= _LATEST
    ):
        return event  # the usual event, checked in one expression
    if not isinstance(event, dict):
        _refuse(request_id, f"an event that is not a JSON object ({_shown(event)})")
    event_id = event.get("id")
    if not isinstance(event_id, str):
        _refuse(request_id, f"an event whose id is not a string (id {_shown(event_id)})")
    event_type = event.get("type")
    if not isinstance(event_type, str):
        _refuse(
            request_id, f"event {event_id} with a type that is not a string ({_shown(event_type)})"
        )
    moment = event.get("effective_at")
    if isinstance(moment, float) and moment.is_integer():
        moment = event["effective_at"] = int(moment)
    whole = isinstance(moment, int) and not isinstance(moment, bool)
    if not whole or not _EARLIEST <= moment <= _LATEST:  # type: ignore[operator]
        _refuse(
            request_id,
            f"event {event_id} with effective_at {_shown(moment)}, not whole Unix seconds; "
            "the tap cannot place it in time, so it stops",
        )
    return event


def _refuse(request_id: str, what: str) -> NoReturn:
    msg = f"GET /organization/audit_logs (request id {request_id}) returned {what}.{_REPORT}"
    raise UnusableEvent(msg)


# Nothing is lost: the bookmark never moved past the window that holds the event.
_REPORT = (
    " Report it to OpenAI with the request id; the bookmark stays at the last completed "
    "window, so the next run reads this window again."
)


def _shown(value: object) -> str:
    """A short, redacted rendering of a wrong value for an error message."""
    return redact(repr(value), limit=60)


def make_storable(events: list[Event]) -> list[tuple[str, int]]:
    """Replace U+0000 and lone surrogates in `events`, in place (see `storable_text`).

    Returns:
        `(id, strings changed)` for each event that changed, its id as replaced.
    """
    changed: list[tuple[str, int]] = []
    for event in events:
        _, count = replace_unstorable(event)
        if count:
            changed.append((event["id"], count))
    return changed


def to_record(event: Event) -> dict[str, Any]:
    """Shape one checked event (see `check_event`) as a record.

    The payload sits under a key named exactly like the type (``"api_key.created": {...}``):
    it becomes `payload`, so that every type, known or new, lands in one column. Any other
    key is kept whole in `extra` rather than dropped.
    """
    event_type: str = event["type"]
    get = event.get
    others = event.keys() - KNOWN_KEYS  # a set operation in C: most events have no other key
    others.discard(event_type)
    # In the event's own order: a set's order would change from run to run.
    extra = {key: value for key, value in event.items() if key in others} if others else None
    return {
        "id": event["id"],
        "type": event_type,
        "effective_at": to_rfc3339(event["effective_at"]),
        "actor": get("actor"),
        "project": get("project"),
        "payload": get(event_type),
        "extra": extra,
    }

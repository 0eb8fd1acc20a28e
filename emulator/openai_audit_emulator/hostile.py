r"""The hostile organization: audit events shaped the way the real API may plausibly send them.

The reference types only part of each event, and the API changes monthly; these events hold
what a schema built from the reference would refuse, and what some parsers and databases
cannot take (docs/guarantees.md: every record validates, whatever the API sends):

- one key typed differently by two event types (`data.provider`, `changes_requested`,
  `data.scopes`, `session.user`);
- numbers where the reference shows strings (`asn`, `latitude`, `longitude`);
- nulls and empty objects, at the top and inside;
- nesting 64 levels deep;
- one payload of more than 2 MB;
- U+0000 and lone UTF-16 surrogates in actor, project and payload strings, and in keys;
- event types the reference does not list, and top-level keys it does not know;
- an `effective_at` written as a float with an integral value.

They are sent for real: the store serializes an event orjson refuses (a lone surrogate) with
the standard library, so the body carries the escape `\ud800` exactly as an API would.
"""

from __future__ import annotations

from typing import Any

from openai_audit_emulator.clock import DEFAULT_END

DAY = 86_400
# The hostile events sit on one day inside the default organization's 30 days, one a minute.
HOSTILE_START = DEFAULT_END - 2 * DAY  # 2026-10-30T00:00:00Z
DEPTH = 64
BIG_PAYLOAD_BYTES = 2_200_000
NUL = "\x00"
HIGH = "\ud800"  # a high surrogate with no low one after it
LOW = "\udfff"  # a low surrogate with no high one before it
HOSTILE_EMAIL = "mallory@example.com"


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"bottom": [1, "two", None, {"leaf": True}]}
    for level in range(depth - 1, 0, -1):
        node = {"level": level, "child": node}
    return node


def _session(user_agent: str, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "session",
        "session": {
            "user": {"id": "user-hostile", "email": HOSTILE_EMAIL},
            "ip_address": "192.0.2.66",
            "user_agent": user_agent,
            "ip_address_details": details,
        },
    }


_NUMBERS_FOR_STRINGS = {
    "country": "US",
    "city": "San Francisco",
    "region": "California",
    "region_code": "CA",
    "asn": 13335,
    "latitude": 37.7749,
    "longitude": -122.4194,
}
_PROJECT = {"id": "proj_hostile", "name": "Hostile project"}


def _shapes() -> list[tuple[str, dict[str, Any]]]:
    """(type, the rest of the event) for each hostile event, in time order."""
    big = "0123456789abcdef" * (BIG_PAYLOAD_BYTES // 16)
    return [
        # The first report: data.provider a string here, an object in the next event.
        ("external_key.registered", {"project": _PROJECT, "payload": {
            "id": "ekey_hostile", "data": {"provider": "aws-kms", "alias": "audit"}}}),
        ("external_storage.registered", {"project": _PROJECT, "payload": {
            "id": "estor_hostile", "data": {"provider": {"type": "aws", "bucket": "audit"}}}}),
        # A failed login whose user agent anyone on the internet chooses.
        ("login.failed", {"actor": _session(
            f"Mozilla/5.0{NUL} (X11){HIGH} evil/1.0", dict(_NUMBERS_FOR_STRINGS)), "payload": {
            "error_code": "invalid_credentials", "error_message": f"bad{NUL}password"}}),
        # A project named with both characters, and keys holding them.
        ("project.created", {
            "project": {"id": "proj_named", "name": f"Pro{HIGH}ject{NUL} X"},
            "payload": {"id": "proj_named", "data": {
                f"na{NUL}me": f"{LOW}title", f"ti{HIGH}tle": "ok", "scopes": "all"}}}),
        ("api_key.created", {"actor": None, "project": None, "payload": None}),
        ("api_key.updated", {"actor": {}, "project": {}, "payload": {
            "id": "key_hostile", "changes_requested": "scopes", "data": {}, "nothing": None}}),
        ("api_key.updated", {"actor": _session("curl/8.0", {}), "project": _PROJECT, "payload": {
            "id": "key_hostile", "changes_requested": {"scopes": ["api.model.read"]},
            "data": {"scopes": ["a", 1, None, {"b": []}]}}}),
        ("project.updated", {"actor": {"type": "session", "session": {"user": "user-hostile"}},
                             "payload": _nested(DEPTH)}),
        ("service_account.created", {"project": _PROJECT, "payload": {
            "id": "svc_big", "data": {"role": "member", "notes": big}}}),
        # A type nobody documented yet, with top-level keys nobody knows.
        ("widget.frobnicated", {"payload": [1, {"how": "hard"}], "severity": 3,
                                "request": {"id": "req_x", "path": f"/v1/{NUL}"},
                                f"unknown{HIGH}": "key with a surrogate"}),
        ("certificate.created", {"project": _PROJECT, "payload": {
            "id": "cert_hostile", "name": 12345, "certificate": None}}),
    ]  # fmt: skip


def hostile_events(start: int = HOSTILE_START) -> list[dict[str, Any]]:
    """The hostile events, one a minute from `start`; ids `audit_log-hostile-NN`."""
    events: list[dict[str, Any]] = []
    for number, (event_type, rest) in enumerate(_shapes()):
        event: dict[str, Any] = {
            "id": f"audit_log-hostile-{number:02d}",
            "type": event_type,
            "effective_at": start + 60 * number,
        }
        for key, value in rest.items():
            event[event_type if key == "payload" else key] = value
        events.append(event)
    # Some encoders write every number as a float.
    events[1]["effective_at"] = float(events[1]["effective_at"])
    return events

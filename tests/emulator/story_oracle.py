"""The documented detections and access-review checks, read literally, in plain Python.

A second reading of the contract, independent of the SQL, so the attack story's labels can be
checked before any warehouse exists: every planted pattern must fire here, no near miss may.
Deliberately simple (quadratic in places): it runs over a few thousand events.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable

    from openai_audit_emulator.inventory import Inventory

Event = dict[str, Any]
DAY = 86_400
_NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")
_IP_ALLOWLIST = {
    "ip_allowlist.config.deactivated": "critical",
    "ip_allowlist.deleted": "high",
    "ip_allowlist.updated": "medium",
    "ip_allowlist.created": "low",
    "ip_allowlist.config.activated": "low",
}
_SCIM = {"scim.disabled": "high", "scim.enabled": "low"}
_SSO = {f"tenant.sso_connection.{verb}" for verb in ("created", "updated", "deleted")}
_CREATIONS = {
    "api_key.created",
    "tenant.project_api_key.created",
    "tenant.admin_api_key.created",
    "service_account.created",
}


@dataclass(frozen=True)
class Alert:
    """One alert: the detection, the event that completes it, and the events it is made of."""

    detection_id: str
    severity: str
    completed_by: str
    event_ids: frozenset[str]
    actor: str | None


def _get(value: object, *path: str) -> Any:
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def login_key(event: Event) -> str | None:
    """The lower-cased session e-mail, else the session user id."""
    user = _get(event, "actor", "session", "user")
    email = _text(_get(user, "email"))
    return email.lower() if email else _text(_get(user, "id"))


def actor_of(event: Event) -> str | None:
    """The actor user id (session or key), else the service account id, else the e-mail."""
    actor = event.get("actor")
    for path in (("session", "user", "id"), ("api_key", "user", "id")):
        found = _text(_get(actor, *path))
        if found:
            return found
    for path in (
        ("api_key", "service_account", "id"),
        ("session", "user", "email"),
        ("api_key", "user", "email"),
    ):
        found = _text(_get(actor, *path))
        if found:
            return found
    return None


def _ip(event: Event) -> str | None:
    return _text(_get(event, "actor", "session", "ip_address"))


def _coordinate(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return None


def _location(event: Event) -> tuple[float, float] | None:
    details = _get(event, "actor", "session", "ip_address_details")
    latitude = _coordinate(_get(details, "latitude"))
    longitude = _coordinate(_get(details, "longitude"))
    if latitude is None or longitude is None:
        return None
    if abs(latitude) > 90 or abs(longitude) > 180 or (latitude, longitude) == (0, 0):
        return None
    return latitude, longitude


def _country(event: Event) -> str | None:
    country = _get(event, "actor", "session", "ip_address_details", "country")
    return country.strip().upper() or None if isinstance(country, str) else None


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def _order(event: Event) -> tuple[int, str]:
    return int(event["effective_at"]), str(event["id"])


def _bursts(  # noqa: PLR0913 - the parts of one burst rule
    detection_id: str,
    severity: str,
    events: Iterable[Event],
    *,
    key: Callable[[Event], str | None],
    value: Callable[[Event], Hashable | None],
    window: int,
    threshold: int,
) -> list[Alert]:
    """One alert per burst of each key's events, at the event where `threshold` values fall
    within `window` seconds; a burst ends at a gap longer than the window."""
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in sorted(events, key=_order):
        found = key(event)
        if found is not None and value(event) is not None:
            grouped[found].append(event)
    alerts = []
    for who, items in grouped.items():
        bursts: list[list[Event]] = []
        for event in items:
            if bursts and event["effective_at"] - bursts[-1][-1]["effective_at"] <= window:
                bursts[-1].append(event)
            else:
                bursts.append([event])
        for burst in bursts:
            for index, event in enumerate(burst):
                recent = [
                    e
                    for e in burst[: index + 1]
                    if e["effective_at"] >= event["effective_at"] - window
                ]
                if len({value(e) for e in recent}) >= threshold:
                    ids = frozenset(e["id"] for e in burst)
                    alerts.append(Alert(detection_id, severity, event["id"], ids, who))
                    break
    return alerts


def _brute_force(events: list[Event]) -> list[Alert]:
    failures: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event["type"] == "login.failed" and login_key(event):
            failures[login_key(event) or ""].append(event)
    alerts = []
    for event in events:
        key = login_key(event)
        if event["type"] != "login.succeeded" or key is None:
            continue
        moment = event["effective_at"]
        before = [f for f in failures[key] if moment - 1800 <= f["effective_at"] < moment]
        if len(before) >= 5:
            ids = frozenset([event["id"], *(f["id"] for f in before)])
            alerts.append(Alert("login_brute_force_success", "high", event["id"], ids, key))
    return alerts


def _impossible_travel(events: list[Event]) -> list[Alert]:
    located: dict[str, list[tuple[Event, tuple[float, float]]]] = defaultdict(list)
    for event in sorted(events, key=_order):
        key, where = login_key(event), _location(event)
        if event["type"] == "login.succeeded" and key is not None and where is not None:
            located[key].append((event, where))
    alerts = []
    for key, items in located.items():
        for (first, a), (second, b) in itertools.pairwise(items):
            distance = _km(a, b)
            hours = (second["effective_at"] - first["effective_at"]) / 3600
            if distance > 500 and (hours == 0 or distance / hours > 1000):
                ids = frozenset((first["id"], second["id"]))
                alerts.append(Alert("login_impossible_travel", "high", second["id"], ids, key))
    return alerts


def _owner_role(event: Event) -> bool:
    payload = event.get(event["type"])
    role = _get(payload, "changes_requested", "role")
    if role is None:
        role = _get(payload, "data", "role")
    return isinstance(role, str) and role.strip().lower() == "owner"


def _single(event: Event) -> tuple[str, str] | None:  # noqa: PLR0911 - one branch per rule
    kind = event["type"]
    if kind in {"user.added", "user.updated", "invite.sent"} and _owner_role(event):
        return "owner_role_granted", "medium" if event.get("project") else "high"
    if kind == "tenant.admin_api_key.created":
        return "admin_api_key_created", "medium"
    if kind in _IP_ALLOWLIST:
        return "ip_allowlist_changed", _IP_ALLOWLIST[kind]
    if kind in _SCIM:
        return "scim_changed", _SCIM[kind]
    changes = _get(event.get(kind), "changes_requested")
    logging = {"api_call_logging", "api_call_logging_project_ids"}
    if kind == "organization.updated" and isinstance(changes, dict) and logging & set(changes):
        return "api_call_logging_changed", "high"
    if kind in _SSO:
        return "sso_connection_changed", "high"
    return None


def _after_deletion(events: list[Event]) -> list[Alert]:
    ordered = sorted(events, key=_order)
    alerts = []
    for deletion in ordered:
        user = _get(deletion.get(deletion["type"]), "id")
        if deletion["type"] != "user.deleted" or not isinstance(user, str):
            continue
        moment, found = deletion["effective_at"], []
        for event in ordered:
            if event["effective_at"] <= moment:
                continue
            payload_id = _get(event.get(event["type"]), "id")
            if event["type"] == "user.added" and payload_id == user:
                break
            if actor_of(event) != user or event["type"] == "login.failed":
                continue
            if not event["type"].startswith("logout."):
                found.append(event)
        if found:
            ids = frozenset([deletion["id"], *(e["id"] for e in found)])
            alerts.append(Alert("activity_after_user_deleted", "high", found[0]["id"], ids, user))
    return alerts


def _object(event: Event) -> str:
    found = _get(event.get(event["type"]), "id")
    return found if isinstance(found, str) else str(event["id"])


# (detection, severity, types, whose bursts, what is counted, window in seconds, threshold)
_BURST_RULES: tuple[
    tuple[
        str, str, frozenset[str], Callable[[Event], str | None], Callable[[Event], Any], int, int
    ],
    ...,
] = (
    ("login_failures_burst", "medium", frozenset({"login.failed"}), login_key, _order, 3600, 10),
    ("login_credential_stuffing", "medium", frozenset({"login.failed"}), login_key, _ip, 1800, 5),
    ("login_password_spray", "medium", frozenset({"login.failed"}), _ip, login_key, 1800, 5),
    ("login_many_countries", "high", frozenset({"login.succeeded"}), login_key, _country, DAY, 3),
    ("credential_sprawl", "medium", frozenset(_CREATIONS), actor_of, _object, 3600, 10),
)


def detect(events: list[Event]) -> list[Alert]:
    """Every alert of the 14 detections over `events` (both scopes together)."""
    alerts = _brute_force(events) + _impossible_travel(events) + _after_deletion(events)
    for detection_id, severity, types, key, value, window, threshold in _BURST_RULES:
        chosen = [e for e in events if e["type"] in types]
        alerts += _bursts(
            detection_id, severity, chosen, key=key, value=value, window=window, threshold=threshold
        )
    for event in events:
        single = _single(event)
        if single is not None:
            ids = frozenset((event["id"],))
            alerts.append(Alert(single[0], single[1], event["id"], ids, actor_of(event)))
    return alerts


def _live(inventory: Inventory, name: str) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    return [
        (parents, item)
        for parents, items in inventory.lists.get(name, {}).items()
        for item in items
    ]


def _unused(key: dict[str, Any], now: int) -> bool:
    expired = key.get("expires_at") is not None and key["expires_at"] <= now
    used = key.get("last_used_at")
    old = now - 90 * DAY
    return key["created_at"] < old and not expired and (used is None or used < old)


def _with_access(inventory: Inventory) -> dict[str, set[str]]:
    """Per project, the users who are members or in a group with access to it."""
    members = defaultdict(set)
    for (project,), item in _live(inventory, "project_users"):
        members[project].add(item["id"])
    groups = defaultdict(set)
    for (group,), user in _live(inventory, "group_users"):
        groups[group].add(user["id"])
    for (project,), item in _live(inventory, "project_groups"):
        members[project] |= groups[item["group_id"]]
    return members


def _owners(inventory: Inventory) -> set[str]:
    def is_owner(role: dict[str, Any]) -> bool:
        return str(role.get("name")).lower() == "owner"

    owners = {item["id"] for _, item in _live(inventory, "users") if item.get("role") == "owner"}
    owners |= {user for (user,), role in _live(inventory, "user_roles") if is_owner(role)}
    groups = {group for (group,), role in _live(inventory, "group_roles") if is_owner(role)}
    return owners | {u["id"] for (group,), u in _live(inventory, "group_users") if group in groups}


def review(inventory: Inventory, now: int) -> dict[str, set[str]]:
    """The subject ids each access-review check finds in the emulator's inventory."""
    archived = {p["id"] for _, p in _live(inventory, "projects") if p.get("status") == "archived"}
    access = _with_access(inventory)
    found: dict[str, set[str]] = defaultdict(set)
    for (project,), key in _live(inventory, "project_api_keys"):
        owner = _get(key, "owner", "user", "id")
        flag = key.get("owner_project_access")
        absent = flag is None and project not in archived and isinstance(owner, str)
        if flag == "inactive" or (absent and owner not in access[project]):
            found["project_key_owner_without_access"].add(key["id"])
        if _unused(key, now):
            found["project_key_unused_90d"].add(key["id"])
    for _, key in _live(inventory, "admin_api_keys"):
        if _unused(key, now):
            found["admin_key_unused_90d"].add(key["id"])
    found["owner_role_holder"] = _owners(inventory)
    for _, invite in _live(inventory, "invites"):
        if invite["status"] == "pending" and invite["created_at"] < now - 30 * DAY:
            found["invite_pending_30d"].add(invite["id"])
    return found

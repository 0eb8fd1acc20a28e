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
    "ip_allowlist.created": "info",
    "ip_allowlist.config.activated": "info",
}
_SCIM = {"scim.disabled": "high", "scim.enabled": "info"}
_LOGGING_VALUES = {
    "disabled": "high",
    "enabled_per_call": "medium",
    "enabled_for_selected_projects": "medium",
    "enabled_for_all_projects": "info",
}
SEVERITIES = ("info", "low", "medium", "high", "critical")
DEDUP_SECONDS = 3600  # every detection's default dedup period: 60 minutes
_ASSIGNMENT_ROLE = re.compile(r"^role_assignment_(.+?)__")
_SSO = {f"tenant.sso_connection.{verb}" for verb in ("created", "updated", "deleted")}
_CREATIONS = {
    "api_key.created",
    "tenant.project_api_key.created",
    "tenant.admin_api_key.created",
    "service_account.created",
}


@dataclass(frozen=True)
class Match:
    """An event at which a detection's condition holds, with what its alert lists for it."""

    detection_id: str
    severity: str
    subject: str
    event: Event
    listed: frozenset[str]  # the events the detection lists besides its matches
    actor: str | None  # the actor of the match (who acted)
    group: str = ""  # activity_after_user_deleted: the deletion it belongs to


@dataclass(frozen=True)
class Alert:
    """One alert: matches of one detection and subject, opened by the earliest of them."""

    detection_id: str
    subject: str
    severity: str
    opened_by: str  # the opening match's event id: detected_at is its effective_at
    event_ids: frozenset[str]
    matches: tuple[str, ...]
    actors: frozenset[str]


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


def _window(  # noqa: PLR0913 - the parts of one windowed rule
    detection_id: str,
    severity: str,
    events: Iterable[Event],
    *,
    key: Callable[[Event], str | None],
    value: Callable[[Event], Hashable | None],
    window: int,
    threshold: int,
    actor: Callable[[Event], str | None],
) -> list[Match]:
    """A match at each event where the key's events of the last `window` seconds (ending at
    it, itself included) hold at least `threshold` distinct values."""
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in sorted(events, key=_order):
        found = key(event)
        if found is not None:
            grouped[found].append(event)
    matches = []
    for who, items in grouped.items():
        for index, event in enumerate(items):
            recent = [
                e
                for e in items[: index + 1]
                if e["effective_at"] >= event["effective_at"] - window and value(e) is not None
            ]
            if len({value(e) for e in recent}) >= threshold:
                listed = frozenset(e["id"] for e in recent)
                matches.append(Match(detection_id, severity, who, event, listed, actor(event)))
    return matches


def _login_actor(event: Event) -> str | None:
    user = _get(event, "actor", "session", "user")
    return _text(_get(user, "email")) or _text(_get(user, "id"))


def _sessions(events: list[Event], kind: str) -> list[Event]:
    # Only session events are logins: a key's login.* event joins no login rule.
    return [e for e in events if e["type"] == kind and login_key(e) is not None]


def _brute_force(events: list[Event]) -> list[Match]:
    failures: dict[str, list[Event]] = defaultdict(list)
    for event in _sessions(events, "login.failed"):
        failures[login_key(event) or ""].append(event)
    matches = []
    for event in _sessions(events, "login.succeeded"):
        key = login_key(event) or ""
        moment = event["effective_at"]
        before = [f for f in failures[key] if moment - 1800 <= f["effective_at"] < moment]
        if len(before) >= 5:
            listed = frozenset(f["id"] for f in before)
            actor = _login_actor(event)
            matches.append(Match("login_brute_force_success", "high", key, event, listed, actor))
    return matches


def _impossible_travel(events: list[Event]) -> list[Match]:
    located: dict[str, list[tuple[Event, tuple[float, float]]]] = defaultdict(list)
    for event in sorted(_sessions(events, "login.succeeded"), key=_order):
        where = _location(event)
        if where is not None:
            located[login_key(event) or ""].append((event, where))
    matches = []
    for key, items in located.items():
        for (first, a), (second, b) in itertools.pairwise(items):
            distance = _km(a, b)
            hours = (second["effective_at"] - first["effective_at"]) / 3600
            if distance > 500 and (hours == 0 or distance / hours > 1000):
                listed = frozenset((first["id"],))
                actor = _login_actor(second)
                matches.append(Match("login_impossible_travel", "high", key, second, listed, actor))
    return matches


def role_of(payload: object) -> str | None:
    """The role an owner-grant type names: `changes_requested.role`, else `data.role`."""
    role = _get(payload, "changes_requested", "role")
    if role is None:
        role = _get(payload, "data", "role")
    return role if isinstance(role, str) else None


def owner_role(event: Event) -> bool:
    """Whether a user.added, user.updated or invite.sent grants the owner role."""
    role = role_of(event.get(event["type"]))
    return role is not None and role.strip().lower() == "owner"


def assignment_role(assignment_id: object) -> str | None:
    """The role id read from a role assignment's id (the shortest run before the first `__`)."""
    if not isinstance(assignment_id, str):
        return None
    found = _ASSIGNMENT_ROLE.match(assignment_id)
    return found.group(1) if found else None


def _logging_severity(changes: dict[str, Any]) -> str:
    if "api_call_logging" in changes:
        value = changes["api_call_logging"]
        return _LOGGING_VALUES.get(value, "high") if isinstance(value, str) else "high"
    return "medium"  # the project list without the value


def _single(  # noqa: PLR0911 - one branch per rule
    event: Event, roles: dict[str, str], projects: set[str]
) -> tuple[str, str] | None:
    kind = event["type"]
    payload = event.get(kind)
    if kind in {"user.added", "user.updated", "invite.sent"} and owner_role(event):
        by_key = _get(event, "actor", "type") == "api_key"
        return "owner_role_granted", "critical" if by_key else "high"
    if kind == "role.assignment.created" and _get(payload, "resource_type") == "api.organization":
        role = assignment_role(_get(payload, "id")) or ""
        name = roles.get(role, "")
        return "rbac_role_assigned", "high" if name.lower() == "owner" or "owner" in role else (
            "medium"
        )
    if kind == "tenant.admin_api_key.created":
        return "admin_api_key_created", "medium"
    if kind in _IP_ALLOWLIST:
        return "ip_allowlist_changed", _IP_ALLOWLIST[kind]
    if kind in _SCIM:
        return "scim_changed", _SCIM[kind]
    changes = _get(payload, "changes_requested")
    logging = {"api_call_logging", "api_call_logging_project_ids"}
    if kind == "organization.updated" and isinstance(changes, dict) and logging & set(changes):
        return "api_call_logging_changed", _logging_severity(changes)
    if kind in _SSO:
        return "sso_connection_changed", "high"
    project = _get(payload, "data", "project_id")
    if kind == "checkpoint.permission.created" and projects and project not in projects:
        return "checkpoint_shared_outside", "high"
    return None


def _after_deletion(events: list[Event]) -> list[Match]:
    ordered = sorted(events, key=_order)
    deletions: dict[str, list[Event]] = defaultdict(list)
    for event in ordered:
        user = _get(event.get(event["type"]), "id")
        if event["type"] == "user.deleted" and isinstance(user, str):
            deletions[user].append(event)
    matches = []
    for event in ordered:
        user = actor_of(event)
        if user not in deletions or event["type"] == "login.failed":
            continue
        if event["type"].startswith("logout."):
            continue
        earlier = [d for d in deletions[user] if d["effective_at"] < event["effective_at"]]
        if not earlier:
            continue
        deletion = earlier[-1]
        readded = any(
            e["type"] == "user.added"
            and _get(e.get(e["type"]), "id") == user
            and _order(deletion) < _order(e) < _order(event)
            for e in ordered
        )
        if not readded:
            listed = frozenset((deletion["id"],))
            matches.append(
                Match(
                    "activity_after_user_deleted",
                    "high",
                    user,
                    event,
                    listed,
                    user,
                    group=deletion["id"],
                )
            )
    return matches


def _object(event: Event) -> str:
    found = _get(event.get(event["type"]), "id")
    return found if isinstance(found, str) else str(event["id"])


def _actor_or_unknown(event: Event) -> str:
    return actor_of(event) or "unknown"


def _logging_then_privileged(singles: list[Match], events: list[Event]) -> list[Match]:
    high = [m for m in singles if m.detection_id == "api_call_logging_changed"]
    high = [m for m in high if m.severity == "high"]
    privileged = [
        m
        for m in singles
        if m.detection_id in {"admin_api_key_created", "owner_role_granted"}
        or (m.detection_id == "rbac_role_assigned" and m.severity == "high")
    ]
    privileged += [
        Match("service_account.created", "", _actor_or_unknown(e), e, frozenset(), actor_of(e))
        for e in events
        if e["type"] == "service_account.created"
    ]
    matches = []
    for match in privileged:
        moment = match.event["effective_at"]
        changes = [
            m
            for m in high
            if m.subject == match.subject and moment - DAY <= m.event["effective_at"] < moment
        ]
        if changes:
            latest = max(changes, key=lambda m: _order(m.event))
            matches.append(
                Match(
                    "logging_disabled_then_privileged",
                    "critical",
                    match.subject,
                    match.event,
                    frozenset((latest.event["id"],)),
                    match.actor,
                )
            )
    return matches


_CREATIONS_RULE = frozenset(_CREATIONS)


def detect(
    events: list[Event],
    *,
    roles: dict[str, str] | None = None,
    projects: set[str] | None = None,
) -> list[Match]:
    """Every match of the 17 detections over `events` (both scopes together).

    Args:
        events: the audit events.
        roles: the `roles` snapshot, id to name (empty: every role is found nowhere).
        projects: the ids of the `projects` snapshot (empty: no checkpoint is outside).
    """
    roles, projects = roles or {}, projects or set()
    failures = _sessions(events, "login.failed")
    successes = _sessions(events, "login.succeeded")
    matches = _brute_force(events) + _impossible_travel(events) + _after_deletion(events)
    matches += _window(
        "login_failures_burst", "medium", failures, key=login_key, value=_order,
        window=3600, threshold=10, actor=_login_actor,
    )  # fmt: skip
    matches += _window(
        "login_credential_stuffing", "medium", failures, key=login_key, value=_ip,
        window=1800, threshold=5, actor=_login_actor,
    )  # fmt: skip
    sprayed = [e for e in failures if _ip(e)]
    matches += _window(
        "login_password_spray", "medium", sprayed, key=_ip, value=login_key,
        window=1800, threshold=5, actor=_login_actor,
    )  # fmt: skip
    matches += _window(
        "login_many_countries", "high", successes, key=login_key, value=_country,
        window=DAY, threshold=3, actor=_login_actor,
    )  # fmt: skip
    created = [e for e in events if e["type"] in _CREATIONS_RULE]
    matches += _window(
        "credential_sprawl", "medium", created, key=_actor_or_unknown, value=_object,
        window=3600, threshold=10, actor=actor_of,
    )  # fmt: skip
    singles = []
    for event in events:
        single = _single(event, roles, projects)
        if single is not None:
            detection_id, severity = single
            subject = _actor_or_unknown(event)
            singles.append(
                Match(detection_id, severity, subject, event, frozenset(), actor_of(event))
            )
    return matches + singles + _logging_then_privileged(singles, events)


def alerts(matches: list[Match]) -> list[Alert]:
    """Group matches: per detection and subject, an alert opens at the earliest match in no
    alert yet and takes every later match up to the dedup period after it, both ends included
    (activity_after_user_deleted: every match of one deletion, no period)."""
    grouped: dict[tuple[str, str, str], list[Match]] = defaultdict(list)
    for match in matches:
        grouped[match.detection_id, match.subject, match.group].append(match)
    found = []
    for (detection_id, subject, _group), members in grouped.items():
        left = sorted(members, key=lambda m: _order(m.event))
        no_period = detection_id == "activity_after_user_deleted"
        while left:
            opening = left[0]
            limit = opening.event["effective_at"] + DEDUP_SECONDS
            taken = [m for m in left if no_period or m.event["effective_at"] <= limit]
            left = [m for m in left if m not in taken]
            ids = {m.event["id"] for m in taken}.union(*(m.listed for m in taken))
            found.append(
                Alert(
                    detection_id,
                    subject,
                    max((m.severity for m in taken), key=SEVERITIES.index),
                    opening.event["id"],
                    frozenset(ids),
                    tuple(m.event["id"] for m in taken),
                    frozenset(m.actor for m in taken if m.actor),
                )
            )
    return found


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

"""The default organization acts like an ordinary one: its weights, its people, its admins' acts.

Without the attack story, its month must be something an analyst can judge noise on: sign-ins
and key use are most of it, the events the detections watch happen once a month each as an
owner's act, and nothing in it looks like an attack (no run of failed logins, no travel, no
owner granted by a key, no deleted user who acts).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from openai_audit_emulator import default_events, generate_events
from openai_audit_emulator.catalog import event_types
from openai_audit_emulator.inventory import build_inventory
from openai_audit_emulator.ordinary import PLANNED, SCENES, WATCHED, family_of, weights_table
from openai_audit_emulator.server import default_organization
from tests.emulator import story_oracle

DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
MONTH_DOC = DOCS.with_name("emulator-ordinary-month.md")
Event = dict[str, Any]


@pytest.fixture(scope="module")
def month() -> list[Event]:
    return default_events()


@pytest.fixture(scope="module")
def inventory() -> Any:
    return build_inventory(default_organization(), now=int(time.time()))


def test_the_documented_weights_are_the_code_s() -> None:
    assert weights_table() in DOCS.read_text(encoding="utf-8")


def test_sign_ins_and_key_use_are_most_of_the_month(month: list[Event]) -> None:
    families = Counter(family_of(event["type"]) for event in month)
    assert families["sign-in"] + families["key and token use"] > 0.75 * len(month)
    kinds = Counter(event["type"] for event in month)
    assert kinds["login.succeeded"] > 20 * kinds["role.assignment.created"]
    assert kinds["login.succeeded"] > 20 * kinds["checkpoint.permission.created"]
    # Keys, projects and memberships change about weekly: a few a month, not dozens.
    for kind in ("api_key.created", "project.updated", "service_account.created"):
        assert 2 <= kinds[kind] <= 20, (kind, kinds[kind])


def test_every_watched_type_happens_once(month: list[Event]) -> None:
    kinds = Counter(event["type"] for event in month)
    assert {t: kinds[t] for t in WATCHED} == dict.fromkeys(WATCHED, 1)
    assert set(kinds) == set(event_types())


def _owners(inventory: Any) -> set[str]:
    return {u["id"] for u in inventory.items("users") if u["role"] == "owner"}


def test_the_watched_acts_are_an_owner_s_plausible_acts(
    month: list[Event],
    inventory: Any,
) -> None:
    owners = _owners(inventory)
    users = {u["id"] for u in inventory.items("users")}
    for event in month:
        if event["type"] in WATCHED or event["type"] in PLANNED:
            assert story_oracle.actor_of(event) in owners, event["type"]
    grants = [
        e
        for e in month
        if e["type"] in {"user.added", "user.updated", "invite.sent"} and story_oracle.owner_role(e)
    ]
    assert len(grants) == 1
    (grant,) = grants
    assert grant["actor"]["type"] == "session"  # from a session, not a key
    assert grant["user.updated"]["id"] in owners  # the inventory lists what the log did
    assert story_oracle.actor_of(grant) != grant["user.updated"]["id"]  # no one grants himself
    roles = {r["id"]: r["name"] for r in inventory.items("roles")}
    organization_level = [
        e[e["type"]]
        for e in month
        if e["type"] == "role.assignment.created"
        and e[e["type"]]["resource_type"] == "api.organization"
    ]
    assert len(organization_level) == 1
    role_id = story_oracle.assignment_role(organization_level[0]["id"])
    assert roles[role_id] == "reader"
    assert organization_level[0]["principal_id"] in users - owners
    (logging,) = [e for e in month if e["type"] == "organization.updated"]
    assert logging["organization.updated"]["changes_requested"] == {
        "api_call_logging": "enabled_for_all_projects"
    }


def test_scenes_are_one_owner_s_minutes(month: list[Event]) -> None:
    by_type = {e["type"]: e for e in month if e["type"] in WATCHED}
    for name, steps in SCENES:
        events = [by_type[event_type] for event_type, _ in steps]
        times = [e["effective_at"] for e in events]
        assert max(times) - min(times) < 3600, name
        assert len({story_oracle.actor_of(e) for e in events}) == 1, name


def test_checkpoints_are_shared_with_live_projects_of_the_organization(
    month: list[Event],
    inventory: Any,
) -> None:
    live = {p["id"] for p in inventory.items("projects") if p["status"] == "active"}
    shared = [
        e["checkpoint.permission.created"]["data"]["project_id"]
        for e in month
        if e["type"] == "checkpoint.permission.created"
    ]
    assert shared
    assert set(shared) <= live


def test_failed_logins_are_scattered_and_only_sessions_log_in(month: list[Event]) -> None:
    failures: dict[str, list[int]] = defaultdict(list)
    for event in month:
        if event["type"].startswith(("login.", "logout.")):
            assert event["actor"]["type"] == "session"
        if event["type"] == "login.failed":
            failures[story_oracle.login_key(event) or ""].append(event["effective_at"])
    assert sum(map(len, failures.values())) > 10
    for times in failures.values():
        times.sort()
        # Never five failures of one person within an hour: nothing near brute force.
        assert all(b - a > 3600 for a, b in zip(times, times[4:], strict=False))


def test_a_person_signs_in_from_one_place_but_for_one_vpn_trip(month: list[Event]) -> None:
    places: dict[str, Counter[str]] = defaultdict(Counter)
    for event in month:
        session = (event.get("actor") or {}).get("session")
        if session:
            places[session["user"]["id"]][session["ip_address_details"]["city"]] += 1
    travellers = {user: found for user, found in places.items() if len(found) > 1}
    assert len(travellers) == 1
    (cities,) = travellers.values()
    assert min(cities.values()) == 1  # one sign-in through the VPN exit


def test_a_deleted_user_is_one_who_left(
    month: list[Event],
    inventory: Any,
) -> None:
    users = {u["id"] for u in inventory.items("users")}
    deleted = [e["user.deleted"]["id"] for e in month if e["type"] == "user.deleted"]
    assert deleted
    assert not set(deleted) & users
    assert not set(deleted) & {story_oracle.actor_of(e) for e in month}


def test_the_ordinary_month_raises_its_admins_acts_and_one_vpn_trip(month: list[Event]) -> None:
    """The rules read literally: one alert per watched act, one for the VPN, no other sign-in."""
    raised = Counter(
        (alert.detection_id, alert.severity)
        for alert in story_oracle.alerts(story_oracle.detect(month, roles=_roles()))
    )
    assert raised == Counter(
        {
            ("owner_role_granted", "high"): 1,
            ("rbac_role_assigned", "medium"): 1,
            ("admin_api_key_created", "medium"): 1,
            ("ip_allowlist_changed", "critical"): 1,
            ("scim_changed", "high"): 1,
            ("sso_connection_changed", "high"): 1,
            ("api_call_logging_changed", "info"): 1,
            ("login_impossible_travel", "high"): 1,
        }
    )


def test_the_documented_month_lists_every_alert(month: list[Event]) -> None:
    """docs/emulator-ordinary-month.md's table is the alerts the rules raise, row by row."""
    moments = {event["id"]: event["effective_at"] for event in month}
    inventory = build_inventory(default_organization(), now=0)
    emails = {user["id"]: user["email"] for user in inventory.items("users") or []}
    raised = sorted(
        (
            datetime.fromtimestamp(moments[alert.opened_by], timezone.utc).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            f"`{alert.detection_id}`",
            alert.severity,
            str(len(alert.event_ids)),
            f"{emails[alert.subject]} (owner)" if alert.subject in emails else alert.subject,
        )
        for alert in story_oracle.alerts(story_oracle.detect(month, roles=_roles()))
    )
    rows = [
        tuple(cell.strip() for cell in line.strip("|").split("|"))
        for line in MONTH_DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| 2026-")
    ]
    assert sorted(row[:5] for row in rows) == raised


def _roles() -> dict[str, str]:
    inventory = build_inventory(default_organization(), now=0)
    return {r["id"]: r["name"] for r in inventory.items("roles") or []}


def test_the_month_is_the_same_on_every_call() -> None:
    first = generate_events(seed=7, count=3000, start=0, end=30 * 86400)
    assert first == generate_events(seed=7, count=3000, start=0, end=30 * 86400)
    assert (
        list(itertools.islice(first, 5))
        != generate_events(seed=8, count=3000, start=0, end=30 * 86400)[:5]
    )

"""The attack story: deterministic, inside ordinary activity, its labels true to what is served.

The labels (`attack_story_labels()`) say which events must raise which alert and which
inventory objects each access-review check must find. These tests prove the labels refer to
events and objects the emulator really serves, in the scope the API would serve them in, and
that the documented rules (docs/transform.md, docs/sql.md), read literally in Python
(`story_oracle`), agree with every label.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from openai_audit_emulator import DEFAULT_END, Emulator, default_events, is_tenant_scoped
from openai_audit_emulator.attack_story import (
    STORY_DAYS,
    STORY_START,
    attack_story_labels,
    late_story_events,
    plant_attack_story,
)
from openai_audit_emulator.inventory import build_inventory
from openai_audit_emulator.server import default_organization
from tests.emulator import story_oracle
from tests.emulator.helpers import get

if TYPE_CHECKING:
    from collections.abc import Iterator

LABELS = attack_story_labels()
DETECTIONS = {entry["detection_id"]: entry for entry in LABELS["detections"]}
CHECKS = {entry["check_id"]: entry for entry in LABELS["access_review"]}
GROUPING = {entry["case"]: entry for entry in LABELS["grouping"]}
# The 17 detections and 5 checks the docs name, spelled out so a label file that drops one fails.
DESIGN_DETECTIONS = {
    "login_brute_force_success",
    "login_failures_burst",
    "login_credential_stuffing",
    "login_password_spray",
    "login_impossible_travel",
    "login_many_countries",
    "owner_role_granted",
    "admin_api_key_created",
    "ip_allowlist_changed",
    "scim_changed",
    "api_call_logging_changed",
    "sso_connection_changed",
    "credential_sprawl",
    "activity_after_user_deleted",
    "rbac_role_assigned",
    "checkpoint_shared_outside",
    "logging_disabled_then_privileged",
}
GROUPING_CASES = {"sustained_brute_force", "second_attack", "bulk_grant", "late_event"}
# The quiet logins between the two attacks of `second_attack`: context, in no alert.
UNLABELLED = {"audit_log-story-sa-07", "audit_log-story-sa-08", "audit_log-story-sa-09"}
DESIGN_CHECKS = {
    "project_key_owner_without_access",
    "admin_key_unused_90d",
    "project_key_unused_90d",
    "owner_role_holder",
    "invite_pending_30d",
}


@pytest.fixture(scope="module")
def story() -> Iterator[Emulator]:
    with Emulator(attack_story=True) as emu:
        yield emu


def _served(emu: Emulator) -> dict[str, dict[str, Any]]:
    """Every event the emulator serves, by id, from both scopes."""
    events = emu.ground_truth() + emu.ground_truth(tenant_only=True)
    return {event["id"]: event for event in events}


def _story_ids(emu: Emulator) -> set[str]:
    return {event_id for event_id in _served(emu) if event_id.startswith("audit_log-story-")}


def _labelled_events() -> set[str]:
    ids = set()
    for entry in LABELS["detections"]:
        for group in (*entry["alerts"], *entry["near_misses"]):
            ids.update(group["events"])
    for case in LABELS["grouping"]:
        ids.update(case["events"])
    return ids - _late_ids()


def _late_ids() -> set[str]:
    return {event_id for case in LABELS["grouping"] for event_id in case.get("late_events", [])}


def test_labels_cover_every_detection_and_check_with_a_near_miss() -> None:
    assert set(DETECTIONS) == DESIGN_DETECTIONS
    assert set(CHECKS) == DESIGN_CHECKS
    assert set(GROUPING) == GROUPING_CASES
    for entry in (*DETECTIONS.values(), *CHECKS.values()):
        assert entry.get("alerts") or entry.get("findings"), entry
        assert entry["near_misses"], entry
    for entry in DETECTIONS.values():
        for alert in entry["alerts"]:
            assert alert["opened_by"] in alert["events"]
            assert alert["subject"], alert
    assert {e["id"] for e in late_story_events()} == _late_ids() == {"audit_log-story-sbl-01"}


def test_the_story_is_off_by_default(default_emulator: Emulator) -> None:
    assert default_emulator.stats()["events"] == len(default_events())
    assert not _story_ids(default_emulator)
    users = {user["id"] for user in default_emulator.inventory.items("users") or []}
    assert not any(user.startswith("user-story-") for user in users)


def test_the_story_adds_its_events_to_the_default_organization(story: Emulator) -> None:
    assert story.stats()["events"] == len(default_events()) + len(_story_ids(story))
    # Every story event is labelled, planted or near miss, or is context the labels name
    # nowhere (the quiet logins between two attacks); none is left over unexplained. The late
    # event is not served until a test adds it.
    unlabelled = _story_ids(story) - _labelled_events()
    assert unlabelled == UNLABELLED
    assert not _late_ids() & _story_ids(story)


def test_the_story_is_the_same_on_every_build() -> None:
    now = int(time.time())
    first, second = (build_inventory(default_organization(), now=now) for _ in range(2))
    assert plant_attack_story(first, now=now) == plant_attack_story(second, now=now)
    assert first.lists == second.lists


def test_every_labelled_event_is_served_in_its_own_scope_only(story: Emulator) -> None:
    organization = {event["id"]: event for event in story.ground_truth()}
    tenant = {event["id"]: event for event in story.ground_truth(tenant_only=True)}
    for event_id in _labelled_events():
        assert (event_id in tenant) != (event_id in organization), event_id
        event = tenant.get(event_id) or organization[event_id]
        assert (event_id in tenant) == is_tenant_scoped(event["type"]), event_id
    tenant_story = {i for i in tenant if i.startswith("audit_log-story-")}
    assert len(tenant_story) >= 10  # admin keys, SCIM, SSO and the sprawl's tenant creations


def test_tenant_story_events_come_over_http_only_with_tenant_only(story: Emulator) -> None:
    query = {
        "effective_at[gte]": STORY_START,
        "effective_at[lt]": STORY_START + STORY_DAYS * 86400,
        "resource_ids[]": "sso_story_okta",
        "limit": 100,
    }
    assert get(story, query).json()["data"] == []
    found = get(story, {**query, "tenant_only": "true"}).json()["data"]
    assert {event["id"] for event in found} == {
        "audit_log-story-sso-01",
        "audit_log-story-sso-02",
        "audit_log-story-sso-03",
        "audit_log-story-sson-01",
        "audit_log-story-sson-02",
    }


def test_the_story_stays_inside_the_default_history(story: Emulator) -> None:
    served = _served(story)
    times = [served[i]["effective_at"] for i in _story_ids(story)]
    assert DEFAULT_END - 30 * 86400 <= STORY_START <= min(times)
    assert max(times) < STORY_START + STORY_DAYS * 86400 <= DEFAULT_END


def _people(event: dict[str, Any]) -> set[str]:
    """Everything in an event that says who or where: ids, e-mails, login key, IP."""
    found = {story_oracle.login_key(event), story_oracle.actor_of(event)}
    actor = event.get("actor")
    if isinstance(actor, dict):
        found.add((actor.get("session") or {}).get("ip_address"))
        found.add((actor.get("api_key") or {}).get("id"))
    return {value for value in found if value}


def test_ordinary_activity_shares_no_actor_key_or_address_with_the_story(
    story: Emulator,
) -> None:
    served = _served(story)
    story_ids = _story_ids(story)
    story_people = set().union(*(_people(served[i]) for i in story_ids))
    ordinary = set().union(*(_people(e) for i, e in served.items() if i not in story_ids))
    # ANITA's and the service account's ids are the story's alone too.
    assert story_people
    assert not story_people & ordinary


def test_the_log_names_the_inventory_s_users_keys_and_projects(story: Emulator) -> None:
    inventory = story.inventory
    users = {user["id"] for user in inventory.items("users") or []}
    deleted = {"user-story-ron", "user-story-annie", "user-story-jean"}
    keys = {k["id"] for keys in inventory.lists["project_api_keys"].values() for k in keys}
    keys |= {k["id"] for k in inventory.items("admin_api_keys") or []}
    projects = {p["id"] for p in inventory.items("projects") or []}
    accounts = {
        a["id"] for items in inventory.lists["project_service_accounts"].values() for a in items
    }
    served = _served(story)
    for event_id in _story_ids(story):
        event = served[event_id]
        actor = event.get("actor") or {}
        user = ((actor.get("session") or actor.get("api_key") or {}).get("user") or {}).get("id")
        assert user is None or user in users | deleted, event_id
        key = (actor.get("api_key") or {}).get("id")
        assert key is None or key in keys, event_id
        account = ((actor.get("api_key") or {}).get("service_account") or {}).get("id")
        assert account is None or account in accounts, event_id
        assert event.get("project") is None or event["project"]["id"] in projects, event_id
    assert not deleted & users


def _oracle_alerts(
    emu: Emulator, extra: list[dict[str, Any]] | None = None
) -> list[story_oracle.Alert]:
    roles = {role["id"]: role["name"] for role in emu.inventory.items("roles") or []}
    projects = {project["id"] for project in emu.inventory.items("projects") or []}
    events = [*_served(emu).values(), *(extra or [])]
    return story_oracle.alerts(story_oracle.detect(events, roles=roles, projects=projects))


def test_design_read_literally_raises_every_planted_alert(story: Emulator) -> None:
    alerts = _oracle_alerts(story)
    for detection_id, entry in DETECTIONS.items():
        raised = {a.opened_by: a for a in alerts if a.detection_id == detection_id}
        for label in entry["alerts"]:
            alert = raised.get(label["opened_by"])
            assert alert is not None, (detection_id, label["pattern"])
            assert set(label["events"]) <= alert.event_ids, (detection_id, label["pattern"])
            assert not set(label.get("not_events", [])) & alert.event_ids, label["pattern"]
            assert alert.severity == label["severity"], (detection_id, label["pattern"])
            assert alert.subject == label["subject"], (detection_id, label["pattern"])


def test_design_read_literally_raises_no_near_miss(story: Emulator) -> None:
    alerts = _oracle_alerts(story)
    for detection_id, entry in DETECTIONS.items():
        of_detection = [a for a in alerts if a.detection_id == detection_id]
        for miss in entry["near_misses"]:
            for alert in of_detection:
                assert not set(miss["events"]) & alert.event_ids, (detection_id, miss["why"])
                assert alert.subject != miss.get("subject", object()), (detection_id, miss["why"])


def _grouped(alerts: list[story_oracle.Alert], case: dict[str, Any]) -> list[story_oracle.Alert]:
    return [
        a
        for a in alerts
        if a.detection_id == case["detection_id"] and set(case["events"]) & a.event_ids
    ]


def test_design_read_literally_groups_each_case_as_labelled(story: Emulator) -> None:
    alerts = _oracle_alerts(story)
    for name, case in GROUPING.items():
        if "late_events" not in case:
            assert len(_grouped(alerts, case)) == case["alerts"], name


def test_the_late_event_joins_the_alert_that_holds_it(story: Emulator) -> None:
    case = GROUPING["late_event"]
    before = _grouped(_oracle_alerts(story), case)
    after = _grouped(_oracle_alerts(story, late_story_events()), case)
    assert len(before) == len(after) == case["alerts"]
    assert {a.opened_by for a in before} == {a.opened_by for a in after}
    # A match of the alert whose period holds it (a later alert may also list it, counted).
    (joined,) = [a for a in after if set(case["late_events"]) <= set(a.matches)]
    assert joined.opened_by == case["joins"]


def test_access_review_labels_agree_with_the_inventory(story: Emulator) -> None:
    found = story_oracle.review(story.inventory, int(story.now()))
    for check_id, entry in CHECKS.items():
        wanted = {f["subject_id"] for f in entry["findings"]}
        misses = {m["subject_id"] for m in entry["near_misses"]}
        assert wanted <= found[check_id], check_id
        assert not misses & found[check_id], check_id


def test_every_labelled_subject_is_listed(story: Emulator) -> None:
    inventory = story.inventory
    listed = {
        item.get("id")
        for name in ("users", "invites", "project_api_keys", "admin_api_keys")
        for items in inventory.lists[name].values()
        for item in items
    }
    for entry in CHECKS.values():
        for subject in (*entry["findings"], *entry["near_misses"]):
            assert subject["subject_id"] in listed, subject


def test_the_command_serves_the_story() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openai_audit_emulator",
            "--fixed-clock",
            "--port",
            "0",
            "--attack-story",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        story_events = len(_labelled_events()) + len(UNLABELLED)
        assert f"serving {len(default_events()) + story_events} events" in line, line
    finally:
        process.terminate()
        process.wait(timeout=10)

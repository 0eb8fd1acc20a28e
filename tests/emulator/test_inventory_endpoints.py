"""The inventory endpoints, judged by the official `openai` client and by plain HTTP.

The client pages through every list with small pages (strict validation against its own
models), and must see exactly what the emulator holds; the organization is the audit log's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
import requests
from openai import OpenAI

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator, Fault, default_events
from tests.emulator.helpers import control_url, get


def _client(emu: Emulator) -> OpenAI:
    # Strict: every page must match the client's own pydantic models.
    return OpenAI(
        admin_api_key=DEFAULT_ADMIN_KEY,
        base_url=emu.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def _ids(items: Iterable[Any]) -> list[str]:
    return [getattr(item, "id", None) or item.group_id for item in items]


def _truth(emu: Emulator, stream: str, *parents: str) -> list[str]:
    items = emu.inventory.items(stream, parents)
    assert items, f"{stream} {parents} must hold something, or the case proves nothing"
    return [str(item.get("id", item.get("group_id"))) for item in items]


Lister = Callable[[OpenAI, dict[str, str]], Iterable[Any]]
# (stream, parents it needs, how the client lists it, a page size that forces several pages)
CASES: list[tuple[str, tuple[str, ...], Lister, int]] = [
    ("users", (), lambda c, _: c.admin.organization.users.list(limit=5), 5),
    ("invites", (), lambda c, _: c.admin.organization.invites.list(limit=1), 1),
    (
        "projects",
        (),
        lambda c, _: c.admin.organization.projects.list(limit=2, include_archived=True),
        2,
    ),
    (
        "project_users",
        ("project",),
        lambda c, p: c.admin.organization.projects.users.list(p["project"], limit=7),
        7,
    ),
    (
        "project_service_accounts",
        ("project",),
        lambda c, p: c.admin.organization.projects.service_accounts.list(p["project"], limit=1),
        1,
    ),
    (
        "project_api_keys",
        ("project",),
        lambda c, p: c.admin.organization.projects.api_keys.list(
            p["project"], limit=1, owner_project_access="any"
        ),
        1,
    ),
    ("admin_api_keys", (), lambda c, _: c.admin.organization.admin_api_keys.list(limit=2), 2),
    ("certificates", (), lambda c, _: c.admin.organization.certificates.list(limit=1), 1),
    (
        "project_certificates",
        ("project",),
        lambda c, p: c.admin.organization.projects.certificates.list(p["project"], limit=1),
        1,
    ),
    (
        "project_rate_limits",
        ("project",),
        lambda c, p: c.admin.organization.projects.rate_limits.list_rate_limits(
            p["project"], limit=2
        ),
        2,
    ),
    ("groups", (), lambda c, _: c.admin.organization.groups.list(limit=2), 2),
    (
        "group_users",
        ("group",),
        lambda c, p: c.admin.organization.groups.users.list(p["group"], limit=3),
        3,
    ),
    (
        "group_roles",
        ("group",),
        lambda c, p: c.admin.organization.groups.roles.list(p["group"], limit=1),
        1,
    ),
    ("roles", (), lambda c, _: c.admin.organization.roles.list(limit=2), 2),
    (
        "user_roles",
        ("user",),
        lambda c, p: c.admin.organization.users.roles.list(p["user"], limit=1),
        1,
    ),
    (
        "project_groups",
        ("project",),
        lambda c, p: c.admin.organization.projects.groups.list(p["project"], limit=1),
        1,
    ),
    (
        "project_roles",
        ("project",),
        lambda c, p: c.admin.organization.projects.roles.list(p["project"], limit=2),
        2,
    ),
    (
        "project_user_roles",
        ("project", "user"),
        lambda c, p: c.admin.organization.projects.users.roles.list(
            p["user"], project_id=p["project"], limit=1
        ),
        1,
    ),
    (
        "project_group_roles",
        ("project", "group"),
        lambda c, p: c.admin.organization.projects.groups.roles.list(
            p["group"], project_id=p["project"], limit=1
        ),
        1,
    ),
]


def _parents(emu: Emulator) -> dict[str, str]:
    project = emu.inventory.items("projects")[0]["id"]  # type: ignore[index]
    groups = emu.inventory.items("project_groups", (project,)) or []
    return {
        "project": project,
        "user": emu.inventory.items("project_users", (project,))[0]["id"],  # type: ignore[index]
        "group": groups[0]["group_id"],
    }


@pytest.mark.parametrize(("stream", "needs", "lister", "limit"), CASES, ids=[c[0] for c in CASES])
def test_the_openai_client_pages_through_every_list(
    emulator: Emulator, stream: str, needs: tuple[str, ...], lister: Lister, limit: int
) -> None:
    parents = _parents(emulator)
    truth = _truth(emulator, stream, *(parents[need] for need in needs))
    before = emulator.data_request_count
    seen = _ids(lister(_client(emulator), parents))
    assert seen == truth
    requests_made = emulator.data_request_count - before
    assert requests_made >= len(truth) // limit, "small pages must take several requests"


def test_the_inventory_is_the_audit_logs_organization(emulator: Emulator) -> None:
    events = default_events()
    users = {user["id"] for user in emulator.inventory.items("users") or []}
    projects = {project["id"] for project in emulator.inventory.items("projects") or []}
    keys = {
        key["id"]
        for project in projects
        for key in emulator.inventory.items("project_api_keys", (project,)) or []
    }
    groups = {group["id"] for group in emulator.inventory.items("groups") or []}
    acting_users = {
        e["actor"]["session"]["user"]["id"] for e in events if e.get("actor", {}).get("session")
    }
    acting_keys = {e["actor"]["api_key"]["id"] for e in events if e.get("actor", {}).get("api_key")}
    created_keys = [e["api_key.created"]["id"] for e in events if e["type"] == "api_key.created"]
    # What was deleted is no longer listed: every other project and group named is.
    changed_groups = {
        e[e["type"]]["id"]
        for e in events
        if e["type"].startswith("group.") and e["type"] != "group.deleted"
    }
    assert acting_users <= users
    named = {
        e["project"]["id"] for e in events if "project" in e and e["type"] != "project.deleted"
    }
    assert named <= projects
    deleted = {e["project.deleted"]["id"] for e in events if e["type"] == "project.deleted"}
    assert deleted
    assert not deleted & projects
    assert acting_keys <= keys
    # Keys listed now were created once each; the other creations name keys deleted since.
    live_created = [key for key in created_keys if key in keys]
    assert live_created
    assert len(live_created) == len(set(live_created))
    assert changed_groups <= groups


def test_an_archived_projects_users_and_service_accounts_are_refused(emulator: Emulator) -> None:
    archived = next(
        p for p in emulator.inventory.items("projects") or [] if p["status"] == "archived"
    )
    for child in ("users", "service_accounts"):
        response = get(emulator, path=f"/organization/projects/{archived['id']}/{child}")
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Project is archived."
    keys = get(emulator, path=f"/organization/projects/{archived['id']}/api_keys")
    assert keys.status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/organization/users", {"limit": "0"}, 400),
        ("/organization/users", {"limit": "101"}, 400),
        ("/organization/groups", {"limit": "1001"}, 400),
        ("/organization/projects/nope/groups", {}, 404),
        ("/organization/projects", {"include_archived": "maybe"}, 400),
        ("/organization/groups", {"after": "group_made_up"}, 400),
    ],
)
def test_out_of_range_and_unknown_values_are_refused(
    emulator: Emulator, path: str, params: dict[str, str], status: int
) -> None:
    assert get(emulator, params, path=path).status_code == status


def test_filters_narrow_the_lists(emulator: Emulator) -> None:
    every = get(emulator, {"include_archived": "true"}, path="/organization/projects").json()
    active = get(emulator, path="/organization/projects").json()
    assert len(active["data"]) < len(every["data"])
    assert all(p["status"] == "active" for p in active["data"])
    email = emulator.inventory.items("users")[1]["email"]  # type: ignore[index]
    one = get(emulator, [("emails[]", email)], path="/organization/users").json()
    assert [user["email"] for user in one["data"]] == [email]
    project = emulator.inventory.items("projects")[1]["id"]  # type: ignore[index]
    path = f"/organization/projects/{project}/api_keys"
    every_key = get(emulator, {"owner_project_access": "any"}, path=path).json()["data"]
    visible = get(emulator, path=path).json()["data"]
    assert {k["owner_project_access"] for k in every_key} == {"active", "inactive"}
    assert all(k["owner_project_access"] == "active" for k in visible)


def test_the_bearer_check_and_faults_apply_to_every_list(emulator: Emulator) -> None:
    assert get(emulator, key=None, path="/organization/roles").status_code == 401
    assert get(emulator, key="sk-admin-wrong", path="/organization/roles").status_code == 401
    emulator.inject(Fault.status(429, retry_after="2"))
    limited = get(emulator, path="/organization/roles")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
    emulator.inject(Fault.repeat_cursor())
    repeated = get(emulator, {"limit": "1"}, path="/organization/roles").json()
    assert repeated["has_more"] is True
    assert get(emulator, {"limit": "1", "after": repeated["next"]}, path="/organization/roles")


def test_a_deleted_object_disappears_from_its_list(emulator: Emulator) -> None:
    project = emulator.inventory.items("projects")[0]["id"]  # type: ignore[index]
    key = emulator.inventory.items("project_api_keys", (project,))[0]["id"]  # type: ignore[index]
    response = requests.post(
        control_url(emulator, "inventory/delete"),
        json={"stream": "project_api_keys", "id": key, "parents": [project]},
        timeout=5,
    )
    assert response.status_code == 200
    listed = get(
        emulator, {"owner_project_access": "any"}, path=f"/organization/projects/{project}/api_keys"
    )
    assert key not in [k["id"] for k in listed.json()["data"]]
    with pytest.raises(KeyError):
        emulator.delete_object("project_api_keys", key, project)

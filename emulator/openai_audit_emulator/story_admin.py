"""The attack story's administration: the eleven other detections, planted beside near misses.

Days 5 to 8 of the story. ANITA, an organization owner, does the administration; the
credential sprawl, the deleted user and the defense-impairment sequence have actors of their
own. Single-event detections are planted once per type or severity they name, each its own
alert, next to types just outside their list. Day 8 also holds the bulk grant (grouping).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openai_audit_emulator.story_actors import (
    ADMIN_KEY,
    ANITA,
    ANNIE,
    BOB,
    BOB_KEY,
    IDA,
    JEAN,
    KURT,
    LYNN,
    MARY,
    ROBIN,
    RON,
    RON_KEY,
    SERVICE_ACCOUNT,
    SERVICE_KEY,
    SILVIO,
    SOPHIE,
    TONY,
    Log,
    at,
    failed,
    service_key,
    session,
    user_key,
)


@dataclass(frozen=True)
class Projects:
    """The organization's projects and roles the story uses, as events name them."""

    default: dict[str, str]  # where admin actions through API keys land (`id`, `name`)
    active: dict[str, str]  # a project that is not archived, with its own members
    archived: str = "proj_story_archived"  # an archived project's id
    owner_role: str = "role-api-organization-owner"  # the organization's owner role id
    reader_role: str = "role-api-organization-reader"  # the organization's reader role id
    project_owner_role: str = "role-api-project-owner"  # the active project's owner role id


# ANITA's acts on day 5, one every 62 minutes: each single-event match is more than a dedup
# period (60 minutes) from the next of her matches of the same detection, so each raises an
# alert of its own and shows its own severity.
_SLOT_MINUTES = 62


def slot(number: int, minutes: int = 0) -> int:
    """The moment of ANITA's `number`-th act on day 5 (plus `minutes`, for a near miss)."""
    return at(5, 0) + (number * _SLOT_MINUTES + minutes) * 60


def write_admin(log: Log, projects: Projects) -> None:
    """Write every administration scenario into `log`."""
    _api_call_logging_early(log)
    _owner_role(log, projects)
    _single_types(log)
    _rbac(log, projects)
    _checkpoints(log, projects)
    _api_call_logging_late(log, projects)
    _credential_sprawl(log, projects)
    _after_deletion(log, projects.active)
    _logging_then_privileged(log)
    _bulk_grant(log)


def _logging(value: dict[str, Any]) -> dict[str, Any]:
    return {"id": "org-story", "changes_requested": value}


def _api_call_logging_early(log: Log) -> None:
    admin = session(ANITA)
    # Planted: only the project list given: medium. Her owner grants follow within 24 hours,
    # yet no defense-impairment sequence: only a change rated high starts one.
    payload = _logging({"api_call_logging_project_ids": None})
    log.add("ac", "organization.updated", slot(0), actor=admin, payload=payload)
    # Planted: logging turned on for every project: info.
    payload = _logging({"api_call_logging": "enabled_for_all_projects"})
    log.add("ac", "organization.updated", slot(1), actor=admin, payload=payload)
    # Near miss: the older shape (settings nested) and the words only in a value.
    changes: dict[str, Any] = {"description": "api_call_logging stays as it is"}
    changes["settings"] = {
        "threads_ui_visibility": "OWNERS",
        "usage_dashboard_visibility": "OWNERS",
    }
    log.add("acn", "organization.updated", slot(1, 30), actor=admin, payload=_logging(changes))


def _api_call_logging_late(log: Log, projects: Projects) -> None:
    admin = session(ANITA)
    # Planted, after every privileged act of hers: logging disabled (high), then a value the
    # documentation does not list (high), then logging per call (medium).
    for number, value in ((21, "disabled"), (22, "audit_only"), (23, "enabled_per_call")):
        payload = _logging({"api_call_logging": value})
        log.add("ac", "organization.updated", slot(number), actor=admin, payload=payload)
    # Near miss: the key in a project's changes: a type the detection does not name.
    payload = {
        "id": projects.active["id"],
        "changes_requested": {"title": "Search", "api_call_logging": "disabled"},
    }
    log.add(
        "acn",
        "project.updated",
        slot(21, 30),
        actor=admin,
        project=projects.active,
        payload=payload,
    )


def _owner_role(log: Log, projects: Projects) -> None:
    admin = session(ANITA)
    # Planted: the role under `changes_requested`, padded and capitalized, from a session: high.
    payload = {"id": MARY.id, "changes_requested": {"role": " Owner "}}
    log.add("or", "user.updated", slot(2), actor=admin, payload=payload)
    # Planted: the role under `data`, upper case, through an admin key (which carries the
    # default project, as the API attaches it to admin actions done with keys): critical.
    payload = {"id": LYNN.id, "data": {"role": "OWNER"}}
    actor = user_key(ADMIN_KEY, ANITA)
    log.add("or", "user.added", slot(3), actor=actor, project=projects.default, payload=payload)
    # Planted: an invitation as owner, from a session: high.
    payload = {
        "id": "invite-story-owner",
        "data": {"email": "new.owner@example.com", "role": "owner"},
    }
    log.add("or", "invite.sent", slot(4), actor=admin, payload=payload)
    # Near miss: `changes_requested.role` wins over `data.role`.
    payload = {"id": BOB.id, "changes_requested": {"role": "member"}, "data": {"role": "owner"}}
    log.add("orn", "user.updated", slot(2, 20), actor=admin, payload=payload)
    # Near miss: a service account made owner: a type the detection does not name.
    payload = {"id": SERVICE_ACCOUNT, "changes_requested": {"role": "owner"}}
    log.add(
        "orn",
        "service_account.updated",
        slot(2, 30),
        actor=admin,
        project=projects.active,
        payload=payload,
    )
    # Near miss: a role that only contains the word.
    payload = {
        "id": "invite-story-coowner",
        "data": {"email": "co.owner@example.com", "role": "co-owner"},
    }
    log.add("orn", "invite.sent", slot(4, 30), actor=admin, payload=payload)


_NEW_KEY = {"id": "key_story_admin_new", "details": {"name": "CI admin", "scopes": ["all"]}}
_OFFICE = {"id": "ipal_story", "name": "office", "allowed_ips": ["192.0.2.0/24"]}
_CONFIGS = {"configs": [{"id": "ipal_story", "name": "office"}]}
_SSO = {"id": "sso_story_okta", "details": {"provider": "okta"}}
# (tag, type, slot, minutes into it, payload), all by ANITA's session on day 5. Planted (`aa`,
# `ip`, `sc`, `sso`): every type a single-event detection names, each raising its own
# severity. Near misses (`aan`, `ipn`, `scn`, `sson`): types just outside the lists, among
# them one the API does not send yet (`ip_allowlist.config.updated`).
_SINGLE_TYPES: tuple[tuple[str, str, int, int, dict[str, Any]], ...] = (
    ("aa", "tenant.admin_api_key.created", 5, 0, _NEW_KEY),
    ("aan", "tenant.admin_api_key.updated", 5, 10, _NEW_KEY),
    ("aan", "tenant.admin_api_key.deleted", 5, 20, {"id": "key_story_admin_gone", "details": {}}),
    ("ip", "ip_allowlist.created", 6, 0, _OFFICE),
    ("ip", "ip_allowlist.updated", 7, 0, {"id": "ipal_story", "allowed_ips": ["0.0.0.0/0"]}),
    ("ip", "ip_allowlist.config.activated", 8, 0, _CONFIGS),
    ("ip", "ip_allowlist.config.deactivated", 9, 0, _CONFIGS),
    ("ip", "ip_allowlist.deleted", 10, 0, _OFFICE),
    ("ipn", "ip_allowlist.config.updated", 10, 20, _CONFIGS),
    ("sc", "scim.disabled", 11, 0, {"id": "scim_story"}),
    ("sc", "scim.enabled", 12, 0, {"id": "scim_story"}),
    ("scn", "tenant.scim.setup.started", 12, 20, {"id": "scim_story", "details": {}}),
    ("scn", "tenant.scim.directory.created", 12, 25, {"id": "scim_story", "details": {}}),
    ("sso", "tenant.sso_connection.created", 13, 0, _SSO),
    ("sso", "tenant.sso_connection.updated", 14, 0, _SSO),
    ("sso", "tenant.sso_connection.deleted", 15, 0, _SSO),
    ("sson", "tenant.sso_connection.setup.started", 15, 20, _SSO),
    ("sson", "tenant.sso.migrated", 15, 30, _SSO),
)  # fmt: skip


def _single_types(log: Log) -> None:
    for tag, event_type, number, minutes, payload in _SINGLE_TYPES:
        log.add(tag, event_type, slot(number, minutes), actor=session(ANITA), payload=payload)


_ORGANIZATION = "org-story"


def _assignment(role: str, resource_type: str, resource: str, principal: str) -> dict[str, Any]:
    # The only place the event names the role: the assignment id, as Panther's tests write it.
    slug = resource_type.replace(".", "-")
    return {
        "id": f"role_assignment_{role}__{slug}__{resource}_{principal}",
        "principal_id": principal,
        "principal_type": "user",
        "resource_id": resource,
        "resource_type": resource_type,
    }


def _rbac(log: Log, projects: Projects) -> None:
    admin = session(ANITA)
    org = "api.organization"
    # Planted: the snapshot's owner role (found by its name): high.
    payload = _assignment(projects.owner_role, org, _ORGANIZATION, IDA.id)
    log.add("rb", "role.assignment.created", slot(16), actor=admin, payload=payload)
    # Planted: a role the snapshot lacks whose id says owner (Panther's example): high.
    payload = _assignment("role-api-organization-owner", org, _ORGANIZATION, SOPHIE.id)
    log.add("rb", "role.assignment.created", slot(17), actor=admin, payload=payload)
    # Planted: the snapshot's reader role: medium.
    payload = _assignment(projects.reader_role, org, _ORGANIZATION, LYNN.id)
    log.add("rb", "role.assignment.created", slot(18), actor=admin, payload=payload)
    # Planted: a role found nowhere, whose id does not say owner: "unknown", medium.
    payload = _assignment("role_STORYUNKNOWN01", org, _ORGANIZATION, BOB.id)
    log.add("rb", "role.assignment.created", slot(19), actor=admin, payload=payload)
    # Near miss: the project's owner role, on a project: not an organization resource.
    active = projects.active["id"]
    payload = _assignment(projects.project_owner_role, "api.project", active, BOB.id)
    log.add(
        "rbn",
        "role.assignment.created",
        slot(19, 20),
        actor=admin,
        project=projects.active,
        payload=payload,
    )
    # Near miss: the owner role taken away: a type the detection does not name.
    payload = _assignment(projects.owner_role, org, _ORGANIZATION, IDA.id)
    log.add("rbn", "role.assignment.deleted", slot(19, 30), actor=admin, payload=payload)


def _checkpoint(project_id: str) -> dict[str, Any]:
    return {
        "id": f"cp_perm_story_{project_id[-6:]}",
        "data": {
            "project_id": project_id,
            "fine_tuned_model_checkpoint": "ft:gpt-4o-mini:example::story:ckpt-step-100",
        },
    }


def _checkpoints(log: Log, projects: Projects) -> None:
    admin = session(ANITA)
    # Planted: a checkpoint shared with a project that is not the organization's: high.
    payload = _checkpoint("proj_story_elsewhere")
    log.add("cp", "checkpoint.permission.created", slot(20), actor=admin, payload=payload)
    # Near misses: shared with a live project and with an archived one, both the organization's.
    for minutes, project in ((20, projects.active["id"]), (30, projects.archived)):
        log.add(
            "cpn",
            "checkpoint.permission.created",
            slot(20, minutes),
            actor=admin,
            payload=_checkpoint(project),
        )


def _key(key_id: str, scope: str = "api.model.request") -> dict[str, Any]:
    return {"id": key_id, "data": {"scopes": [scope]}}


def _account(account_id: str) -> dict[str, Any]:
    return {"id": account_id, "data": {"role": "member"}}


def _credential_sprawl(log: Log, projects: Projects) -> None:
    # Planted: a CI service account's key creates ten objects through all four types, the
    # first and the tenth exactly 60 minutes apart; one payload has no id (the event's counts).
    ci = service_key(SERVICE_KEY, SERVICE_ACCOUNT)
    active = projects.active
    created = [
        ("api_key.created", active, _key("key_story_ci_01")),
        ("api_key.created", active, _key("key_story_ci_02")),
        ("service_account.created", active, _account("svc_acct_story_ci_a")),
        ("tenant.project_api_key.created", None, {"id": "key_story_ci_03", "details": {}}),
        ("api_key.created", active, _key("key_story_ci_04", "api.files.write")),
        ("tenant.project_api_key.created", None, {"details": {"name": "deploy"}}),
        ("service_account.created", active, _account("svc_acct_story_ci_b")),
        ("api_key.created", active, _key("key_story_ci_05", "api.model.read")),
        ("tenant.admin_api_key.created", None, {"id": "key_story_ci_admin", "details": {}}),
        ("api_key.created", active, _key("key_story_ci_06", "api.model.read")),
    ]
    for k, (event_type, project, payload) in enumerate(created):
        log.add("cr", event_type, at(6, 2) + 400 * k, actor=ci, project=project, payload=payload)
    # Near miss: eleven creations in 50 minutes naming nine objects (two keys seen again in
    # the tenant scope).
    bob, default = user_key(BOB_KEY, BOB), projects.default
    names = [f"key_story_bob_0{n}" for n in range(1, 8)]
    repeated = [
        *(("api_key.created", default, _key(name)) for name in names),
        *(("tenant.project_api_key.created", None, {"id": name}) for name in names[:2]),
        ("service_account.created", default, _account("svc_acct_story_bob_a")),
        ("service_account.created", default, _account("svc_acct_story_bob_b")),
    ]
    for k, (event_type, project, payload) in enumerate(repeated):
        log.add("cra", event_type, at(6, 6, 5 * k), actor=bob, project=project, payload=payload)
    # Near miss: ten objects, the tenth one minute too late (at most nine in any 60 minutes).
    sophie = session(SOPHIE)
    moments = [at(6, 10) + 400 * k for k in range(9)] + [at(6, 11, 1)]
    for k, moment in enumerate(moments, start=1):
        payload = _key(f"key_story_sophie_{k:02d}")
        log.add("crb", "api_key.created", moment, actor=sophie, project=active, payload=payload)


def _after_deletion(log: Log, project: dict[str, str]) -> None:
    admin = session(ANITA)
    ron = session(RON)
    ron_key = user_key(RON_KEY, RON)
    # Planted: RON is deleted; in the same second his session changes a project (not
    # after); he fails a login and logs out (not counted); an hour later his key acts.
    log.add("ad", "login.succeeded", at(7, 9, 30), actor=ron)
    log.add("ad", "user.deleted", at(7, 10), actor=admin, payload={"id": RON.id})
    log.add(
        "ad",
        "project.updated",
        at(7, 10),
        actor=ron,
        project=project,
        payload={"id": project["id"], "changes_requested": {"title": "tmp"}},
    )
    log.add("ad", "login.failed", at(7, 10, 30), actor=ron, payload=failed())
    log.add("ad", "logout.succeeded", at(7, 10, 31), actor=ron)
    log.add(
        "ad",
        "api_key.updated",
        at(7, 11),
        actor=ron_key,
        payload={"id": RON_KEY, "changes_requested": {"scopes": ["api.model.request"]}},
    )
    log.add(
        "ad",
        "api_key.created",
        at(7, 11, 5),
        actor=ron_key,
        payload={"id": "key_story_ron_2", "data": {"scopes": ["api.model.request"]}},
    )
    # Near miss: SILVIO is deleted, added back ten minutes later, then acts.
    log.add("ada", "user.deleted", at(7, 14), actor=admin, payload={"id": SILVIO.id})
    log.add(
        "ada",
        "user.added",
        at(7, 14, 10),
        actor=admin,
        payload={"id": SILVIO.id, "data": {"role": "reader"}},
    )
    log.add(
        "ada",
        "project.updated",
        at(7, 15),
        actor=session(SILVIO),
        project=project,
        payload={"id": project["id"], "changes_requested": {"title": "back"}},
    )
    # Near miss: after ANNIE's deletion only a failed login and logouts.
    annie = session(ANNIE)
    log.add("adb", "user.deleted", at(7, 18), actor=admin, payload={"id": ANNIE.id})
    log.add("adb", "login.failed", at(7, 18, 30), actor=annie, payload=failed())
    log.add("adb", "logout.succeeded", at(7, 18, 40), actor=annie)
    log.add(
        "adb",
        "logout.failed",
        at(7, 18, 45),
        actor=annie,
        payload={
            "error_code": "session_not_found",
            "error_message": "The session had already ended",
        },
    )
    # Near miss: JEAN acts an hour before her deletion and in its very second, never after.
    jean = session(JEAN)
    log.add(
        "adc",
        "project.updated",
        at(7, 19),
        actor=jean,
        project=project,
        payload={"id": project["id"], "changes_requested": {"title": "before"}},
    )
    log.add("adc", "user.deleted", at(7, 20), actor=admin, payload={"id": JEAN.id})
    log.add(
        "adc",
        "project.updated",
        at(7, 20),
        actor=jean,
        project=project,
        payload={"id": project["id"], "changes_requested": {"title": "during"}},
    )


def _logging_then_privileged(log: Log) -> None:
    # Planted: TONY disables API-call logging, then creates an admin key an hour later: the
    # defense-impairment sequence (critical), besides the two single-event alerts.
    log.add(
        "ldp",
        "organization.updated",
        at(8, 0, 30),
        actor=session(TONY),
        payload=_logging({"api_call_logging": "disabled"}),
    )
    log.add(
        "ldp",
        "tenant.admin_api_key.created",
        at(8, 1, 30),
        actor=session(TONY),
        payload={"id": "key_story_admin_tony", "details": {"name": "ops"}},
    )
    # Near miss: KURT, another person, creates an admin key a quarter of an hour after.
    log.add(
        "ldpa",
        "tenant.admin_api_key.created",
        at(8, 1, 45),
        actor=session(KURT),
        payload={"id": "key_story_admin_kurt", "details": {"name": "billing"}},
    )
    # Near miss: ROBIN disables logging and creates an admin key 24 hours and a minute later.
    log.add(
        "ldpb",
        "organization.updated",
        at(7, 0, 0),
        actor=session(ROBIN),
        payload=_logging({"api_call_logging": "disabled"}),
    )
    log.add(
        "ldpb",
        "tenant.admin_api_key.created",
        at(8, 0, 1),
        actor=session(ROBIN),
        payload={"id": "key_story_admin_robin", "details": {"name": "exports"}},
    )


BULK_GRANTS = 20


def _bulk_grant(log: Log) -> None:
    # Planted (grouping): ANITA's admin key invites 20 owners in one second, as a bulk sync
    # would: one critical alert holding the 20 grants, not 20 alerts.
    actor = user_key(ADMIN_KEY, ANITA)
    for number in range(1, BULK_GRANTS + 1):
        payload = {
            "id": f"invite-story-bulk-{number:02d}",
            "data": {"email": f"bulk.owner.{number:02d}@example.com", "role": "owner"},
        }
        log.add("bg", "invite.sent", at(8, 12), actor=actor, payload=payload)

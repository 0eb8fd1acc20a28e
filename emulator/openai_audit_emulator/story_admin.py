"""The attack story's administration: the eight other detections, planted beside near misses.

Days 5 to 7 of the story. ANITA, an organization owner, does the administration; the
credential sprawl and the deleted user have actors of their own. Single-event detections are
planted once per type they name (with its severity), next to types just outside their list.
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
    JEAN,
    LYNN,
    MARY,
    RON,
    RON_KEY,
    SERVICE_ACCOUNT,
    SERVICE_KEY,
    SILVIO,
    SOPHIE,
    Log,
    at,
    failed,
    service_key,
    session,
    user_key,
)


@dataclass(frozen=True)
class Projects:
    """The organization's projects the story uses, as events name them (`id`, `name`)."""

    default: dict[str, str]  # where admin actions through API keys land
    active: dict[str, str]  # a project that is not archived, with its own members


def write_admin(log: Log, projects: Projects) -> None:
    """Write every administration scenario into `log`."""
    _owner_role(log, projects)
    _single_types(log)
    _api_call_logging(log, projects)
    _credential_sprawl(log, projects)
    _after_deletion(log, projects.active)


def _owner_role(log: Log, projects: Projects) -> None:
    admin = session(ANITA)
    # Planted: the role under `changes_requested`, padded and capitalized; no project: high.
    payload = {"id": MARY.id, "changes_requested": {"role": " Owner "}}
    log.add("or", "user.updated", at(5, 9), actor=admin, payload=payload)
    # Planted: the role under `data`, upper case, through an admin key (the default
    # project, as the API attaches to admin actions done with keys): medium.
    payload = {"id": LYNN.id, "data": {"role": "OWNER"}}
    actor = user_key(ADMIN_KEY, ANITA)
    log.add(
        "or", "user.added", at(5, 9, 10), actor=actor, project=projects.default, payload=payload
    )
    # Planted: an invitation as owner: high.
    payload = {
        "id": "invite-story-owner",
        "data": {"email": "new.owner@example.com", "role": "owner"},
    }
    log.add("or", "invite.sent", at(5, 9, 20), actor=admin, payload=payload)
    # Near miss: `changes_requested.role` wins over `data.role`.
    payload = {"id": BOB.id, "changes_requested": {"role": "member"}, "data": {"role": "owner"}}
    log.add("orn", "user.updated", at(5, 9, 30), actor=admin, payload=payload)
    # Near miss: a service account made owner: a type the detection does not name.
    payload = {"id": SERVICE_ACCOUNT, "changes_requested": {"role": "owner"}}
    log.add(
        "orn",
        "service_account.updated",
        at(5, 9, 40),
        actor=admin,
        project=projects.active,
        payload=payload,
    )
    # Near miss: a role that only contains the word.
    payload = {
        "id": "invite-story-coowner",
        "data": {"email": "co.owner@example.com", "role": "co-owner"},
    }
    log.add("orn", "invite.sent", at(5, 9, 50), actor=admin, payload=payload)


_NEW_KEY = {"id": "key_story_admin_new", "details": {"name": "CI admin", "scopes": ["all"]}}
_OFFICE = {"id": "ipal_story", "name": "office", "allowed_ips": ["192.0.2.0/24"]}
_CONFIGS = {"configs": [{"id": "ipal_story", "name": "office"}]}
_SSO = {"id": "sso_story_okta", "details": {"provider": "okta"}}
# (tag, type, hour, minute, payload), all by ANITA's session on day 5. Planted (`aa`, `ip`,
# `sc`, `sso`): every type a single-event detection names, each raising its own severity.
# Near misses (`aan`, `ipn`, `scn`, `sson`): types just outside the lists, among them one the
# API does not send yet (`ip_allowlist.config.updated`).
_SINGLE_TYPES: tuple[tuple[str, str, int, int, dict[str, Any]], ...] = (
    ("aa", "tenant.admin_api_key.created", 11, 0, _NEW_KEY),
    ("aan", "tenant.admin_api_key.updated", 11, 10, _NEW_KEY),
    ("aan", "tenant.admin_api_key.deleted", 11, 20, {"id": "key_story_admin_gone", "details": {}}),
    ("ip", "ip_allowlist.created", 13, 0, _OFFICE),
    ("ip", "ip_allowlist.updated", 13, 5, {"id": "ipal_story", "allowed_ips": ["0.0.0.0/0"]}),
    ("ip", "ip_allowlist.config.activated", 13, 10, _CONFIGS),
    ("ip", "ip_allowlist.config.deactivated", 13, 15, _CONFIGS),
    ("ip", "ip_allowlist.deleted", 13, 20, _OFFICE),
    ("ipn", "ip_allowlist.config.updated", 13, 25, _CONFIGS),
    ("sc", "scim.disabled", 15, 0, {"id": "scim_story"}),
    ("sc", "scim.enabled", 15, 10, {"id": "scim_story"}),
    ("scn", "tenant.scim.setup.started", 15, 20, {"id": "scim_story", "details": {}}),
    ("scn", "tenant.scim.directory.created", 15, 25, {"id": "scim_story", "details": {}}),
    ("sso", "tenant.sso_connection.created", 17, 0, _SSO),
    ("sso", "tenant.sso_connection.updated", 17, 10, _SSO),
    ("sso", "tenant.sso_connection.deleted", 17, 20, _SSO),
    ("sson", "tenant.sso_connection.setup.started", 17, 30, _SSO),
    ("sson", "tenant.sso.migrated", 17, 40, _SSO),
)  # fmt: skip


def _single_types(log: Log) -> None:
    for tag, event_type, hour, minute, payload in _SINGLE_TYPES:
        log.add(tag, event_type, at(5, hour, minute), actor=session(ANITA), payload=payload)


def _api_call_logging(log: Log, projects: Projects) -> None:
    admin = session(ANITA)
    # Planted: the key present, whatever its value (null included).
    payload = {"id": "org-story", "changes_requested": {"api_call_logging": "disabled"}}
    log.add("ac", "organization.updated", at(5, 16), actor=admin, payload=payload)
    payload = {"id": "org-story", "changes_requested": {"api_call_logging_project_ids": None}}
    log.add("ac", "organization.updated", at(5, 16, 10), actor=admin, payload=payload)
    # Near miss: the older shape (settings nested) and the words only in a value.
    changes: dict[str, Any] = {"description": "api_call_logging stays as it is"}
    changes["settings"] = {
        "threads_ui_visibility": "OWNERS",
        "usage_dashboard_visibility": "OWNERS",
    }
    log.add(
        "acn",
        "organization.updated",
        at(5, 16, 20),
        actor=admin,
        payload={"id": "org-story", "changes_requested": changes},
    )
    # Near miss: the key in a project's changes: a type the detection does not name.
    payload = {
        "id": projects.active["id"],
        "changes_requested": {"title": "Search", "api_call_logging": "disabled"},
    }
    log.add(
        "acn",
        "project.updated",
        at(5, 16, 30),
        actor=admin,
        project=projects.active,
        payload=payload,
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

"""How an ordinary organization behaves: which events happen how often, by whom, with what.

The generator draws event types by these weights, after one event of every type (so that
every type is served). In the default organization (3,000 events over 30 days) a weight comes
out as about 1.16 events a month: sign-ins and key use are most of it; keys, projects and
memberships change weekly; the events a detection watches happen once a month, each a
plausible act of one of the organization's owners, and never by the weighted draw.
`docs/emulator.md` shows the table `weights_table()` renders (a test keeps them equal).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openai_audit_emulator.actors import Organization, pick_actor
from openai_audit_emulator.catalog import event_types
from openai_audit_emulator.inventory import build_inventory

if TYPE_CHECKING:
    import random
    from collections.abc import Mapping

# (family, weight per type, types). Every type of the catalog not named here is "other
# administration", weight `_OTHER_WEIGHT`; the watched types have weight 0 (see `WATCHED`).
_SIGN_IN = (
    ("login.succeeded", 900),
    ("logout.succeeded", 560),
    # Occasional and scattered: about three a month per person, never a run for one person.
    ("login.failed", 45),
    ("logout.failed", 5),
)
_KEY_USE = (
    ("tenant.workload_identity.access_token.issued", 420),
    ("tenant.user.looked_up", 120),
    ("tenant.principal_authentication_policy.resolved", 120),
)
_WEEKLY = 5
_WEEKLY_TYPES = (
    "api_key.created",
    "api_key.updated",
    "api_key.deleted",
    "tenant.project_api_key.created",
    "project.created",
    "project.updated",
    "service_account.created",
    "service_account.updated",
    "service_account.deleted",
    "user.added",
    "user.updated",
    "invite.sent",
    "invite.accepted",
    "invite.deleted",
    "group.updated",
    "tenant.group.member.added",
    "tenant.group.member.removed",
    "tenant.user.added",
    "tenant.user.updated",
    "role.assignment.created",
    "role.assignment.deleted",
    "rate_limit.updated",
    "checkpoint.permission.created",
)
_OTHER_WEIGHT = 1
# The types a detection reads (and their companions in a scene): exactly one event each per
# generated set, placed by `SCENES` or `PLANNED`, never drawn by weight.
WATCHED = frozenset(
    {
        "ip_allowlist.created",
        "ip_allowlist.updated",
        "ip_allowlist.deleted",
        "ip_allowlist.config.activated",
        "ip_allowlist.config.deactivated",
        "scim.enabled",
        "scim.disabled",
        "tenant.scim.setup.started",
        "tenant.scim.directory.created",
        "tenant.sso_connection.created",
        "tenant.sso_connection.updated",
        "tenant.sso_connection.deleted",
        "tenant.sso_connection.setup.started",
        "tenant.admin_api_key.created",
        "organization.updated",
        "user.deleted",
    }
)

# Scenes: watched types one owner does together, minutes apart (type, minutes after the start).
SCENES: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    (
        "the office allow-list is replaced by a new one",
        (
            ("ip_allowlist.created", 0),
            ("ip_allowlist.updated", 2),
            ("ip_allowlist.config.activated", 4),
            ("ip_allowlist.config.deactivated", 5),
            ("ip_allowlist.deleted", 7),
        ),
    ),
    (
        "the SCIM directory is reconnected",
        (
            ("scim.disabled", 0),
            ("tenant.scim.setup.started", 3),
            ("tenant.scim.directory.created", 9),
            ("scim.enabled", 12),
        ),
    ),
    (
        "the SSO connection's certificate is rotated",
        (
            ("tenant.sso_connection.setup.started", 0),
            ("tenant.sso_connection.created", 6),
            ("tenant.sso_connection.updated", 10),
            ("tenant.sso_connection.deleted", 15),
        ),
    ),
)
SCENE_SECONDS = 3600  # every scene ends within the hour it starts
# One person's VPN, once a month: a sign-in at home, one through a VPN exit in another city 10
# minutes later, and home again 2 minutes after that (the minutes of three sign-ins).
VPN_MINUTES = (0, 10, 12)
_VPN_ADDRESS = "198.51.100.250"

# The one-of-every-type event of these types gets the named act (`adjust`).
PLANNED = {
    "user.updated": "owner_grant",  # the second owner is made owner, by the first
    "role.assignment.created": "organization_reader",  # a reader role at organization level
    "organization.updated": "logging_for_all_projects",
    "tenant.admin_api_key.created": "admin_key",
    # The scenes name one object throughout: the new list or connection, then the old one.
    "ip_allowlist.created": "new",
    "ip_allowlist.updated": "new",
    "ip_allowlist.config.activated": "new",
    "ip_allowlist.config.deactivated": "old",
    "ip_allowlist.deleted": "old",
    "scim.disabled": "new",
    "scim.enabled": "new",
    "tenant.sso_connection.created": "new",
    "tenant.sso_connection.updated": "new",
    "tenant.sso_connection.deleted": "old",
}

# Who acts: types done by an organization owner's session, by a key, or by anyone's session.
_OWNER_PREFIXES = (
    "user.",
    "invite.",
    "group.",
    "organization.",
    "ip_allowlist.",
    "scim.",
    "role.",
    "certificate",
    "external_",
    "tenant.sso",
    "tenant.scim",
    "tenant.admin_api_key.",
    "tenant.group.",
    "tenant.user.added",
    "tenant.user.updated",
    "tenant.user.removed",
)
_SESSION_TYPES = frozenset(name for name, _ in _SIGN_IN)
_SERVICE_KEY_TYPES = frozenset({"tenant.workload_identity.access_token.issued"})
_USER_KEY_TYPES = frozenset(
    {
        "tenant.user.looked_up",
        "tenant.principal_authentication_policy.resolved",
    }
)
_OWNERS = 2  # the inventory's first users are the organization's owners
_ORG_ROLES_READER = "reader"


@dataclass(frozen=True)
class Family:
    """A row of the weights table: a family of types and the weight of each of its types."""

    name: str
    types: tuple[str, ...]
    weights: tuple[int, ...]


@functools.cache
def families() -> tuple[Family, ...]:
    """The families of event types and their weights, covering the catalog once."""
    named = {name for name, _ in (*_SIGN_IN, *_KEY_USE)} | set(_WEEKLY_TYPES) | WATCHED
    other = tuple(t for t in event_types() if t not in named)
    return (
        Family("sign-in", *_split(_SIGN_IN)),
        Family("key and token use", *_split(_KEY_USE)),
        Family("keys, projects, memberships", _WEEKLY_TYPES, tuple(_WEEKLY for _ in _WEEKLY_TYPES)),
        Family("other administration", other, tuple(_OTHER_WEIGHT for _ in other)),
        Family("watched", tuple(sorted(WATCHED)), tuple(0 for _ in WATCHED)),
    )


def _split(pairs: tuple[tuple[str, int], ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    return tuple(name for name, _ in pairs), tuple(weight for _, weight in pairs)


@functools.cache
def type_weights() -> dict[str, int]:
    """The weight of every type of the catalog in the draw after the one-of-each block."""
    return {
        t: w for family in families() for t, w in zip(family.types, family.weights, strict=True)
    }


def family_of(event_type: str) -> str:
    """The family a type belongs to ("other administration" for a type the catalog lacks)."""
    for family in families():
        if event_type in family.types:
            return family.name
    return "other administration"


def weights_table() -> str:
    """The Markdown table of the weights, as `docs/emulator.md` shows it."""
    total = sum(type_weights().values())
    lines = [
        "| family | types | weight of each type | share of the weighted draw |",
        "|---|---|---|---|",
    ]
    for family in families():
        if family.name == "watched":
            shown, each = ", ".join(f"`{t}`" for t in family.types), "0 (one each)"
        elif family.name == "keys, projects, memberships":
            shown, each = ", ".join(f"`{t}`" for t in family.types), str(family.weights[0])
        elif len(set(family.weights)) > 1:
            shown = ", ".join(
                f"`{t}` {w}" for t, w in zip(family.types, family.weights, strict=True)
            )
            each = "as listed"
        else:  # every other type of the catalog
            shown, each = f"the other {len(family.types)} types", str(family.weights[0])
        share = sum(family.weights) / total
        lines.append(f"| {family.name} | {shown} | {each} | {share:.1%} |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Context:
    """What the payloads of an ordinary month name besides the organization's pools."""

    org_roles: Mapping[str, str]  # organization role name -> id
    project_roles: Mapping[str, str]  # project id -> the id of its `member` role
    live_projects: tuple[dict[str, str], ...]  # not archived
    archived_projects: tuple[dict[str, str], ...]


def context_for(org: Organization) -> Context:
    """The inventory's roles and live projects, as the payloads name them."""
    # The inventory's ids follow the organization alone (its times follow `now`, unused here).
    inventory = build_inventory(org, now=0)
    roles = {role["name"]: role["id"] for role in inventory.lists["roles"][()]}
    members = {
        parents[0]: next(r["id"] for r in items if r["name"] == "member")
        for parents, items in inventory.lists["project_roles"].items()
    }
    archived = {p["id"] for p in inventory.lists["projects"][()] if p["status"] == "archived"}
    return Context(
        org_roles=roles,
        project_roles=members,
        live_projects=tuple(p for p in org.projects if p["id"] not in archived) or org.projects,
        archived_projects=tuple(p for p in org.projects if p["id"] in archived),
    )


def pick_actor_for(
    rng: random.Random, org: Organization, event_type: str, plan: str | None = None
) -> dict[str, Any] | None:
    """Who does an event of this type.

    A session for sign-ins, a key for key use, an owner's session for the organization's
    administration, anyone otherwise.
    """
    if plan == "owner_grant":
        return rng.choice(owner_sessions(org)[:2])  # the first owner's two sessions
    if event_type in _SESSION_TYPES:
        return rng.choice(org.sessions)
    if event_type in _SERVICE_KEY_TYPES and org.service_keys:
        return rng.choice(org.service_keys)
    if event_type in _USER_KEY_TYPES and org.user_keys:
        return rng.choice(org.user_keys)
    if event_type.startswith(_OWNER_PREFIXES):
        return rng.choice(owner_sessions(org))
    return pick_actor(rng, org)


def vpn_sessions(org: Organization) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The last person's home session and the same session seen through a VPN exit elsewhere.

    None when no other city is in the organization (nothing to travel to).
    """
    home = org.sessions[-1] if org.sessions else None
    if home is None:
        return None
    here = home["session"]["ip_address_details"]
    elsewhere = next(
        (
            s["session"]["ip_address_details"]
            for s in org.sessions
            if s["session"]["ip_address_details"]["city"] != here["city"]
        ),
        None,
    )
    if elsewhere is None:
        return None
    session = {**home["session"], "ip_address": _VPN_ADDRESS, "ip_address_details": elsewhere}
    return home, {"type": "session", "session": session}


def owner_sessions(org: Organization) -> tuple[dict[str, Any], ...]:
    """The sessions of the organization's owners (the inventory's first users)."""
    owners = {user["id"] for user in org.users[:_OWNERS]}
    found = tuple(s for s in org.sessions if s["session"]["user"]["id"] in owners)
    return found or org.sessions


def _hex(rng: random.Random, digits: int = 24) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def organization_id(org: Organization) -> str:
    """The organization's id as its events name it (derived from its first project)."""
    first = org.projects[0]["id"].removeprefix("proj_") if org.projects else "0" * 24
    return f"org-{first}"


def adjust(  # noqa: PLR0913, PLR0917 - the event's parts and the month's context
    event_type: str,
    payload: dict[str, Any],
    rng: random.Random,
    org: Organization,
    project: dict[str, str] | None,
    plan: str | None,
    context: Context,
) -> dict[str, Any]:
    """Make a payload the plausible act of an ordinary month (in place; returned).

    Roles granted are readers' (owner only in the planned grant), a deleted user is one who
    no longer acts, a checkpoint is shared with a live project, a role assignment names a
    role of the inventory, and the organization's settings change without touching logging
    (but in the planned change, which turns logging on for every project).
    """
    if event_type in {"user.added", "user.updated", "user.deleted", "invite.sent"}:
        _people(event_type, payload, rng, org, plan)
    elif event_type == "organization.updated":
        changes = {"title": f"Example Org {rng.randrange(10)}"}
        if plan == "logging_for_all_projects":
            changes = {"api_call_logging": "enabled_for_all_projects"}
        payload.update(id=organization_id(org), changes_requested=changes)
    elif event_type in {"role.assignment.created", "role.assignment.deleted"}:
        payload.update(_role_assignment(rng, org, context, project, plan))
    elif event_type in {"group.deleted", "service_account.deleted"}:
        # Someone else's, no longer listed: the inventory's groups and accounts still act.
        prefix = "group_" if event_type == "group.deleted" else "svc_acct_"
        payload["id"] = f"{prefix}{_hex(rng)}"
    elif event_type == "checkpoint.permission.created":
        payload["data"]["project_id"] = rng.choice(context.live_projects)["id"]
    elif plan in {"new", "old"}:
        _name_the_object(event_type, payload, org, plan)
    elif event_type == "tenant.admin_api_key.created":
        payload["details"] = {"name": "SCIM provisioning", "target_user_id": org.users[0]["id"]}
    return payload


def _people(
    event_type: str,
    payload: dict[str, Any],
    rng: random.Random,
    org: Organization,
    plan: str | None,
) -> None:
    users = org.users[_OWNERS:] or org.users
    if event_type in {"user.added", "user.updated"}:
        target = org.users[1] if plan == "owner_grant" and len(org.users) > 1 else None
        payload["id"] = (target or rng.choice(users))["id"]
        section = "data" if event_type == "user.added" else "changes_requested"
        payload[section] = {"role": "owner" if target is not None else _ORG_ROLES_READER}
    elif event_type == "user.deleted":
        payload["id"] = f"user-{_hex(rng)}"  # someone who left: no longer listed, never acts
    else:  # an invitation, as a reader, of someone new
        invite_id, email = f"invite-{_hex(rng)}", f"hire.{rng.randrange(100)}@example.com"
        payload.update(id=invite_id, data={"email": email, "role": _ORG_ROLES_READER})


def _name_the_object(
    event_type: str, payload: dict[str, Any], org: Organization, plan: str
) -> None:
    base = organization_id(org).removeprefix("org-")[:20]
    suffix = "0002" if plan == "new" else "0001"
    if event_type.startswith("ip_allowlist."):
        list_id, name = f"ipal_{base}{suffix}", "office" if plan == "old" else "office 2026"
        if "configs" in payload:
            payload["configs"] = [{"id": list_id, "name": name}]
        else:
            payload["id"] = list_id
            if "name" in payload:
                payload["name"] = name
    elif event_type.startswith("scim."):
        payload["id"] = f"scim_{base}"
    else:
        payload["id"] = f"sso_connection_{base}{suffix}"


def _role_assignment(
    rng: random.Random,
    org: Organization,
    context: Context,
    project: dict[str, str] | None,
    plan: str | None,
) -> dict[str, Any]:
    # Readers (never an owner) get roles: the inventory lists the owners' roles as they are.
    user = rng.choice(org.users[_OWNERS:] or org.users)["id"]
    if plan == "organization_reader" and _ORG_ROLES_READER in context.org_roles:
        role, kind, resource = context.org_roles[_ORG_ROLES_READER], "api.organization", None
    else:
        resource = (project or org.default_project)["id"]
        role, kind = context.project_roles.get(resource, f"role_{_hex(rng, 26)}"), "api.project"
    resource_id = resource or organization_id(org)
    # The assignment id names the role (the only place the event does), as Panther reads it.
    slug = kind.replace(".", "-")
    return {
        "id": f"role_assignment_{role}__{slug}__{resource_id}_{user}",
        "principal_id": user,
        "principal_type": "user",
        "resource_id": resource_id,
        "resource_type": kind,
    }

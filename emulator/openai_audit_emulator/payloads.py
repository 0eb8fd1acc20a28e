"""Payload objects, one builder per event type, shaped as the API reference's table says.

The payload of an event sits under a key named exactly like its type. Types with no published
schema (`resource.deleted`, `tunnel.*`, `tenant.*`) get an `id` and a small `details` object,
which is the emulator's guess (the reference confirms neither).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from openai_audit_emulator.actors import Organization

Payload = dict[str, Any]
Builder = Callable[[random.Random, Organization, str], Payload]

_SCOPES = ("api.model.read", "api.model.request", "api.files.write", "api.assistants.read")
_ROLES = ("owner", "member", "reader")
_PERMISSIONS = ("api.model.read", "api.files.read", "api.files.write", "api.vector_stores.read")
_ENABLED_SHARE = 0.5
_BIND_SOURCES = (
    "role_toggle",
    "role_connector_update",
    "role_delete",
    "workspace_permissions",
    "connector_publish",
)


def _hex(rng: random.Random, digits: int = 24) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def _ident(prefix: str) -> Builder:
    return lambda rng, _org, _project: {"id": f"{prefix}{_hex(rng)}"}


def _pooled(
    prefix: str,
    pool: Callable[[Organization], tuple[str, ...]],
    section: str | None = None,
    make: Callable[[random.Random], Any] | None = None,
) -> Builder:
    """Name an object of the organization, so that the inventory lists what the log mentions.

    The id is drawn exactly like a fresh one and then mapped onto the pool: the random
    sequence, and so every other event, stays as it was before the pools existed.
    """

    def build(rng: random.Random, org: Organization, _project: str) -> Payload:
        drawn = _hex(rng)
        ids = pool(org)
        payload: Payload = {"id": ids[int(drawn, 16) % len(ids)] if ids else f"{prefix}{drawn}"}
        if section is not None and make is not None:
            payload[section] = make(rng)
        return payload

    return build


def _keys(org: Organization) -> tuple[str, ...]:
    return org.key_ids


def _groups(org: Organization) -> tuple[str, ...]:
    return tuple(group["id"] for group in org.groups)


def _accounts(org: Organization) -> tuple[str, ...]:
    return org.service_accounts


def _project_id(_rng: random.Random, _org: Organization, project: str) -> Payload:
    return {"id": project}


def _named(prefix: str, *, pem: bool = False) -> Builder:
    def build(rng: random.Random, _org: Organization, _project: str) -> Payload:
        payload: Payload = {"id": f"{prefix}{_hex(rng)}", "name": f"cert-{rng.randrange(100)}"}
        if pem:
            payload["certificate"] = (
                "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----"
            )
        return payload

    return build


def _listed(key: str, prefix: str) -> Builder:
    def build(rng: random.Random, _org: Organization, _project: str) -> Payload:
        items = [{"id": f"{prefix}{_hex(rng)}", "name": f"{key}-{i}"} for i in range(2)]
        return {key: items}

    return build


def _with(prefix: str, section: str, make: Callable[[random.Random], Any]) -> Builder:
    def build(rng: random.Random, _org: Organization, _project: str) -> Payload:
        return {"id": f"{prefix}{_hex(rng)}", section: make(rng)}

    return build


def _allowlist(*, named: bool) -> Builder:
    def build(rng: random.Random, _org: Organization, _project: str) -> Payload:
        payload: Payload = {"id": f"ipal_{_hex(rng)}"}
        if named:
            payload["name"] = f"office-{rng.randrange(10)}"
        payload["allowed_ips"] = ["192.0.2.0/24", f"198.51.100.{rng.randrange(1, 255)}/32"]
        return payload

    return build


def _storage_provider(rng: random.Random) -> dict[str, str]:
    kind = rng.choice(("aws", "azure", "gcp", "oci"))
    if kind == "aws":
        return {
            "type": "aws",
            "account_id": "123456789012",
            "bucket": "audit-exports",
            "external_id": _hex(rng, 16),
            "region": "us-east-1",
            "role_arn": "arn:aws:iam::123456789012:role/openai-storage",
        }
    if kind == "azure":
        return {
            "type": "azure",
            "account_name": "auditexports",
            "container": "exports",
            "region": "westeurope",
            "resource_group": "rg-openai",
            "subscription_id": "00000000-0000-0000-0000-000000000000",
            "tenant_id": "11111111-1111-1111-1111-111111111111",
        }
    if kind == "gcp":
        return {
            "type": "gcp",
            "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p",
            "bucket": "audit-exports",
            "region": "us-central1",
            "workload_identity_pool_id": "openai-pool",
            "workload_identity_project_number": "123456789012",
            "workload_identity_provider_id": "openai-provider",
        }
    return {
        "type": "oci",
        "bucket": "audit-exports",
        "region": "eu-frankfurt-1",
        "tenancy_ocid": "ocid1.tenancy.oc1..example",
    }


def _role_binding(rng: random.Random, _org: Organization, _project: str) -> Payload:
    workspace, connector = f"ws_{_hex(rng, 12)}", f"conn_{_hex(rng, 12)}"
    # The reference's resource_ids text: connector role events use "<workspace>__<connector>".
    resource = f"{workspace}__{connector}"
    return {
        "id": resource,
        "role_id": f"role_{_hex(rng)}",
        "resource_id": resource,
        "resource_type": "workspace_connector",
        "permissions": list(_PERMISSIONS[: rng.randrange(1, len(_PERMISSIONS) + 1)]),
        "workspace_id": workspace,
        "connector_id": connector,
        "connector_name": rng.choice(("Google Drive", "SharePoint", "GitHub", "Slack")),
        "enabled": rng.random() < _ENABLED_SHARE,
        "source": rng.choice(_BIND_SOURCES),
    }


def _role_assignment(rng: random.Random, org: Organization, project: str) -> Payload:
    return {
        "id": f"roleasg_{_hex(rng)}",
        "principal_id": rng.choice(org.users)["id"],
        "principal_type": "user",
        "resource_id": project,
        "resource_type": "project",
    }


def _rate_limits(rng: random.Random) -> dict[str, int]:
    return {
        "max_requests_per_1_minute": rng.choice((500, 5000, 10000)),
        "max_tokens_per_1_minute": rng.choice((200000, 2000000)),
        "max_images_per_1_minute": rng.choice((5, 50)),
        "max_audio_megabytes_per_1_minute": rng.choice((10, 100)),
        "max_requests_per_1_day": rng.choice((10000, 100000)),
        "batch_1_day_max_input_tokens": rng.choice((2000000, 20000000)),
    }


def _organization_changes(rng: random.Random) -> dict[str, str]:
    return {
        "title": f"Example Org {rng.randrange(10)}",
        "description": "An organization that exists only in the emulator",
        "name": f"org-example-{rng.randrange(10)}",
        "threads_ui_visibility": rng.choice(("ANY_ROLE", "OWNERS", "NONE")),
        "usage_dashboard_visibility": rng.choice(("ANY_ROLE", "OWNERS")),
        "api_call_logging": rng.choice(("enabled_per_call", "disabled")),
        "api_call_logging_project_ids": "",
    }


def _workload_provider_mapping(section: str | None) -> Builder:
    def build(rng: random.Random, org: Organization, project: str) -> Payload:
        payload: Payload = {"id": f"wipm_{_hex(rng)}", "identity_provider_id": f"wip_{_hex(rng)}"}
        if section is None:
            payload["project_id"] = project
            payload["service_account_id"] = rng.choice(org.service_accounts)
        else:
            payload[section] = {"subject": f"repo:example/app:ref:refs/heads/{section}"}
        return payload

    return build


def _no_schema(event_type: str) -> Builder:
    def build(rng: random.Random, org: Organization, _project: str) -> Payload:
        return {
            "id": f"{event_type.split('.')[1 if event_type.startswith('tenant.') else 0]}_"
            f"{_hex(rng, 16)}",
            "details": {"target_user_id": rng.choice(org.users)["id"], "reason": "emulated"},
        }

    return build


_BUILDERS: dict[str, Builder] = {
    "api_key.created": _pooled("key_", _keys, "data", lambda r: {"scopes": [r.choice(_SCOPES)]}),
    "api_key.updated": _pooled(
        "key_",
        _keys,
        "changes_requested",
        lambda r: {"scopes": list(_SCOPES[:2]), "expires_in_seconds": r.choice((3600, 86400))},
    ),
    "api_key.deleted": _ident("key_"),  # a deleted key is no longer listed
    "certificate.created": _named("cert_"),
    "certificate.updated": _named("cert_"),
    "certificate.deleted": _named("cert_", pem=True),
    "certificates.activated": _listed("certificates", "cert_"),
    "certificates.deactivated": _listed("certificates", "cert_"),
    "checkpoint.permission.created": lambda rng, _org, project: {
        "id": f"cp_perm_{_hex(rng)}",
        "data": {
            "project_id": project,
            "fine_tuned_model_checkpoint": f"ft:gpt-4o-mini:example::{_hex(rng, 8)}:ckpt-step-100",
        },
    },
    "checkpoint.permission.deleted": _ident("cp_perm_"),
    "external_key.registered": _with("ekey_", "data", lambda _r: {"kms": "aws", "alias": "audit"}),
    "external_key.removed": _ident("ekey_"),
    "external_storage.registered": _with(
        "estor_",
        "data",
        lambda r: {"geography": r.choice(("US", "EU")), "provider": _storage_provider(r)},
    ),
    "external_storage.removed": _ident("estor_"),
    "group.created": _pooled(
        "group_", _groups, "data", lambda r: {"group_name": f"team-{r.randrange(9)}"}
    ),
    "group.updated": _pooled(
        "group_", _groups, "changes_requested", lambda r: {"group_name": f"team-{r.randrange(9)}"}
    ),
    "group.deleted": _pooled("group_", _groups),
    "invite.sent": lambda rng, org, _project: {
        "id": f"invite-{_hex(rng)}",
        "data": {"email": rng.choice(org.users)["email"], "role": rng.choice(("owner", "member"))},
    },
    "invite.accepted": _ident("invite-"),
    "invite.deleted": _ident("invite-"),
    "ip_allowlist.created": _allowlist(named=True),
    "ip_allowlist.updated": _allowlist(named=False),
    "ip_allowlist.deleted": _allowlist(named=True),
    "ip_allowlist.config.activated": _listed("configs", "ipal_"),
    "ip_allowlist.config.deactivated": _listed("configs", "ipal_"),
    "login.succeeded": lambda _rng, _org, _project: {},
    "logout.succeeded": lambda _rng, _org, _project: {},
    "login.failed": lambda rng, _org, _project: {
        "error_code": rng.choice(("invalid_password", "mfa_failed")),
        "error_message": "The credentials supplied were not accepted",
    },
    "logout.failed": lambda _rng, _org, _project: {
        "error_code": "session_not_found",
        "error_message": "The session had already ended",
    },
    "organization.updated": lambda rng, _org, _project: {
        "id": f"org-{_hex(rng)}",
        "changes_requested": _organization_changes(rng),
    },
    "project.created": lambda _rng, org, project: {
        "id": project,
        "data": {"name": project, "title": _project_title(org, project)},
    },
    "project.updated": lambda _rng, org, project: {
        "id": project,
        "changes_requested": {"title": _project_title(org, project)},
    },
    "project.archived": _project_id,
    "project.deleted": _project_id,
    "rate_limit.updated": _with("rl-", "changes_requested", _rate_limits),
    "rate_limit.deleted": _ident("rl-"),
    "role.created": lambda rng, _org, project: {
        "id": f"role_{_hex(rng)}",
        "role_name": f"custom-role-{rng.randrange(9)}",
        "permissions": list(_PERMISSIONS[:2]),
        "resource_type": "api.project",
        "resource_id": project,
    },
    "role.updated": lambda rng, _org, project: {
        "id": f"role_{_hex(rng)}",
        "changes_requested": {
            "role_name": f"custom-role-{rng.randrange(9)}",
            "resource_id": project,
            "resource_type": "api.project",
            "permissions_added": [_PERMISSIONS[2]],
            "permissions_removed": [_PERMISSIONS[3]],
            "description": "Narrowed to what the team uses",
            "metadata": {"ticket": f"SEC-{rng.randrange(1000)}"},
        },
    },
    "role.deleted": _ident("role_"),
    "role.assignment.created": _role_assignment,
    "role.assignment.deleted": _role_assignment,
    "role.bound_to_resource": _role_binding,
    "role.unbound_from_resource": _role_binding,
    "scim.enabled": _ident("scim_"),
    "scim.disabled": _ident("scim_"),
    "service_account.created": _pooled(
        "svc_acct_", _accounts, "data", lambda r: {"role": r.choice(_ROLES)}
    ),
    "service_account.updated": _pooled(
        "svc_acct_", _accounts, "changes_requested", lambda r: {"role": r.choice(_ROLES)}
    ),
    "service_account.deleted": _pooled("svc_acct_", _accounts),
    "user.added": lambda rng, org, _project: {
        "id": rng.choice(org.users)["id"],
        "data": {"role": rng.choice(_ROLES)},
    },
    "user.updated": lambda rng, org, _project: {
        "id": rng.choice(org.users)["id"],
        "changes_requested": {"role": rng.choice(_ROLES)},
    },
    "user.deleted": lambda rng, org, _project: {"id": rng.choice(org.users)["id"]},
    "workload_identity_provider.created": _with(
        "wip_", "data", lambda _r: {"issuer": "https://token.actions.example.com"}
    ),
    "workload_identity_provider.updated": _with(
        "wip_", "changes_requested", lambda _r: {"issuer": "https://idp.example.com"}
    ),
    "workload_identity_provider.deleted": lambda rng, _org, _project: {
        "id": f"wip_{_hex(rng)}",
        "name": "ci-provider",
    },
    "workload_identity_provider_mapping.created": _workload_provider_mapping("data"),
    "workload_identity_provider_mapping.updated": _workload_provider_mapping("changes_requested"),
    "workload_identity_provider_mapping.deleted": _workload_provider_mapping(None),
}


def _project_title(org: Organization, project: str) -> str:
    return next((p["name"] for p in org.projects if p["id"] == project), "Untitled")


def build_payload(event_type: str, rng: random.Random, org: Organization, project: str) -> Payload:
    """Build the payload object for one event.

    Args:
        event_type: the event's type; also the key the payload is stored under.
        rng: the generator's random source.
        org: the pools to draw users and accounts from.
        project: the id of the project the event concerns (used by project-level payloads).

    Returns:
        A fresh payload dict.
    """
    builder = _BUILDERS.get(event_type) or _no_schema(event_type)
    return builder(rng, org, project)


def typed_payload_types() -> frozenset[str]:
    """Return the types whose payload follows a published schema (for tests)."""
    return frozenset(_BUILDERS)

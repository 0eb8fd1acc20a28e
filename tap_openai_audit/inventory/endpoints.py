"""The 19 list endpoints as data: stream name, path, parents, paging style, limit, key.

Facts from the API reference kept with the project: the paging style of each endpoint
(A: `after=<last_id>`; B: `after=<id of the last item>`; C: `after=<next>`), the largest
`limit` each allows (100 where the reference states no range), and the parent ids each path
takes. Only `ProjectGroup` names its parent in the object; every other child object gets its
parent ids from the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Style(Enum):
    """How an endpoint says where the next page starts."""

    LAST_ID = "A"  # the envelope's `last_id`
    LAST_ITEM = "B"  # the `id` of the page's last object
    NEXT = "C"  # the envelope's opaque `next` token


@dataclass(frozen=True)
class Parent:
    """What a child endpoint is read once for, and the record fields that carry its ids."""

    name: str
    fields: tuple[str, ...]  # in URL order
    # Users and service accounts: the API refuses them for an archived project (400).
    active_projects_only: bool = False


TOP = Parent("organization", ())
PROJECT = Parent("project", ("project_id",))
ACTIVE_PROJECT = Parent("project that is not archived", ("project_id",), active_projects_only=True)
USER = Parent("user", ("user_id",))
GROUP = Parent("group", ("group_id",))
PROJECT_USER = Parent("project user", ("project_id", "user_id"))
PROJECT_GROUP = Parent("project group", ("project_id", "group_id"))


@dataclass(frozen=True)
class Endpoint:
    """One list endpoint, read into one stream."""

    stream: str
    path: str  # with `{}` where each parent id goes, in `parent.fields` order
    parent: Parent
    style: Style
    limit: int
    primary_keys: tuple[str, ...]
    params: tuple[tuple[str, str], ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the reference documents for this endpoint's objects."""
        return FIELDS[self.stream]


_ROLE = ("object", "name", "description", "permissions", "resource_type", "predefined_role")
_ASSIGNED = (
    "name",
    "description",
    "permissions",
    "resource_type",
    "predefined_role",
    "created_at",
    "updated_at",
    "created_by",
    "created_by_user_obj",
    "metadata",
    "assignment_sources",
)
_CERTIFICATE = ("object", "name", "created_at", "certificate_details", "active")
# Every documented field of each object (reference, "Objects"), besides ids and parent ids.
FIELDS: dict[str, tuple[str, ...]] = {
    "users": (
        "object",
        "name",
        "email",
        "role",
        "added_at",
        "created",
        "is_default",
        "is_service_account",
        "is_scim_managed",
        "is_scale_tier_authorized_purchaser",
        "api_key_last_used_at",
        "technical_level",
        "developer_persona",
        "user",
        "projects",
    ),
    "invites": (
        "object",
        "email",
        "role",
        "status",
        "created_at",
        "expires_at",
        "accepted_at",
        "projects",
    ),
    "projects": (
        "object",
        "name",
        "created_at",
        "archived_at",
        "status",
        "external_key_id",
        "residency",
    ),
    "project_users": ("object", "name", "email", "role", "added_at"),
    "project_service_accounts": ("object", "name", "role", "created_at"),
    "project_api_keys": (
        "object",
        "name",
        "redacted_value",
        "created_at",
        "last_used_at",
        "owner_project_access",
        "owner",
        "expires_at",
    ),
    "admin_api_keys": (
        "object",
        "name",
        "redacted_value",
        "created_at",
        "expires_at",
        "last_used_at",
        "owner",
    ),
    "certificates": _CERTIFICATE,
    "project_certificates": _CERTIFICATE,
    "project_rate_limits": (
        "object",
        "model",
        "max_requests_per_1_minute",
        "max_tokens_per_1_minute",
        "max_images_per_1_minute",
        "max_audio_megabytes_per_1_minute",
        "max_requests_per_1_day",
        "batch_1_day_max_input_tokens",
    ),
    "groups": ("object", "name", "created_at", "is_scim_managed", "group_type"),
    "group_users": ("name", "email"),
    "group_roles": _ASSIGNED,
    "roles": _ROLE,
    "user_roles": _ASSIGNED,
    "project_groups": ("object", "group_name", "group_type", "created_at"),
    "project_roles": _ROLE,
    "project_user_roles": _ASSIGNED,
    "project_group_roles": _ASSIGNED,
}


_A, _B, _C = Style.LAST_ID, Style.LAST_ITEM, Style.NEXT
_ID = ("id",)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("users", "/organization/users", TOP, _A, 100, _ID),
    Endpoint("invites", "/organization/invites", TOP, _A, 100, _ID),
    Endpoint(
        "projects",
        "/organization/projects",
        TOP,
        _A,
        100,
        _ID,
        (("include_archived", "true"),),
    ),
    Endpoint(
        "project_users",
        "/organization/projects/{}/users",
        ACTIVE_PROJECT,
        _A,
        100,
        ("project_id", "id"),
    ),
    Endpoint(
        "project_service_accounts",
        "/organization/projects/{}/service_accounts",
        ACTIVE_PROJECT,
        _A,
        100,
        ("project_id", "id"),
    ),
    Endpoint(
        "project_api_keys",
        "/organization/projects/{}/api_keys",
        PROJECT,
        _A,
        100,
        ("project_id", "id"),
        # Without it the API hides keys by membership rules; an inventory wants them all.
        (("owner_project_access", "any"),),
    ),
    Endpoint("admin_api_keys", "/organization/admin_api_keys", TOP, _B, 100, _ID),
    Endpoint("certificates", "/organization/certificates", TOP, _A, 100, _ID),
    Endpoint(
        "project_certificates",
        "/organization/projects/{}/certificates",
        PROJECT,
        _A,
        100,
        ("project_id", "id"),
    ),
    Endpoint(
        "project_rate_limits",
        "/organization/projects/{}/rate_limits",
        PROJECT,
        _A,
        100,
        ("project_id", "id"),
    ),
    Endpoint("groups", "/organization/groups", TOP, _C, 1000, _ID),
    Endpoint("group_users", "/organization/groups/{}/users", GROUP, _C, 1000, ("group_id", "id")),
    Endpoint("group_roles", "/organization/groups/{}/roles", GROUP, _C, 1000, ("group_id", "id")),
    Endpoint("roles", "/organization/roles", TOP, _C, 1000, _ID),
    Endpoint("user_roles", "/organization/users/{}/roles", USER, _C, 1000, ("user_id", "id")),
    Endpoint(
        "project_groups",
        "/organization/projects/{}/groups",
        PROJECT,
        _C,
        100,
        ("project_id", "group_id"),
    ),
    Endpoint("project_roles", "/projects/{}/roles", PROJECT, _C, 1000, ("project_id", "id")),
    Endpoint(
        "project_user_roles",
        "/projects/{}/users/{}/roles",
        PROJECT_USER,
        _C,
        1000,
        ("project_id", "user_id", "id"),
    ),
    Endpoint(
        "project_group_roles",
        "/projects/{}/groups/{}/roles",
        PROJECT_GROUP,
        _C,
        1000,
        ("project_id", "group_id", "id"),
    ),
)

BY_STREAM = {endpoint.stream: endpoint for endpoint in ENDPOINTS}

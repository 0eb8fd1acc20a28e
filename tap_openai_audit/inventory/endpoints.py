"""The 19 list endpoints as data: stream name, path, parents, paging style, limit, key.

Facts from the API reference kept with the project: the paging style of each endpoint
(A: `after=<last_id>`; B: `after=<id of the last item>`; C: `after=<next>`), the largest
`limit` each allows (100 where the reference states no range), and the parent ids each path
takes. Only `ProjectGroup` names its parent in the object; every other child object gets its
parent ids from the URL. `FIELDS` gives each object's documented top-level fields with their
documented types (the reference's "Objects" and the spec's component schemas): the streams'
typed columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Style(Enum):
    """How an endpoint says where the next page starts."""

    LAST_ID = "A"  # the envelope's `last_id`
    LAST_ITEM = "B"  # the `id` of the page's last object
    NEXT = "C"  # the envelope's opaque `next` token


class Kind(Enum):
    """A documented field's type, as the reference gives it, and so its column's type."""

    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    UNIXTIME = "unixtime"  # integer Unix seconds in the API; date-time (RFC 3339, UTC) in records
    JSON = "json"  # a nested object or array: any JSON, inner values as sent


Fields = dict[str, Kind]


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
    def fields(self) -> Fields:
        """The fields the reference documents for this endpoint's objects, with their types."""
        return FIELDS[self.stream]


_STR, _INT, _BOOL, _TIME, _JSON = Kind.STRING, Kind.INTEGER, Kind.BOOLEAN, Kind.UNIXTIME, Kind.JSON

_ROLE: Fields = {
    "object": _STR,
    "name": _STR,
    "description": _STR,
    "permissions": _JSON,
    "resource_type": _STR,
    "predefined_role": _BOOL,
}
# `AssignedRoleDetails`: one role a principal holds; its timestamps are the role's.
_ASSIGNED: Fields = {
    "name": _STR,
    "description": _STR,
    "permissions": _JSON,
    "resource_type": _STR,
    "predefined_role": _BOOL,
    "created_at": _TIME,
    "updated_at": _TIME,
    "created_by": _STR,
    "created_by_user_obj": _JSON,
    "metadata": _JSON,
    "assignment_sources": _JSON,
}
_CERTIFICATE: Fields = {
    "object": _STR,
    "name": _STR,
    "created_at": _TIME,
    "certificate_details": _JSON,
    "active": _BOOL,
}
# Every documented top-level field of each object (reference, "Objects") with its type,
# besides ids and parent ids. Enums (`role`, `status`, `residency`, ...) are plain strings:
# the API adds values, and an enum in the schema would refuse them.
FIELDS: dict[str, Fields] = {
    "users": {
        "object": _STR,
        "name": _STR,
        "email": _STR,
        "role": _STR,
        "added_at": _TIME,
        "created": _TIME,
        "is_default": _BOOL,
        "is_service_account": _BOOL,
        "is_scim_managed": _BOOL,
        "is_scale_tier_authorized_purchaser": _BOOL,
        "api_key_last_used_at": _TIME,
        "technical_level": _STR,
        "developer_persona": _STR,
        "user": _JSON,
        "projects": _JSON,
    },
    "invites": {
        "object": _STR,
        "email": _STR,
        "role": _STR,
        "status": _STR,
        "created_at": _TIME,
        "expires_at": _TIME,
        "accepted_at": _TIME,
        "projects": _JSON,
    },
    "projects": {
        "object": _STR,
        "name": _STR,
        "created_at": _TIME,
        "archived_at": _TIME,
        "status": _STR,
        "external_key_id": _STR,
        "residency": _STR,
    },
    "project_users": {"object": _STR, "name": _STR, "email": _STR, "role": _STR, "added_at": _TIME},
    "project_service_accounts": {"object": _STR, "name": _STR, "role": _STR, "created_at": _TIME},
    "project_api_keys": {
        "object": _STR,
        "name": _STR,
        "redacted_value": _STR,
        "created_at": _TIME,
        "last_used_at": _TIME,
        "owner_project_access": _STR,
        "owner": _JSON,
        "expires_at": _TIME,  # in the SDK's model only, not (yet) in the published spec
    },
    "admin_api_keys": {
        "object": _STR,
        "name": _STR,
        "redacted_value": _STR,
        "created_at": _TIME,
        "expires_at": _TIME,
        "last_used_at": _TIME,
        "owner": _JSON,
    },
    "certificates": _CERTIFICATE,
    "project_certificates": _CERTIFICATE,
    "project_rate_limits": {
        "object": _STR,
        "model": _STR,
        "max_requests_per_1_minute": _INT,
        "max_tokens_per_1_minute": _INT,
        "max_images_per_1_minute": _INT,
        "max_audio_megabytes_per_1_minute": _INT,
        "max_requests_per_1_day": _INT,
        "batch_1_day_max_input_tokens": _INT,
    },
    # The schema has no `object`; the reference's example shows one, so it gets a column.
    "groups": {
        "object": _STR,
        "name": _STR,
        "created_at": _TIME,
        "is_scim_managed": _BOOL,
        "group_type": _STR,
    },
    "group_users": {"name": _STR, "email": _STR},
    "group_roles": _ASSIGNED,
    "roles": _ROLE,
    "user_roles": _ASSIGNED,
    "project_groups": {"object": _STR, "group_name": _STR, "group_type": _STR, "created_at": _TIME},
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

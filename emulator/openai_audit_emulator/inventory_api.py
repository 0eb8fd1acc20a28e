"""The inventory's list endpoints: routes, the three paging styles, limits and filters.

Styles (see the reference): A answers `first_id`/`last_id` and takes `after=<last_id>`;
B the same envelope, the client sending the last item's id; C answers an opaque `next`
token, to send back as `after`, and no `first_id`/`last_id`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openai_audit_emulator.errors import ApiError, bad_request

if TYPE_CHECKING:
    from collections.abc import Sequence

    from openai_audit_emulator.inventory import Inventory, Obj, ParentKey

_SEGMENT = "([^/]+)"


@dataclass(frozen=True)
class Route:
    """One list endpoint."""

    name: str  # the inventory list (and the tap's stream) it serves
    pattern: re.Pattern[str]
    style: str  # "A", "B" or "C"
    default_limit: int
    min_limit: int
    max_limit: int


def _route(name: str, path: str, style: str, limits: tuple[int, int, int]) -> Route:
    regex = "^/v1" + re.escape(path).replace(re.escape("{}"), _SEGMENT) + "$"
    return Route(name, re.compile(regex), style, *limits)


_A = (20, 1, 100)
# Ranges the reference does not state (admin keys, rate limits): the emulator takes 1 to 100.
ROUTES = (
    _route("users", "/organization/users", "A", _A),
    _route("invites", "/organization/invites", "A", _A),
    _route("projects", "/organization/projects", "A", _A),
    _route("project_users", "/organization/projects/{}/users", "A", _A),
    _route("project_service_accounts", "/organization/projects/{}/service_accounts", "A", _A),
    _route("project_api_keys", "/organization/projects/{}/api_keys", "A", _A),
    _route("admin_api_keys", "/organization/admin_api_keys", "B", (20, 1, 100)),
    _route("certificates", "/organization/certificates", "A", _A),
    _route("project_certificates", "/organization/projects/{}/certificates", "A", _A),
    _route("project_rate_limits", "/organization/projects/{}/rate_limits", "A", (100, 1, 100)),
    _route("groups", "/organization/groups", "C", (100, 0, 1000)),
    _route("group_users", "/organization/groups/{}/users", "C", (100, 0, 1000)),
    _route("group_roles", "/organization/groups/{}/roles", "C", (100, 0, 1000)),
    _route("roles", "/organization/roles", "C", (1000, 0, 1000)),
    _route("user_roles", "/organization/users/{}/roles", "C", (100, 0, 1000)),
    _route("project_groups", "/organization/projects/{}/groups", "C", (20, 0, 100)),
    _route("project_roles", "/projects/{}/roles", "C", (1000, 0, 1000)),
    _route("project_user_roles", "/projects/{}/users/{}/roles", "C", (100, 0, 1000)),
    _route("project_group_roles", "/projects/{}/groups/{}/roles", "C", (100, 0, 1000)),
)
_ARCHIVED_REFUSES = frozenset({"project_users", "project_service_accounts"})
_KEY_ACCESS = frozenset({"active", "inactive", "any"})


def match(path: str) -> tuple[Route, ParentKey] | None:
    """The route serving `path`, with the parent ids taken from it; None for other paths."""
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            return route, found.groups()
    return None


@dataclass(frozen=True)
class Listing:
    """One page, ready to serialize, and what a repeat-cursor fault needs."""

    route: Route
    items: list[Obj]
    has_more: bool
    after: str | None

    def body(self, *, repeat_cursor: bool = False) -> bytes:
        r"""The page in its style's envelope (JSON with `\\uXXXX` escapes, like the API)."""
        data: dict[str, Any] = {"object": "list", "data": self.items, "has_more": self.has_more}
        last = _identity(self.items[-1]) if self.items else None
        if self.route.style == "C":
            data["next"] = _token(last) if self.has_more and last is not None else None
            if repeat_cursor:
                data["has_more"], data["next"] = True, self.after or _token(last or "start")
        else:
            data["first_id"] = _identity(self.items[0]) if self.items else None
            data["last_id"] = last
            if repeat_cursor:
                data["has_more"], data["last_id"] = True, self.after or data["first_id"]
        return json.dumps(data, separators=(",", ":")).encode()


def list_page(
    inventory: Inventory, route: Route, parents: ParentKey, pairs: Sequence[tuple[str, str]]
) -> Listing:
    """Answer one list request.

    Raises:
        ApiError: 404 for an unknown parent, 400 for a bad parameter or an archived project's
            users and service accounts (documented), as the API words it; 403 or 404 where
            `Inventory.refuse` says so.
    """
    refused = inventory.refusal(route.name, parents)
    if refused is not None:
        raise _refusal(refused, route, parents)
    query = dict(pairs)
    limit = _limit(query.get("limit"), route)
    items = inventory.items(route.name, parents)
    if items is None:
        raise ApiError(404, f"No such object: {'/'.join(parents)}", code="not_found")
    if route.name in _ARCHIVED_REFUSES and _archived(inventory, parents[0]):
        raise bad_request(
            param="project_id", message="Project is archived.", code="project_archived"
        )
    items = _filtered(route.name, items, pairs, query)
    start = 0
    after = query.get("after")
    if after:
        wanted = _untoken(after) if route.style == "C" else after
        positions = [i for i, item in enumerate(items) if _identity(item) == wanted]
        if not positions:
            raise bad_request(
                param="after", message=f"Invalid 'after': no object {after!r} in this list."
            )
        start = positions[0] + 1
    page = items[start : start + limit]
    return Listing(route, page, start + limit < len(items), after)


def _refusal(status: int, route: Route, parents: ParentKey) -> ApiError:
    """What an organization without this list (or a key without its permission) is told."""
    if status == 403:  # noqa: PLR2004
        return ApiError(
            403,
            f"You have insufficient permissions for this operation ({route.name}).",
            code="insufficient_permissions",
        )
    what = "/".join(parents) or route.name
    return ApiError(404, f"No such object: {what}", code="not_found")


def _identity(item: Obj) -> str:
    return str(item.get("id", item.get("group_id")))


def _token(last: str) -> str:
    """An opaque `next` token: the client must send it back unchanged, never build it."""
    return "nxt_" + base64.urlsafe_b64encode(last.encode()).decode().rstrip("=")


def _untoken(token: str) -> str:
    if not token.startswith("nxt_"):
        raise bad_request(
            param="after", message="Invalid 'after': not a cursor this list returned."
        )
    raw = token[4:]
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise bad_request(
            param="after", message="Invalid 'after': not a cursor this list returned."
        ) from None


def _limit(value: str | None, route: Route) -> int:
    if value is None:
        return route.default_limit
    if not re.fullmatch(r"[0-9]+", value) or not route.min_limit <= int(value) <= route.max_limit:
        raise bad_request(
            param="limit",
            message=f"Invalid 'limit': must be an integer between {route.min_limit} and "
            f"{route.max_limit}.",
        )
    return int(value)


def _archived(inventory: Inventory, project_id: str) -> bool:
    projects = inventory.items("projects") or []
    return any(p["id"] == project_id and p.get("status") == "archived" for p in projects)


def _filtered(
    name: str, items: list[Obj], pairs: Sequence[tuple[str, str]], query: dict[str, str]
) -> list[Obj]:
    if name == "projects":
        flag = query.get("include_archived", "false")
        if flag not in {"true", "false"}:
            raise bad_request(
                param="include_archived", message="Invalid 'include_archived': expected a boolean."
            )
        if flag == "false":
            return [item for item in items if item.get("status") != "archived"]
    if name == "project_api_keys":
        access = query.get("owner_project_access")
        if access is not None and access not in _KEY_ACCESS:
            raise bad_request(
                param="owner_project_access",
                message="Invalid 'owner_project_access': expected active, inactive or any.",
            )
        # Omitted: "membership-based visibility rules, which may exclude some enabled keys".
        wanted = {"active"} if access in {None, "active"} else {"inactive"}
        if access != "any":
            return [item for item in items if item.get("owner_project_access") in wanted]
    if name == "users":
        emails = {value for key, value in pairs if key in {"emails", "emails[]"}}
        if emails:
            return [item for item in items if item.get("email") in emails]
    return items

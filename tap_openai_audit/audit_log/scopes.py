"""The two audit-log scopes, and which event types belong to which.

The API returns tenant-scoped events only to requests with `tenant_only=true`, and then
nothing else: a run reads each scope with its own requests and its own bookmark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

Scope = Literal["organization", "tenant"]
SCOPES: tuple[Scope, ...] = ("organization", "tenant")
_TENANT_TYPES_OUTSIDE_THE_PREFIX = frozenset(
    {"role.bound_to_resource", "role.unbound_from_resource"}
)


def scope_of(event_type: str) -> Scope:
    """The scope an event type is listed in; any type not known as tenant-scoped is organization."""
    if event_type.startswith("tenant.") or event_type in _TENANT_TYPES_OUTSIDE_THE_PREFIX:
        return "tenant"
    return "organization"


def event_types_of(scope: Scope, event_types: Iterable[str]) -> tuple[str, ...]:
    """The requested types that belong to `scope`, in the order given."""
    return tuple(name for name in event_types if scope_of(name) == scope)


def partition(scope: Scope) -> dict[str, str]:
    """The singer-sdk partition context of a scope."""
    return {"scope": scope}

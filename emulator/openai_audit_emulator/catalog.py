"""The event types the emulated API knows, and which of them are tenant-scoped."""

from __future__ import annotations

import functools
import importlib.resources
import json

# Tenant-scoped types outside the `tenant.` namespace, named by the API reference's
# `tenant_only` description ("Required for tenant-scoped events such as ...").
_TENANT_SCOPED_EXTRA = frozenset({"role.bound_to_resource", "role.unbound_from_resource"})


@functools.cache
def event_types() -> tuple[str, ...]:
    """Return the 149 event types of openai 3.51.0, sorted, from the packaged data file.

    Loaded lazily (not at import) so importing the emulator has no side effects.
    """
    text = (
        importlib.resources.files("tap_openai_audit")
        .joinpath("data/audit_log_event_types.json")
        .read_text(encoding="utf-8")
    )
    types: list[str] = json.loads(text)["event_types"]
    return tuple(sorted(types))


@functools.cache
def known_event_types() -> frozenset[str]:
    """Return the event types as a set, for validating `event_types[]`."""
    return frozenset(event_types())


def is_tenant_scoped(event_type: str) -> bool:
    """Tell whether the API returns this type only when `tenant_only=true`.

    Args:
        event_type: an audit log event type such as ``"tenant.user.added"``.

    Returns:
        True for ``tenant.*`` types and the two ``role.*_resource`` binding types.
    """
    return event_type.startswith("tenant.") or event_type in _TENANT_SCOPED_EXTRA

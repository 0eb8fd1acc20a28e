"""Parse and validate the list endpoint's query string, as the official SDK encodes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openai_audit_emulator.catalog import is_tenant_scoped, known_event_types
from openai_audit_emulator.errors import ApiError, bad_request

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_INTEGER = re.compile(r"-?[0-9]+")
_ARRAYS = ("event_types", "project_ids", "actor_ids", "actor_emails", "resource_ids")


@dataclass(frozen=True)
class Filters:
    """What selects events, independent of paging; hashable so it can key a cache.

    `gte`/`lt` are the half-open range the four `effective_at[...]` bounds reduce to.
    A list filter is None when its parameter was not sent.
    """

    gte: int | None = None
    lt: int | None = None
    event_types: frozenset[str] | None = None
    project_ids: frozenset[str] | None = None
    actor_ids: frozenset[str] | None = None
    actor_emails: frozenset[str] | None = None
    resource_ids: frozenset[str] | None = None
    tenant_only: bool = False


@dataclass(frozen=True)
class ListQuery:
    """A validated list request: filters plus page size and cursor."""

    filters: Filters
    limit: int = DEFAULT_LIMIT
    after: str | None = None
    before: str | None = None


def parse_query(pairs: Sequence[tuple[str, str]]) -> ListQuery:
    """Turn decoded query pairs into a ListQuery.

    Repeated scalar parameters keep their last value; unknown parameters are ignored (the
    real API's handling of them is not documented).

    Args:
        pairs: decoded (key, value) pairs in wire order.

    Returns:
        The validated query.

    Raises:
        ApiError: 400 for a bad `limit`, `effective_at`, `tenant_only` or event type.
    """
    scalars: dict[str, str] = {}
    arrays: dict[str, list[str]] = {}
    for key, value in pairs:
        if key.endswith("[]") and key[:-2] in _ARRAYS:
            arrays.setdefault(key[:-2], []).append(value)
        else:
            scalars[key] = value
    gte, lt = _time_range(scalars)
    tenant_only = _boolean(scalars.get("tenant_only"), "tenant_only")
    event_types = _event_types(arrays.get("event_types"), tenant_only=tenant_only)
    after, before = scalars.get("after"), scalars.get("before")
    if after is not None and before is not None:
        msg = "Only one of 'after' and 'before' may be supplied."
        raise bad_request(param="before", message=msg)
    filters = Filters(
        gte=gte,
        lt=lt,
        event_types=event_types,
        project_ids=_optional_set(arrays.get("project_ids")),
        actor_ids=_optional_set(arrays.get("actor_ids")),
        actor_emails=_optional_set(arrays.get("actor_emails")),
        resource_ids=_optional_set(arrays.get("resource_ids")),
        tenant_only=tenant_only,
    )
    return ListQuery(filters, _limit(scalars.get("limit")), after or None, before or None)


def _integer(value: str, param: str) -> int:
    if not _INTEGER.fullmatch(value):
        msg = f"Invalid '{param}': expected an integer, but got {value!r} instead."
        raise bad_request(param, msg, "invalid_type")
    return int(value)


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    limit = _integer(value, "limit")
    if limit < 1:
        msg = (
            "Invalid 'limit': integer below minimum value. Expected a value >= 1, "
            f"but got {limit} instead."
        )
        raise bad_request(param="limit", message=msg, code="integer_below_min_value")
    if limit > MAX_LIMIT:
        msg = (
            f"Invalid 'limit': integer above maximum value. Expected a value <= {MAX_LIMIT}, "
            f"but got {limit} instead."
        )
        raise bad_request(param="limit", message=msg, code="integer_above_max_value")
    return limit


def _time_range(scalars: dict[str, str]) -> tuple[int | None, int | None]:
    lower: int | None = None
    upper: int | None = None
    for op in ("gt", "gte", "lt", "lte"):
        param = f"effective_at[{op}]"
        raw = scalars.get(param)
        if raw is None:
            continue
        value = _integer(raw, param)
        # Reduce every bound to a half-open [lower, upper) range of whole seconds.
        if op in {"gt", "gte"}:
            bound = value + 1 if op == "gt" else value
            lower = bound if lower is None else max(lower, bound)
        else:
            bound = value + 1 if op == "lte" else value
            upper = bound if upper is None else min(upper, bound)
    return lower, upper


def _boolean(value: str | None, param: str) -> bool:
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    msg = f"Invalid '{param}': expected a boolean (true or false), but got {value!r} instead."
    raise bad_request(param, msg, "invalid_type")


def _event_types(values: list[str] | None, *, tenant_only: bool) -> frozenset[str] | None:
    if values is None:
        return None
    known = known_event_types()
    for index, value in enumerate(values):
        if value not in known:
            msg = f"Invalid 'event_types[{index}]': {value!r} is not a supported event type."
            raise bad_request(param="event_types", message=msg)
    if tenant_only and not all(is_tenant_scoped(value) for value in values):
        msg = (
            "Invalid 'tenant_only': When true, all supplied event types must be tenant-scoped "
            "(tenant.* types, role.bound_to_resource, role.unbound_from_resource)."
        )
        raise bad_request(param="tenant_only", message=msg)
    return frozenset(values)


def _optional_set(values: list[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "ApiError", "Filters", "ListQuery", "parse_query"]

"""Filters and cursor paging against an independent re-statement of the API's rules.

The reference semantics are written again here, from the brief and the API reference, over
the plain event dicts; the emulator's own filter code is not used to build the expectation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator, generate_events
from openai_audit_emulator.store import ORDERS

EVENTS = generate_events(seed=11, count=2500, start=0, end=3 * 86400)
AUTH = [("Authorization", f"Bearer {DEFAULT_ADMIN_KEY}")]
TENANT_EXTRA = {"role.bound_to_resource", "role.unbound_from_resource"}


def _tenant(event_type: str) -> bool:
    return event_type.startswith("tenant.") or event_type in TENANT_EXTRA


def _actor_ids(event: dict[str, Any]) -> set[str]:
    actor = event.get("actor") or {}
    key = actor.get("api_key") or {}
    found = {
        (actor.get("session") or {}).get("user", {}).get("id"),
        key.get("id"),
        (key.get("user") or {}).get("id"),
        (key.get("service_account") or {}).get("id"),
    }
    return {value for value in found if value}


def _actor_emails(event: dict[str, Any]) -> set[str]:
    actor = event.get("actor") or {}
    found = {
        (actor.get("session") or {}).get("user", {}).get("email"),
        ((actor.get("api_key") or {}).get("user") or {}).get("email"),
    }
    return {value for value in found if value}


def _expected(filters: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for event in EVENTS:
        if _tenant(event["type"]) != filters["tenant_only"]:
            continue
        if "gte" in filters and event["effective_at"] < filters["gte"]:
            continue
        if "lt" in filters and event["effective_at"] >= filters["lt"]:
            continue
        if "event_types" in filters and event["type"] not in filters["event_types"]:
            continue
        if (
            "project_ids" in filters
            and event.get("project", {}).get("id") not in filters["project_ids"]
        ):
            continue
        if "actor_ids" in filters and not _actor_ids(event) & set(filters["actor_ids"]):
            continue
        if "actor_emails" in filters and not _actor_emails(event) & set(filters["actor_emails"]):
            continue
        if (
            "resource_ids" in filters
            and event[event["type"]].get("id") not in filters["resource_ids"]
        ):
            continue
        result.append(event)
    return result


TYPES = sorted({e["type"] for e in EVENTS})
PROJECTS = sorted({e["project"]["id"] for e in EVENTS if "project" in e})
ACTORS = sorted({i for e in EVENTS for i in _actor_ids(e)})
EMAILS = sorted({m for e in EVENTS for m in _actor_emails(e)})
RESOURCES = sorted({e[e["type"]]["id"] for e in EVENTS if "id" in e[e["type"]]})[:60]


@st.composite
def filter_sets(draw: st.DrawFn) -> dict[str, Any]:
    tenant_only = draw(st.booleans())
    filters: dict[str, Any] = {"tenant_only": tenant_only}
    if draw(st.booleans()):
        filters["gte"] = draw(st.integers(0, 3 * 86400))
    if draw(st.booleans()):
        filters["lt"] = draw(st.integers(0, 3 * 86400 + 1))
    allowed = [t for t in TYPES if _tenant(t)] if tenant_only else TYPES
    for name, pool in (
        ("event_types", allowed),
        ("project_ids", PROJECTS),
        ("actor_ids", ACTORS),
        ("actor_emails", EMAILS),
        ("resource_ids", RESOURCES),
    ):
        if draw(st.integers(0, 3)) == 0:
            filters[name] = draw(
                st.lists(st.sampled_from(pool), min_size=1, max_size=6, unique=True)
            )
    return filters


def _query(filters: dict[str, Any], limit: int, cursor: tuple[str, str] | None) -> str:
    pairs: list[tuple[str, Any]] = [("limit", limit)]
    if "gte" in filters:
        pairs.append(("effective_at[gte]", filters["gte"]))
    if "lt" in filters:
        pairs.append(("effective_at[lt]", filters["lt"]))
    for name in ("event_types", "project_ids", "actor_ids", "actor_emails", "resource_ids"):
        pairs += [(f"{name}[]", value) for value in filters.get(name, ())]
    if filters["tenant_only"]:
        pairs.append(("tenant_only", "true"))
    if cursor is not None:
        pairs.append(cursor)
    return "/v1/organization/audit_logs?" + urlencode(pairs)


def _page(emu: Emulator, target: str) -> dict[str, Any]:
    response = emu.dispatch("GET", target, AUTH, b"")
    assert response.status == 200, response.body
    assert response.body is not None
    body: dict[str, Any] = orjson.loads(response.body)
    return body


@pytest.fixture(scope="module")
def emulators() -> dict[str, Emulator]:
    # dispatch() needs no socket: the same core the HTTP handler calls, minus the transport.
    return {order: Emulator(EVENTS, order=order) for order in ORDERS}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(filters=filter_sets(), limit=st.integers(1, 100), order=st.sampled_from(ORDERS))
@example(filters={"tenant_only": True}, limit=7, order="shuffled")
@example(filters={"tenant_only": False, "gte": 3600, "lt": 90000}, limit=100, order="newest_first")
def test_paging_returns_exactly_the_filtered_events_in_order(
    emulators: dict[str, Emulator], filters: dict[str, Any], limit: int, order: str
) -> None:
    emu = emulators[order]
    expected = _expected(filters)
    assert {e["id"] for e in emu.ground_truth(**filters)} == {e["id"] for e in expected}
    pages: list[list[str]] = []
    seen: list[dict[str, Any]] = []
    cursor: tuple[str, str] | None = None
    while True:
        body = _page(emu, _query(filters, limit, cursor))
        assert len(body["data"]) <= limit
        pages.append([e["id"] for e in body["data"]])
        seen += body["data"]
        if not body["has_more"]:
            break
        assert len(body["data"]) == limit
        cursor = ("after", body["last_id"])
    assert sorted(e["id"] for e in seen) == sorted(e["id"] for e in expected)
    by_id = {e["id"]: e for e in expected}
    assert all(event == by_id[event["id"]] for event in seen), "served exactly as stored"
    keys = [(e["effective_at"], e["id"]) for e in seen]
    if order == "newest_first":
        assert keys == sorted(keys, reverse=True)
    elif order == "oldest_first":
        assert keys == sorted(keys)
    # Walking back with `before` from the last page gives the earlier pages, in API order.
    if len(pages) > 1:
        back = _page(emu, _query(filters, limit, ("before", pages[-1][0])))
        assert [e["id"] for e in back["data"]] == pages[-2]
        assert back["has_more"] == (len(pages) > 2)

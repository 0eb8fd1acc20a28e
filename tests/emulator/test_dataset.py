"""The synthetic organization: coverage, ties, determinism, shapes and synthetic-only data."""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from typing import Any

import pytest

from openai_audit_emulator import (
    DEFAULT_END,
    Emulator,
    default_events,
    generate_events,
    is_tenant_scoped,
)
from openai_audit_emulator.catalog import event_types

BIND_SOURCES = {
    "role_toggle",
    "role_connector_update",
    "role_delete",
    "workspace_permissions",
    "connector_publish",
}
DOC_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]


def test_the_catalog_is_the_149_types_and_tenant_scope_follows_the_reference() -> None:
    assert len(event_types()) == 149
    tenant = [t for t in event_types() if is_tenant_scoped(t)]
    assert len(tenant) == 88 + 2
    assert is_tenant_scoped("role.bound_to_resource")
    assert is_tenant_scoped("role.unbound_from_resource")
    assert is_tenant_scoped("tenant.user.added")
    assert not is_tenant_scoped("role.created")
    assert not is_tenant_scoped("api_key.created")


def test_default_organization_covers_every_type_across_both_tenant_modes(
    default_emulator: Emulator,
) -> None:
    plain = default_emulator.ground_truth()
    tenant = default_emulator.ground_truth(tenant_only=True)
    assert {e["type"] for e in plain} | {e["type"] for e in tenant} == set(event_types())
    assert not any(is_tenant_scoped(e["type"]) for e in plain)
    assert all(is_tenant_scoped(e["type"]) for e in tenant)
    assert len(plain) + len(tenant) == 3000


def test_default_organization_has_ties_and_a_run_longer_than_a_page(
    default_emulator: Emulator,
) -> None:
    per_second = Counter(e["effective_at"] for e in default_emulator.ground_truth())
    assert per_second.most_common(1)[0][1] > 100, "a run of more than 100 in one second"
    assert sum(1 for n in per_second.values() if n >= 2) > 20, "ties spread over the range"


def test_default_organization_spans_thirty_days_before_the_default_end() -> None:
    events = default_events()
    assert len(events) == 3000
    assert DEFAULT_END == 1793491200  # 2026-11-01T00:00:00Z
    assert all(DEFAULT_END - 30 * 86400 <= e["effective_at"] < DEFAULT_END for e in events)


def test_generation_is_deterministic_and_seed_dependent() -> None:
    first = generate_events(seed=5, count=400, start=1000, end=2000)
    assert first == generate_events(seed=5, count=400, start=1000, end=2000)
    other = generate_events(seed=6, count=400, start=1000, end=2000)
    assert {e["id"] for e in first}.isdisjoint({e["id"] for e in other})
    assert len({e["id"] for e in first}) == 400
    assert all(1000 <= e["effective_at"] < 2000 for e in first)
    assert [(e["effective_at"], e["id"]) for e in first] == sorted(
        (e["effective_at"], e["id"]) for e in first
    )


@pytest.mark.parametrize("count", [149, 5000])
def test_every_type_is_covered_and_large_sets_have_a_long_run(count: int) -> None:
    events = generate_events(seed=9, count=count, start=0, end=86400 * 7)
    assert {e["type"] for e in events} == set(event_types())
    longest = Counter(e["effective_at"] for e in events).most_common(1)[0][1]
    assert (longest > 100) == (count >= 2000)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="count"):
        generate_events(seed=1, count=-1, start=0, end=10)
    with pytest.raises(ValueError, match="greater"):
        generate_events(seed=1, count=1, start=10, end=10)


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def test_events_are_shaped_like_the_api_and_use_only_synthetic_identities() -> None:
    kinds: Counter[str] = Counter()
    for event in default_events():
        assert event["id"].startswith("audit_log-")
        assert isinstance(event["effective_at"], int)
        assert isinstance(event[event["type"]], dict), "payload under a key named like the type"
        allowed = {"id", "type", "effective_at", "actor", "project", event["type"]}
        assert set(event) <= allowed
        if "project" in event:
            assert set(event["project"]) == {"id", "name"}
            assert event["project"]["id"].startswith("proj_")
        actor = event.get("actor")
        if actor is None:
            kinds["none"] += 1
            continue
        kinds[actor["type"] + ":" + actor.get("api_key", {}).get("type", "")] += 1
        emails = EMAIL.findall(json.dumps(event))
        kinds["emails"] += len(emails)
        assert all(e.endswith("@example.com") for e in emails)
        if actor["type"] == "session":
            session = actor["session"]
            address = ipaddress.ip_address(session["ip_address"])
            assert any(address in net for net in DOC_NETWORKS)
            assert {"user", "ip_address", "user_agent", "ja3", "ja4", "ip_address_details"} <= set(
                session
            )
            details = session["ip_address_details"]
            assert set(details) == {
                "country",
                "city",
                "region",
                "region_code",
                "asn",
                "latitude",
                "longitude",
            }
    assert kinds.pop("emails") > 1000
    assert set(kinds) == {"session:", "api_key:user", "api_key:service_account", "none"}


def _first(events: list[dict[str, Any]], event_type: str) -> dict[str, Any]:
    payload = next(e for e in events if e["type"] == event_type)[event_type]
    assert isinstance(payload, dict)
    return payload


def test_payloads_follow_the_reference_table() -> None:
    events = generate_events(seed=3, count=3000, start=0, end=86400 * 30)
    assert set(_first(events, "api_key.created")) == {"id", "data"}
    assert isinstance(_first(events, "api_key.created")["data"]["scopes"], list)
    assert set(_first(events, "api_key.updated")["changes_requested"]) == {
        "scopes",
        "expires_in_seconds",
    }
    assert set(_first(events, "project.archived")) == {"id"}
    assert _first(events, "project.archived")["id"].startswith("proj_")
    providers = {
        e["external_storage.registered"]["data"]["provider"]["type"]
        for e in events
        if e["type"] == "external_storage.registered"
    }
    assert providers <= {"aws", "azure", "gcp", "oci"}
    limits = _first(events, "rate_limit.updated")["changes_requested"]
    assert all(isinstance(v, int) for v in limits.values())
    assert len(limits) == 6
    # The organization's one settings change of the month turns logging on everywhere.
    organization = _first(events, "organization.updated")["changes_requested"]
    assert organization == {"api_call_logging": "enabled_for_all_projects"}
    binding = _first(events, "role.bound_to_resource")
    assert isinstance(binding["enabled"], bool)
    assert binding["source"] in BIND_SOURCES
    assert binding["id"] == f"{binding['workspace_id']}__{binding['connector_id']}"
    assert set(_first(events, "login.failed")) == {"error_code", "error_message"}
    assert _first(events, "login.succeeded") == {}
    for untyped in ("resource.deleted", "tunnel.created", "tenant.user.added"):
        assert set(_first(events, untyped)) == {"id", "details"}

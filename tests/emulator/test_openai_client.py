"""Fidelity judged by the official `openai` client: auto-pagination over every filter kind."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import openai
import pytest
from openai import OpenAI

from openai_audit_emulator import DEFAULT_ADMIN_KEY, DEFAULT_END, Emulator, default_events
from openai_audit_emulator.store import ORDERS
from tests.emulator.helpers import get

if TYPE_CHECKING:
    from collections.abc import Iterator

DAY = 86400


def _pick() -> dict[str, Any]:
    """Real values from the default organization to filter on."""
    events = default_events()
    session = next(e for e in events if e.get("actor", {}).get("type") == "session")
    service = next(
        e for e in events if e.get("actor", {}).get("api_key", {}).get("type") == "service_account"
    )
    by_second = Counter(e["effective_at"] for e in events)
    burst_second, _ = by_second.most_common(1)[0]
    project_event = next(e for e in events if e["type"] == "project.created")
    return {
        "user_id": session["actor"]["session"]["user"]["id"],
        "email": session["actor"]["session"]["user"]["email"],
        "service_account": service["actor"]["api_key"]["service_account"]["id"],
        "project": project_event["project"]["id"],
        "resource": project_event["project.created"]["id"],
        "burst": burst_second,
    }


PICK = _pick()

# (SDK keyword arguments, the same filters for ground_truth)
CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"limit": 100}, {}),
    (
        {"limit": 7, "effective_at": {"gte": DEFAULT_END - 10 * DAY, "lt": DEFAULT_END - 8 * DAY}},
        {"gte": DEFAULT_END - 10 * DAY, "lt": DEFAULT_END - 8 * DAY},
    ),
    (
        {"limit": 30, "effective_at": {"gte": PICK["burst"], "lte": PICK["burst"]}},
        {"gte": PICK["burst"], "lt": PICK["burst"] + 1},
    ),
    (
        {
            "effective_at": {"gt": DEFAULT_END - 3 * DAY},
            "event_types": ["login.succeeded", "user.added"],
        },
        {"gte": DEFAULT_END - 3 * DAY + 1, "event_types": ["login.succeeded", "user.added"]},
    ),
    (
        {
            "limit": 13,
            "project_ids": [PICK["project"]],
            "actor_ids": [PICK["service_account"], PICK["user_id"]],
        },
        {"project_ids": [PICK["project"]], "actor_ids": [PICK["service_account"], PICK["user_id"]]},
    ),
    ({"limit": 9, "actor_emails": [PICK["email"]]}, {"actor_emails": [PICK["email"]]}),
    ({"resource_ids": [PICK["resource"]]}, {"resource_ids": [PICK["resource"]]}),
    ({"limit": 50, "tenant_only": True}, {"tenant_only": True}),
    (
        {
            "limit": 3,
            "tenant_only": True,
            "event_types": ["role.bound_to_resource", "tenant.user.added", "tenant.policy.created"],
        },
        {
            "tenant_only": True,
            "event_types": ["role.bound_to_resource", "tenant.user.added", "tenant.policy.created"],
        },
    ),
    (
        {"limit": 100, "tenant_only": False, "effective_at": {"lt": DEFAULT_END - 29 * DAY}},
        {"lt": DEFAULT_END - 29 * DAY},
    ),
]


@pytest.fixture(scope="module", params=ORDERS)
def ordered_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(order=request.param) as emu:
        yield emu


def _client(emu: Emulator) -> OpenAI:
    # Strict validation: every response must match the SDK's own pydantic models.
    return OpenAI(
        admin_api_key=DEFAULT_ADMIN_KEY,
        base_url=emu.url,
        max_retries=0,
        _strict_response_validation=True,
    )


@pytest.mark.parametrize(("sdk_args", "truth_args"), CASES)
def test_auto_pagination_returns_exactly_the_ground_truth(
    ordered_emulator: Emulator, sdk_args: dict[str, Any], truth_args: dict[str, Any]
) -> None:
    before = ordered_emulator.data_request_count
    items = list(_client(ordered_emulator).admin.organization.audit_logs.list(**sdk_args))
    ids = [item.id for item in items]
    truth = ordered_emulator.ground_truth(**truth_args)
    assert truth, "each case must select something, or it proves nothing"
    assert len(ids) == len(set(ids)), "duplicates across pages"
    assert set(ids) == {event["id"] for event in truth}
    limit = sdk_args.get("limit", 20)
    assert ordered_emulator.data_request_count - before == max(1, -(-len(truth) // limit))
    for item in items:
        payload = item.to_dict()
        assert item.type in payload, "payload key named exactly like the type"


def test_newest_first_sorts_by_time_then_id_descending(default_emulator: Emulator) -> None:
    items = list(_client(default_emulator).admin.organization.audit_logs.list(limit=100))
    keys = [(item.effective_at, item.id) for item in items]
    assert keys == sorted(keys, reverse=True)


def _all_keys(emu: Emulator) -> list[tuple[int, str]]:
    """Page through everything with plain requests (faster than the SDK's models)."""
    keys: list[tuple[int, str]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        body = get(emu, params).json()
        keys += [(event["effective_at"], event["id"]) for event in body["data"]]
        if not body["has_more"]:
            return keys
        params["after"] = body["last_id"]


def test_oldest_first_and_shuffled_orders() -> None:
    with Emulator(order="oldest_first") as emu:
        assert _all_keys(emu) == sorted(_all_keys(emu))
    with Emulator(order="shuffled") as first, Emulator(order="shuffled") as second:
        shuffled = _all_keys(first)
        assert shuffled == _all_keys(second), "the shuffled order is fixed"
    assert shuffled != sorted(shuffled)
    assert shuffled != sorted(shuffled, reverse=True)


def test_sdk_models_read_typed_payloads_and_actor_extras(default_emulator: Emulator) -> None:
    items = list(
        _client(default_emulator).admin.organization.audit_logs.list(
            limit=100,
            event_types=["api_key.created", "rate_limit.updated", "external_storage.registered"],
        )
    )
    by_type = {item.type: item for item in items}
    created = by_type["api_key.created"].api_key_created
    assert created is not None
    assert created.data is not None
    assert created.data.scopes
    rate = by_type["rate_limit.updated"].rate_limit_updated
    assert rate is not None
    assert rate.changes_requested is not None
    assert isinstance(rate.changes_requested.max_requests_per_1_minute, int)
    storage = by_type["external_storage.registered"].external_storage_registered
    assert storage is not None
    assert storage.data is not None
    assert storage.data.provider is not None
    assert storage.data.provider.type in {"aws", "azure", "gcp", "oci"}


def test_sdk_raises_typed_errors(default_emulator: Emulator) -> None:
    wrong = OpenAI(
        admin_api_key="sk-admin-wrong-key-0000", base_url=default_emulator.url, max_retries=0
    )
    with pytest.raises(openai.AuthenticationError) as raised:
        wrong.admin.organization.audit_logs.list()
    assert raised.value.code == "invalid_api_key"
    assert raised.value.request_id is not None
    assert raised.value.request_id.startswith("req_")
    project = OpenAI(admin_api_key="sk-proj-abc123", base_url=default_emulator.url, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError):
        project.admin.organization.audit_logs.list()
    with pytest.raises(openai.BadRequestError) as bad:
        _client(default_emulator).admin.organization.audit_logs.list(
            tenant_only=True, event_types=["login.succeeded"]
        )
    assert bad.value.param == "tenant_only"

"""Wire behaviour: auth, envelope, cursor, limit, validation, headers, recording, add_events."""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from openai_audit_emulator import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_END,
    Emulator,
    generate_events,
    is_tenant_scoped,
)
from tests.emulator.helpers import control_url, get, page_ids

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def small() -> Iterator[Emulator]:
    """500 events over one day, newest first."""
    with Emulator(generate_events(seed=2, count=500, start=0, end=86400)) as emu:
        yield emu


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    error: dict[str, Any] = body["error"]
    return error


def test_envelope_and_default_limit(default_emulator: Emulator) -> None:
    response = get(default_emulator)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    body = response.json()
    assert set(body) == {"object", "data", "first_id", "last_id", "has_more"}
    assert body["object"] == "list"
    assert len(body["data"]) == 20
    assert body["first_id"] == body["data"][0]["id"]
    assert body["last_id"] == body["data"][-1]["id"]
    assert body["has_more"] is True


def test_empty_result_has_null_ids(default_emulator: Emulator) -> None:
    body = get(default_emulator, {"effective_at[gte]": DEFAULT_END}).json()
    assert body == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [
        (None, 401, "missing_api_key"),
        ("sk-admin-not-the-right-one-wxyz", 401, "invalid_api_key"),
        ("sk-proj-abcdefghijklmnop", 403, "insufficient_permissions"),
    ],
)
def test_bearer_check(default_emulator: Emulator, key: str | None, status: int, code: str) -> None:
    response = get(default_emulator, key=key)
    assert response.status_code == status
    assert response.headers["x-request-id"].startswith("req_")
    error = _error(response)
    assert error["code"] == code
    assert error["type"] == "invalid_request_error"


def test_wrong_key_is_echoed_masked(default_emulator: Emulator) -> None:
    error = _error(get(default_emulator, key="sk-admin-secretsecretsecret-abcd"))
    assert error["message"].startswith("Incorrect API key provided: sk-admin***abcd.")
    assert "secretsecret" not in error["message"]
    assert "https://platform.openai.com/account/api-keys" in error["message"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"effective_at[gte]": "1.5"}, "effective_at[gte]"),
        ({"effective_at[lt]": "yesterday"}, "effective_at[lt]"),
        ({"event_types[]": "user.teleported"}, "event_types"),
        ({"tenant_only": "yes"}, "tenant_only"),
        (
            [
                ("tenant_only", "true"),
                ("event_types[]", "tenant.user.added"),
                ("event_types[]", "user.added"),
            ],
            "tenant_only",
        ),
        ({"after": "audit_log-does-not-exist"}, "after"),
        ({"before": "audit_log-does-not-exist"}, "before"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(
    default_emulator: Emulator, params: Any, param: str
) -> None:
    response = get(default_emulator, params)
    assert response.status_code == 400
    assert _error(response)["param"] == param


def test_limit_bounds_are_inclusive(default_emulator: Emulator) -> None:
    assert len(get(default_emulator, {"limit": 1}).json()["data"]) == 1
    assert len(get(default_emulator, {"limit": 100}).json()["data"]) == 100


def test_unknown_path_and_method_are_404(default_emulator: Emulator) -> None:
    assert get(default_emulator, path="/organization/audit_log").status_code == 404
    parts = urlsplit(default_emulator.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    connection.request(
        "POST",
        "/v1/organization/audit_logs",
        headers={"Authorization": f"Bearer {DEFAULT_ADMIN_KEY}"},
    )
    response = connection.getresponse()
    assert response.status == 404
    assert b"Invalid URL (POST /v1/organization/audit_logs)" in response.read()
    connection.close()


def test_after_and_before_walk_the_same_pages(small: Emulator) -> None:
    pages = []
    params: dict[str, Any] = {"limit": 30}
    while True:
        body = get(small, params).json()
        pages.append([e["id"] for e in body["data"]])
        if not body["has_more"]:
            break
        params["after"] = body["last_id"]
    flat = [i for page in pages for i in page]
    assert len(flat) == len(set(flat)) == len(small.ground_truth())
    # Walk back from the last page with `before`: the same pages, newest first within each.
    back = []
    cursor = pages[-1][0]
    while True:
        body = get(small, {"limit": 30, "before": cursor}).json()
        if not body["data"]:
            break
        back.append([e["id"] for e in body["data"]])
        if not body["has_more"]:
            break
        cursor = body["first_id"]
    assert back == pages[-2::-1]


def test_after_and_before_together_are_refused(small: Emulator) -> None:
    first = page_ids(get(small))
    assert get(small, {"after": first[0], "before": first[-1]}).status_code == 400


def test_cursor_excluded_by_the_filters_still_positions_the_page(small: Emulator) -> None:
    everything = small.ground_truth()
    cursor = next(e for e in everything[200:] if e["type"] != "login.succeeded")
    cursor_key = (cursor["effective_at"], cursor["id"])
    logins = sorted(
        ((e["effective_at"], e["id"]) for e in small.ground_truth(event_types=["login.succeeded"])),
        reverse=True,
    )
    expected = [key[1] for key in logins if key < cursor_key]
    assert expected, "the case must have events after the cursor"
    params = {"limit": 100, "after": cursor["id"], "event_types[]": "login.succeeded"}
    assert page_ids(get(small, params)) == expected[:100]


def test_effective_at_bounds_are_inclusive_and_exclusive_as_named(small: Emulator) -> None:
    events = small.ground_truth()
    moment = sorted(e["effective_at"] for e in events)[250]
    at = {e["id"] for e in events if e["effective_at"] == moment}
    assert (
        set(
            page_ids(
                get(small, {"effective_at[gte]": moment, "effective_at[lte]": moment, "limit": 100})
            )
        )
        == at
    )
    assert page_ids(get(small, {"effective_at[gt]": moment, "effective_at[lte]": moment})) == []
    assert page_ids(get(small, {"effective_at[gte]": moment, "effective_at[lt]": moment})) == []


def test_requests_are_recorded_without_the_key(small: Emulator) -> None:
    get(small, [("limit", "5"), ("event_types[]", "user.added"), ("event_types[]", "login.failed")])
    get(small, key="sk-admin-bad-bad-bad-0000")
    ok, denied = small.requests[-2:]
    assert ok.method == "GET"
    assert ok.path == "/v1/organization/audit_logs"
    assert ok.query == (
        ("limit", "5"),
        ("event_types[]", "user.added"),
        ("event_types[]", "login.failed"),
    )
    assert ok.status == 200
    assert denied.status == 401
    assert "authorization" not in {name.lower() for name in ok.headers}
    assert ok.headers["user-agent"] == ok.headers["User-Agent"]
    assert small.data_request_count == len(small.requests)


def test_added_events_are_visible_to_the_next_request(small: Emulator) -> None:
    extra = generate_events(seed=77, count=40, start=90000, end=90010)
    window = {"limit": 100, "effective_at[gte]": 90000}
    assert page_ids(get(small, window)) == []
    small.add_events(extra)
    expected = {e["id"] for e in extra if not is_tenant_scoped(e["type"])}
    assert expected
    assert set(page_ids(get(small, window))) == expected


def test_adding_an_existing_id_replaces_the_event(small: Emulator) -> None:
    original = small.ground_truth()[0]
    changed = {**original, "effective_at": 86400 * 3}
    small.add_events([changed])
    again = [e for e in small.ground_truth() if e["id"] == original["id"]]
    assert again == [changed]


def test_latency_delays_data_responses_only(small: Emulator) -> None:
    small.latency = 0.3
    assert small.latency == 0.3
    assert get(small).elapsed.total_seconds() >= 0.3
    stats = requests.get(control_url(small, "stats"), timeout=5)
    assert stats.status_code == 200
    assert stats.elapsed.total_seconds() < 0.3
    small.latency = 0.0
    assert get(small).elapsed.total_seconds() < 0.3


def test_keep_alive_serves_many_requests_on_one_connection(small: Emulator) -> None:
    parts = urlsplit(small.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    headers = {"Authorization": f"Bearer {DEFAULT_ADMIN_KEY}"}
    for _ in range(5):
        connection.request("GET", "/v1/organization/audit_logs?limit=3", headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        assert int(response.headers["Content-Length"]) == len(response.read())
    connection.close()

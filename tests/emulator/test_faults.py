"""Each injected fault does what it says, once, in FIFO order."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
import pytest
import requests

from openai_audit_emulator import Emulator, Fault, generate_events, is_tenant_scoped
from tests.emulator.helpers import get, page_ids

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(generate_events(seed=4, count=300, start=0, end=86400)) as emulator:
        yield emulator


def test_status_fault_has_openai_body_and_retry_after_then_is_consumed(emu: Emulator) -> None:
    emu.inject(Fault.status(429, retry_after="7"))
    response = get(emu)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["x-request-id"].startswith("req_")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == "rate_limit_exceeded"
    assert get(emu).status_code == 200


def test_persistent_fault_and_custom_message(emu: Emulator) -> None:
    emu.inject(*[Fault.status(503, message="upstream is resting")] * 3)
    statuses = [get(emu).status_code for _ in range(4)]
    assert statuses == [503, 503, 503, 200]
    assert emu.requests[0].status == 503
    emu.inject(Fault.status(500))
    body = get(emu).json()
    assert body["error"]["type"] == "server_error"
    assert "Retry-After" not in get(emu).headers


def test_faults_are_served_in_fifo_order(emu: Emulator) -> None:
    emu.inject(Fault.status(502), Fault.html(), Fault.missing_data())
    first, second, third = get(emu), get(emu), get(emu)
    assert (first.status_code, second.status_code, third.status_code) == (502, 200, 200)
    assert second.headers["Content-Type"].startswith("text/html")
    assert "data" not in third.json()


def test_drop_closes_without_a_response(emu: Emulator) -> None:
    emu.inject(Fault.drop())
    with pytest.raises(requests.ConnectionError):
        get(emu)
    assert emu.requests[-1].status == 0
    assert get(emu).status_code == 200


def test_slow_outlasts_the_client_timeout_then_answers(emu: Emulator) -> None:
    emu.inject(Fault.slow(0.6))
    with pytest.raises(requests.ReadTimeout):
        get(emu, timeout=0.2)
    emu.inject(Fault.slow(0.2))
    response = get(emu, timeout=5)
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.2
    assert len(response.json()["data"]) == 20


def test_html_page(emu: Emulator) -> None:
    emu.inject(Fault.html())
    response = get(emu)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<html>")
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_truncated_json_is_cut_but_framed(emu: Emulator) -> None:
    full = get(emu).content
    emu.inject(Fault.truncated_json())
    response = get(emu)
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert full.startswith(response.content)
    assert 0 < len(response.content) < len(full)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_missing_data(emu: Emulator) -> None:
    emu.inject(Fault.missing_data())
    assert get(emu).json() == {"object": "list", "has_more": False}


def test_empty_page_with_has_more(emu: Emulator) -> None:
    emu.inject(Fault.empty_page_has_more())
    assert get(emu).json() == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": True,
    }


def test_repeat_cursor_points_back_to_the_request_cursor(emu: Emulator) -> None:
    first = get(emu, {"limit": 10}).json()
    normal = get(emu, {"limit": 10, "after": first["last_id"]}).json()
    emu.inject(Fault.repeat_cursor())
    repeated = get(emu, {"limit": 10, "after": first["last_id"]}).json()
    assert repeated["data"] == normal["data"]
    assert repeated["last_id"] == first["last_id"]
    assert repeated["has_more"] is True


def test_repeat_cursor_without_after_repeats_the_previous_last_id(emu: Emulator) -> None:
    previous = get(emu, {"limit": 10}).json()
    emu.inject(Fault.repeat_cursor())
    repeated = get(emu, {"limit": 10}).json()
    assert repeated["last_id"] == previous["last_id"]
    assert repeated["has_more"] is True


def test_late_events_arrive_just_before_the_answer(emu: Emulator) -> None:
    late = [
        e
        for e in generate_events(seed=8, count=400, start=100, end=160)
        if not is_tenant_scoped(e["type"])
    ][:40]
    assert late
    window = {"effective_at[gte]": 100, "effective_at[lt]": 160, "limit": 100}
    before = set(page_ids(get(emu, window)))
    emu.inject(Fault.late_events(late))
    after = set(page_ids(get(emu, window)))
    assert after - before == {e["id"] for e in late}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"kind": "status", "code": 429, "retry_after": 2}, Fault.status(429, retry_after="2")),
        ({"kind": "drop"}, Fault.drop()),
        ({"kind": "slow", "seconds": 1.5}, Fault.slow(1.5)),
        ({"kind": "truncated_json"}, Fault.truncated_json()),
        ({"kind": "empty_page_has_more"}, Fault.empty_page_has_more()),
    ],
)
def test_fault_from_json(spec: dict[str, object], expected: Fault) -> None:
    assert Fault.from_json(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "explode"},
        {"kind": "status"},
        {"kind": "status", "code": 42},
        {"kind": "slow", "seconds": -1},
    ],
)
def test_fault_from_json_refuses_nonsense(spec: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="fault"):
        Fault.from_json(spec)

"""Control endpoints under /_emulator/: add events, queue faults, set latency, read stats."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import pytest
import requests

from openai_audit_emulator import Emulator, generate_events
from openai_audit_emulator.ordinary import WATCHED
from tests.emulator import story_oracle
from tests.emulator.helpers import control_url, get

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(generate_events(seed=4, count=300, start=0, end=86400)) as emulator:
        yield emulator


def _post(emu: Emulator, path: str, body: Any) -> requests.Response:
    return requests.post(control_url(emu, path), json=body, timeout=5)


def _stats(emu: Emulator) -> dict[str, int]:
    stats: dict[str, int] = requests.get(control_url(emu, "stats"), timeout=5).json()
    return stats


def test_stats_counts_events_and_data_requests_but_not_control_calls(emu: Emulator) -> None:
    assert _stats(emu)["events"] == 300
    get(emu)
    get(emu)
    stats = _stats(emu)
    assert stats["data_requests"] == 2
    assert emu.data_request_count == 2
    assert all(r.path.startswith("/v1/") for r in emu.requests)


def test_post_events_adds_new_and_late_events_relative_to_now(emu: Emulator) -> None:
    now = int(time.time())
    response = _post(emu, "events", {"count": 5, "late": 4, "late_seconds": 300, "seed": 3})
    assert response.status_code == 200
    added = response.json()["added"]
    assert len(added) == len(set(added)) == 9
    assert _stats(emu)["events"] == 309
    held = {e["id"]: e for e in emu.ground_truth() + emu.ground_truth(tenant_only=True)}
    times = [held[i]["effective_at"] for i in added]
    assert all(now - 61 <= t <= now + 1 for t in times[:5]), "new: within the last minute"
    assert all(now - 301 <= t < now - 59 for t in times[5:]), "late: older than a minute"


def test_post_events_backfills_events_weeks_behind_now(emu: Emulator) -> None:
    now = int(time.time())
    week = 7 * 86_400
    response = _post(emu, "events", {"backfill": 6, "backfill_seconds_ago": 3 * week})
    assert response.status_code == 200
    added = set(response.json()["added"])
    assert len(added) == 6
    held = {e["id"]: e for e in emu.ground_truth() + emu.ground_truth(tenant_only=True)}
    for event_id in added:
        assert now - 3 * week - 1 <= held[event_id]["effective_at"] < now - 3 * week + 3601


@pytest.mark.parametrize("skew", [-900.0, 900.0])
def test_every_answer_carries_a_date_from_the_skewed_clock(skew: float) -> None:
    with Emulator([], clock_skew=skew) as emu:
        answers = [get(emu), get(emu, key="sk-admin-wrong-key-0000")]  # any status
    for answer in answers:
        date = parsedate_to_datetime(answer.headers["Date"]).timestamp()
        assert abs(date - (time.time() + skew)) < 5


def test_post_events_without_seed_twice_adds_distinct_events(emu: Emulator) -> None:
    first = _post(emu, "events", {"count": 3}).json()["added"]
    second = _post(emu, "events", {"count": 3}).json()["added"]
    assert set(first).isdisjoint(second)
    assert _stats(emu)["events"] == 306


def test_post_faults_queues_them_for_data_requests(emu: Emulator) -> None:
    specs = [{"kind": "status", "code": 429, "retry_after": "2"}, {"kind": "missing_data"}]
    assert _post(emu, "faults", specs).json() == {"queued": 2}
    limited = get(emu)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert "data" not in get(emu).json()
    assert "data" in get(emu).json()


def test_post_latency_sets_the_delay(emu: Emulator) -> None:
    assert _post(emu, "latency", {"seconds": 0.25}).json() == {"seconds": 0.25}
    assert emu.latency == 0.25
    assert get(emu).elapsed.total_seconds() >= 0.25


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("faults", [{"kind": "explode"}]),
        ("faults", {"kind": "drop"}),
        ("latency", {"seconds": -1}),
        ("events", {"count": -5}),
        ("events", {"late": 2, "late_seconds": 30}),
    ],
)
def test_bad_control_requests_get_400(emu: Emulator, path: str, body: Any) -> None:
    response = _post(emu, path, body)
    assert response.status_code == 400
    assert "error" in response.json()


def test_malformed_json_and_unknown_endpoint(emu: Emulator) -> None:
    response = requests.post(control_url(emu, "latency"), data=b"{not json", timeout=5)
    assert response.status_code == 400
    assert requests.get(control_url(emu, "nothing"), timeout=5).status_code == 404


def test_added_events_are_the_emulator_s_people_doing_ordinary_things() -> None:
    with Emulator() as emulator:
        response = _post(emulator, "events", {"count": 40, "late": 10, "backfill": 30})
        added = set(response.json()["added"])
        held = emulator.ground_truth() + emulator.ground_truth(tenant_only=True)
        events = [e for e in held if e["id"] in added]
        users = {user["id"] for user in emulator.organization.users}
    assert len(events) == 80
    # A handful of new events holds none of an owner's monthly acts (those would page someone).
    assert not {e["type"] for e in events} & WATCHED
    assert not story_oracle.detect(events)
    acting = {
        (e.get("actor") or {}).get("session", {}).get("user", {}).get("id") for e in events
    } - {None}
    assert acting
    assert acting <= users

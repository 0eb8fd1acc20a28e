"""The extraction guarantees (docs/guarantees.md), against the emulator."""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from openai_audit_emulator import Emulator, generate_events
from tap_openai_audit.audit_log.records import to_record
from tap_openai_audit.tap import TapOpenAIAudit
from tap_openai_audit.timeutil import parse_rfc3339
from tests.tap_runs import base_config, bookmarks, run_cli, run_in_process

DAY = 86_400
END = 1_793_491_200  # 2026-11-01T00:00:00Z, where the default organization ends
END_ISO = "2026-11-01T00:00:00Z"
START_ISO = "2026-10-02T00:00:00Z"  # 30 days before


def _params(query: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in query:
        params.setdefault(key, []).append(value)
    return params


def _window_requests(emu: Emulator) -> list[dict[str, list[str]]]:
    return [
        _params(r.query) for r in emu.audit_log_requests if "effective_at[gte]" in dict(r.query)
    ]


def _truth(emu: Emulator, **bounds: Any) -> set[str]:
    """The ids of both scopes in `bounds`, as the emulator holds them."""
    return {
        e["id"] for e in emu.ground_truth(**bounds) + emu.ground_truth(**bounds, tenant_only=True)
    }


def test_every_event_is_emitted_once_with_a_final_bookmark(emulator: Emulator) -> None:
    run = run_in_process(base_config(emulator.url, start_date=START_ISO, end_date=END_ISO))
    truth = _truth(emulator, gte=END - 30 * DAY, lt=END)
    assert len(truth) > 1000
    assert Counter(run.ids) == Counter(truth)  # each exactly once
    assert {scope: parse_rfc3339(b).timestamp() for scope, b in run.bookmarks.items()} == {
        "organization": END,
        "tenant": END,
    }


def test_windows_are_consecutive_oldest_first_with_the_cursor_inside_each(
    emulator: Emulator,
) -> None:
    run_in_process(
        base_config(
            emulator.url,
            start_date=START_ISO,
            end_date=END_ISO,
            window_size_days=2.5,
            page_size=50,
            max_concurrency=1,  # one request at a time, so their order is the tap's
            scopes=["organization"],
        )
    )
    requests = _window_requests(emulator)
    windows = [(int(p["effective_at[gte]"][0]), int(p["effective_at[lt]"][0])) for p in requests]
    distinct = list(dict.fromkeys(windows))
    assert distinct[0][0] == END - 30 * DAY
    assert distinct[-1][1] == END
    assert all(a[1] == b[0] for a, b in itertools.pairwise(distinct))  # no gap, no overlap
    # Boundaries on the grid of the window size, so that re-reads give the same windows.
    size = int(2.5 * DAY)
    assert all(start % size == 0 for start, _ in distinct[1:])
    assert all(end - start == size for start, end in distinct[1:-1])
    assert all(p["limit"] == ["50"] for p in requests)
    # Inside a window: the first page has no cursor, each next one sends the last id seen.
    for previous, current in itertools.pairwise(emulator.audit_log_requests):
        after = dict(current.query).get("after")
        if after is not None:
            assert (
                dict(previous.query)["effective_at[gte]"]
                == dict(current.query)["effective_at[gte]"]
            )
    assert sum("after" in p for p in requests) > 0


def test_filters_go_out_as_repeated_bracket_parameters(emulator: Emulator) -> None:
    config = base_config(
        emulator.url,
        start_date="2026-10-30T00:00:00Z",
        end_date=END_ISO,
        event_types=["api_key.created", "project.created"],
        project_ids=["proj_a", "proj_b"],
        actor_emails=["alice@example.com"],
        actor_ids=["user_1"],
        resource_ids=["res_1"],
    )
    run_in_process(config)
    params = _window_requests(emulator)[0]
    assert params["event_types[]"] == ["api_key.created", "project.created"]
    assert params["project_ids[]"] == ["proj_a", "proj_b"]
    assert params["actor_emails[]"] == ["alice@example.com"]
    assert params["actor_ids[]"] == ["user_1"]
    assert params["resource_ids[]"] == ["res_1"]
    assert "tenant_only" not in params
    # No tenant-scoped type asked for: the tenant partition has nothing to ask and is skipped.
    assert all("tenant_only" not in p for p in _window_requests(emulator))


def test_a_leftover_tenant_only_reads_the_tenant_scope_with_a_warning(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        run = run_in_process(
            base_config(emulator.url, start_date=START_ISO, end_date=END_ISO, tenant_only=True)
        )
    assert all(p["tenant_only"] == ["true"] for p in _window_requests(emulator))
    truth = {e["id"] for e in emulator.ground_truth(gte=END - 30 * DAY, lt=END, tenant_only=True)}
    assert truth
    assert set(run.ids) == truth
    assert {r["scope"] for r in run.records} == {"tenant"}
    assert "tenant_only" in caplog.text


def test_event_types_are_split_by_scope(emulator: Emulator) -> None:
    types = [
        "login.failed",
        "tenant.admin_api_key.created",
        "role.bound_to_resource",
        "project.created",
    ]
    run = run_in_process(
        base_config(emulator.url, start_date=START_ISO, end_date=END_ISO, event_types=types)
    )
    asked = {
        "tenant" if "tenant_only" in p else "organization": p["event_types[]"]
        for p in _window_requests(emulator)
    }
    assert asked == {
        "organization": ["login.failed", "project.created"],
        "tenant": ["tenant.admin_api_key.created", "role.bound_to_resource"],
    }
    assert {r["type"] for r in run.records} <= set(types)
    assert {r["scope"] for r in run.records} == {"organization", "tenant"}


def test_only_the_configured_scopes_are_read_and_keep_their_own_bookmarks(
    emulator: Emulator,
) -> None:
    state = {
        "bookmarks": {
            "audit_logs": {
                "partitions": [
                    {
                        "context": {"scope": "organization"},
                        "replication_key": "effective_at",
                        "replication_key_value": "2026-10-20T00:00:00+00:00",
                    }
                ]
            }
        }
    }
    run = run_in_process(
        base_config(emulator.url, start_date=START_ISO, end_date=END_ISO, scopes=["tenant"]),
        state=state,
    )
    assert {r["scope"] for r in run.records} == {"tenant"}
    assert run.bookmarks == {
        "organization": "2026-10-20T00:00:00+00:00",
        "tenant": "2026-11-01T00:00:00+00:00",
    }


def test_a_filtered_run_emits_exactly_the_matching_events(emulator: Emulator) -> None:
    types = ["login.failed", "api_key.created", "project.updated"]
    run = run_in_process(
        base_config(emulator.url, start_date=START_ISO, end_date=END_ISO, event_types=types)
    )
    truth = _truth(emulator, gte=END - 30 * DAY, lt=END, event_types=types)
    assert truth
    assert set(run.ids) == truth
    assert {r["type"] for r in run.records} <= set(types)


def _tied_events(count: int, second: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"audit_log-tie{n:04d}",
            "type": "login.succeeded",
            "effective_at": second,
            "login.succeeded": {},
        }
        for n in range(count)
    ]


@pytest.mark.parametrize("order", ["newest_first", "oldest_first", "shuffled"])
def test_the_api_order_does_not_change_what_is_read(order: str) -> None:
    events = generate_events(seed=5, count=1500, start=END - 5 * DAY, end=END)
    events += _tied_events(230, END - 2 * DAY)  # many pages share one second
    with Emulator(events, order=order) as emu:
        run = run_in_process(
            base_config(emu.url, start_date="2026-10-27T00:00:00Z", end_date=END_ISO, page_size=17)
        )
        truth = _truth(emu, gte=END - 5 * DAY, lt=END)
    assert Counter(run.ids) == Counter(truth)


def test_events_sharing_a_second_across_page_boundaries_are_all_read() -> None:
    second = END - DAY // 2
    with Emulator(_tied_events(250, second)) as emu:
        run = run_in_process(
            base_config(
                emu.url,
                start_date="2026-10-31T00:00:00Z",
                end_date=END_ISO,
                page_size=7,
                scopes=["organization"],
            )
        )
        pages = len(_window_requests(emu))
    assert sorted(run.ids) == sorted(e["id"] for e in _tied_events(250, second))
    assert pages == 36  # ceil(250 / 7): every page read, none twice


def test_events_sharing_the_bookmarks_second_are_not_skipped() -> None:
    second = END - 100
    with Emulator(_tied_events(5, second)) as emu:
        first = run_in_process(
            base_config(emu.url, start_date="2026-10-31T00:00:00Z", end_date=END_ISO)
        )
        late = [{**e, "id": e["id"] + "-late"} for e in _tied_events(3, second)]
        emu.add_events(late)
        # A bookmark exactly on the shared second, and no lookback at all.
        state = {
            "bookmarks": {
                "audit_logs": {
                    "replication_key": "effective_at",
                    "replication_key_value": "2026-10-31T23:58:20Z",
                }
            }
        }
        second_run = run_in_process(
            base_config(emu.url, end_date=END_ISO, lookback_window=0), state=state
        )
    assert len(first.ids) == 5
    assert {e["id"] for e in late} <= set(second_run.ids)


def test_an_incremental_run_reads_new_and_late_events_and_the_lookback_only(
    emulator: Emulator,
) -> None:
    first = run_in_process(base_config(emulator.url, start_date=START_ISO, end_date=END_ISO))
    new = generate_events(seed=11, count=40, start=END, end=END + 3600)
    late = [
        {**e, "id": e["id"] + "-late"}
        for e in generate_events(seed=12, count=6, start=END - 500, end=END - 60)
    ]
    emulator.add_events(new + late)
    requests_before = len(emulator.audit_log_requests)
    second = run_in_process(
        base_config(emulator.url, start_date=START_ISO, end_date="2026-11-02T00:00:00Z"),
        state=first.final_state,
    )
    overlap = _truth(emulator, gte=END - 3600, lt=END) - {e["id"] for e in late}
    new_ids = {e["id"] for e in new}
    late_ids = {e["id"] for e in late}
    assert new_ids <= set(second.ids)
    assert late_ids <= set(second.ids)
    assert set(second.ids) == new_ids | late_ids | overlap  # nothing older than the lookback
    second_run_requests = [_params(r.query) for r in emulator.audit_log_requests[requests_before:]]
    window_starts = [
        int(p["effective_at[gte]"][0]) for p in second_run_requests if "effective_at[gte]" in p
    ]
    assert min(window_starts) == END - 3600  # the default lookback, an hour
    assert second.bookmark is not None
    assert parse_rfc3339(second.bookmark).timestamp() == END + DAY


def test_without_start_date_the_history_is_found_not_walked_from_1970(
    emulator: Emulator,
) -> None:
    run = run_in_process(base_config(emulator.url, end_date=END_ISO))
    assert set(run.ids) == _truth(emulator, lt=END)
    for tenant_only in (False, True):
        earliest = min(
            e["effective_at"] for e in emulator.ground_truth(lt=END, tenant_only=tenant_only)
        )
        window_starts = [
            int(p["effective_at[gte]"][0])
            for p in _window_requests(emulator)
            if ("tenant_only" in p) == tenant_only
        ]
        assert min(window_starts) == earliest
    probes = len(emulator.audit_log_requests) - len(_window_requests(emulator))
    assert probes <= 1 + 2 * 33  # the clock, then a binary search over Unix time per scope


def test_an_end_date_in_the_future_stops_at_the_runs_start(emulator: Emulator) -> None:
    before = int(time.time())  # the tap bounds runs by whole seconds
    run = run_in_process(
        base_config(emulator.url, start_date="2026-10-31T00:00:00Z", end_date="2099-01-01")
    )
    assert run.bookmark is not None
    assert before <= parse_rfc3339(run.bookmark).timestamp() <= time.time() + 1
    assert max(int(p["effective_at[lt]"][0]) for p in _window_requests(emulator)) < 4_000_000_000


def test_an_empty_organization_costs_one_request_per_scope_and_sets_the_bookmarks() -> None:
    with Emulator([]) as emu:
        run = run_in_process(base_config(emu.url, end_date=END_ISO))
        assert len(emu.audit_log_requests) == 3  # the clock, then one probe per scope
    assert run.ids == []
    assert run.ledger == []  # a probe is not a window
    assert {scope: parse_rfc3339(b).timestamp() for scope, b in run.bookmarks.items()} == {
        "organization": END,
        "tenant": END,
    }


def test_the_state_moves_after_each_window_and_never_backwards(emulator: Emulator) -> None:
    run = run_in_process(
        base_config(emulator.url, start_date="2026-10-22T00:00:00Z", end_date=END_ISO)
    )
    for scope in ("organization", "tenant"):
        moved = [b[scope] for b in map(bookmarks, run.states) if scope in b]
        assert len(set(moved)) == 10  # one per day window
        assert moved == sorted(moved)
    # No STATE may claim a point in time before a record of that time has been written.
    covered: dict[str, str] = {}
    for message in run.messages:
        if message["type"] == "STATE":
            covered = bookmarks(message["value"])
        elif message["type"] == "RECORD" and message["stream"] == "audit_logs":
            record = message["record"]
            assert record["effective_at"] >= covered.get(record["scope"], "")


@pytest.mark.parametrize("concurrency", [2, 4])
def test_concurrent_windows_emit_the_same_records_and_state(
    emulator: Emulator, concurrency: int
) -> None:
    config = base_config(emulator.url, start_date=START_ISO, end_date=END_ISO)
    # Answers that take a while: past the first window the reader moves to its workers.
    emulator.latency = 0.005
    sequential = run_in_process({**config, "max_concurrency": 1})
    before = len(emulator.audit_log_requests)
    concurrent = run_in_process({**config, "max_concurrency": concurrency})
    # Windows were read at once: a later window's first request before an earlier one's last.
    windows = [
        (query.get("tenant_only", ""), int(query["effective_at[gte]"]))
        for query in map(dict, (r.query for r in emulator.audit_log_requests[before:]))
        if "effective_at[gte]" in query
    ]
    last = {window: index for index, window in enumerate(windows)}
    first = {window: windows.index(window) for window in last}
    assert any(first[later] < last[window] for window in last for later in last if later > window)
    assert concurrent.ids == sequential.ids  # same records, same order
    assert concurrent.states == sequential.states
    assert [_without_run(row) for row in concurrent.ledger] == [
        _without_run(row) for row in sequential.ledger
    ]


def _without_run(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in {"run_id", "read_at"}}


def test_an_unknown_event_type_and_unknown_keys_are_kept_whole(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = {
        "id": "audit_log-new1",
        "type": "quantum_widget.entangled",
        "effective_at": END - 10,
        "actor": {
            "type": "api_key",
            "api_key": {
                "id": "key_x",
                "type": "service_account",
                "service_account": {"id": "svc_1"},
            },
        },
        "quantum_widget.entangled": {"id": "qw_1", "spin": "up", "nested": {"a": [1, 2]}},
        "region": "eu",
    }
    with Emulator([event]) as emu, caplog.at_level(logging.WARNING):
        run = run_in_process(
            base_config(emu.url, start_date="2026-10-31T00:00:00Z", end_date=END_ISO)
        )
    [record] = run.records
    assert record["type"] == "quantum_widget.entangled"
    assert record["payload"] == event["quantum_widget.entangled"]
    assert record["actor"] == event["actor"]
    assert record["extra"] == {"region": "eu"}
    assert "region" in caplog.text


SEED = Path(__file__).parent.parent / "fixtures" / "seed_list_audit_logs_response.txt"


def _seed_events() -> list[dict[str, Any]]:
    # The reference page prints trailing commas after the event objects; drop them.
    import json  # noqa: PLC0415

    text = re.sub(r",(\s*[}\]])", r"\1", SEED.read_text())
    events: list[dict[str, Any]] = json.loads(text)["data"]
    return events


def test_the_reference_sample_becomes_two_records_with_nothing_lost(tmp_path: Path) -> None:
    events = _seed_events()
    assert [e["type"] for e in events] == ["project.archived", "api_key.updated"]
    with Emulator(events) as emu:
        run = run_cli(
            tmp_path,
            base_config(
                emu.url, start_date="2024-07-01T00:00:00Z", end_date="2024-08-01T00:00:00Z"
            ),
        )
    assert run.returncode == 0, run.stderr
    by_id = {r["id"]: r for r in run.records}
    assert set(by_id) == {e["id"] for e in events}
    for event in events:
        record = by_id[event["id"]]
        assert record == {**to_record(event), "scope": "organization"}
        assert record["actor"] == event["actor"]  # user_agent, ja3, ja4, ip details intact
        assert record["payload"] == event[event["type"]]
    session = by_id["audit_log-yyy__20240101"]["actor"]["session"]
    assert session["ja3"] == "a497151ce4338a12c4418c44d375173e"
    assert session["ip_address_details"]["city"] == "San Francisco"
    assert by_id["audit_log-yyy__20240101"]["effective_at"] == "2024-07-12T17:09:50+00:00"


def test_a_deselected_property_is_left_out_of_every_record(emulator: Emulator) -> None:
    config = base_config(emulator.url, start_date="2026-10-31T00:00:00Z", end_date=END_ISO)
    catalog = TapOpenAIAudit(config=config, parse_env_config=False).catalog_dict
    [stream] = [s for s in catalog["streams"] if s["tap_stream_id"] == "audit_logs"]
    for entry in stream["metadata"]:
        if entry["breadcrumb"] == ["properties", "actor"]:
            entry["metadata"]["selected"] = False
    run = run_in_process(config, catalog=catalog)
    assert run.records
    assert all("actor" not in record and "payload" in record for record in run.records)

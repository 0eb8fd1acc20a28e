"""Both scopes in one run, the 0.1.0 state carried over, the API's clock, and the ledger."""

from __future__ import annotations

import hashlib
import itertools
import time
from typing import TYPE_CHECKING, Any

from openai_audit_emulator import Emulator, Fault, generate_events
from tap_openai_audit.tap import TapOpenAIAudit
from tap_openai_audit.timeutil import parse_rfc3339
from tests.emulator.helpers import get
from tests.tap_runs import base_config, bookmarks, run_cli, run_in_process

if TYPE_CHECKING:
    from pathlib import Path

DAY = 86_400
END = 1_793_491_200  # 2026-11-01T00:00:00Z
END_ISO = "2026-11-01T00:00:00Z"


def _iso(moment: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def _seconds(value: str) -> int:
    return int(parse_rfc3339(value).timestamp())


def _partition(scope: str, moment: int) -> dict[str, Any]:
    return {
        "context": {"scope": scope},
        "replication_key": "effective_at",
        "replication_key_value": _iso(moment),
    }


def _state(**scopes: int) -> dict[str, Any]:
    partitions = [_partition(scope, moment) for scope, moment in scopes.items()]
    return {"bookmarks": {"audit_logs": {"partitions": partitions}}}


def _window_starts(emu: Emulator, *, tenant: bool) -> list[int]:
    return [
        int(dict(r.query)["effective_at[gte]"])
        for r in emu.requests
        if "effective_at[gte]" in dict(r.query) and (("tenant_only", "true") in r.query) == tenant
    ]


def _expected_hash(ids: list[str]) -> str:
    return hashlib.sha256("".join(f"{i}\n" for i in sorted(set(ids))).encode()).hexdigest()


def test_every_ledger_row_matches_what_the_emulator_lists(emulator: Emulator) -> None:
    run = run_in_process(
        base_config(emulator.url, start_date="2026-10-20T06:00:00Z", end_date=END_ISO)
    )
    assert {row["scope"] for row in run.ledger} == {"organization", "tenant"}
    for row in run.ledger:
        gte, lt = _seconds(row["window_start"]), _seconds(row["window_end"])
        listed = [
            e["id"]
            for e in emulator.ground_truth(gte=gte, lt=lt, tenant_only=row["scope"] == "tenant")
        ]
        assert row["events"] == len(listed)
        assert row["ids_sha256"] == _expected_hash(listed)
        assert row["filtered"] is False
        assert row["pages"] >= 1
        assert len(row["run_id"]) == 36  # a UUID, one per run
    # Windows cover the range per scope without gap or overlap, inner boundaries on midnights.
    for scope in ("organization", "tenant"):
        rows = [r for r in run.ledger if r["scope"] == scope]
        assert rows[0]["window_start"] == "2026-10-20T06:00:00+00:00"
        assert rows[-1]["window_end"] == "2026-11-01T00:00:00+00:00"
        assert all(a["window_end"] == b["window_start"] for a, b in itertools.pairwise(rows))
        assert all(r["window_start"].endswith("T00:00:00+00:00") for r in rows[1:])
    assert len({row["run_id"] for row in run.ledger}) == 1
    assert sum(row["events"] for row in run.ledger) == len(run.ids)


def test_an_empty_window_hashes_the_empty_string() -> None:
    with Emulator([]) as emu:
        run = run_in_process(
            base_config(emu.url, start_date="2026-10-31T00:00:00Z", end_date=END_ISO)
        )
    assert [(r["scope"], r["events"], r["pages"]) for r in run.ledger] == [
        ("organization", 0, 1),
        ("tenant", 0, 1),
    ]
    assert {r["ids_sha256"] for r in run.ledger} == {hashlib.sha256(b"").hexdigest()}


def test_a_ledger_row_reaches_the_target_before_the_state_that_passes_its_window(
    emulator: Emulator,
) -> None:
    run = run_in_process(
        base_config(emulator.url, start_date="2026-10-25T00:00:00Z", end_date=END_ISO)
    )
    rows_seen: set[tuple[str, str]] = set()
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] == "audit_log_reads":
            rows_seen.add((message["record"]["scope"], message["record"]["window_end"]))
        elif message["type"] == "STATE":
            for scope, bookmark in bookmarks(message["value"]).items():
                assert (scope, bookmark) in rows_seen
    # The ledger only grows: never an ACTIVATE_VERSION for it (the inventory's are its own).
    activated = {m["stream"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}
    assert not activated & {"audit_logs", "audit_log_reads"}


def test_filtered_reads_say_so_and_a_deselected_audit_log_writes_no_ledger(
    emulator: Emulator,
) -> None:
    config = base_config(
        emulator.url,
        start_date="2026-10-30T00:00:00Z",
        end_date=END_ISO,
        event_types=["login.failed"],
    )
    run = run_in_process(config)
    assert run.ledger
    assert {(r["scope"], r["filtered"]) for r in run.ledger} == {("organization", True)}
    catalog = TapOpenAIAudit(config=config, parse_env_config=False).catalog_dict
    for stream in catalog["streams"]:
        if stream["tap_stream_id"] == "audit_logs":
            for entry in stream["metadata"]:
                if entry["breadcrumb"] == []:
                    entry["metadata"]["selected"] = False
    deselected = run_in_process(config, catalog=catalog)
    assert deselected.records == []
    assert deselected.ledger == []


def test_a_010_bookmark_continues_as_the_organization_partition(emulator: Emulator) -> None:
    legacy = {
        "bookmarks": {
            "audit_logs": {
                "replication_key": "effective_at",
                "replication_key_value": _iso(END - 2 * DAY),
            }
        }
    }
    config = base_config(
        emulator.url, start_date=_iso(END - 5 * DAY), end_date=END_ISO, lookback_window=0
    )
    run = run_in_process(config, state=legacy)
    assert min(_window_starts(emulator, tenant=False)) == END - 2 * DAY  # no re-read
    assert min(_window_starts(emulator, tenant=True)) == END - 5 * DAY  # start_date
    final = run.final_state["bookmarks"]["audit_logs"]
    assert "replication_key_value" not in final
    assert "replication_key" not in final
    assert {scope: _seconds(value) for scope, value in bookmarks(run.final_state).items()} == {
        "organization": END,
        "tenant": END,
    }


def test_a_010_tenant_extractors_bookmark_continues_as_the_tenant_partition(
    emulator: Emulator,
) -> None:
    legacy = {"bookmarks": {"audit_logs": {"replication_key_value": _iso(END - DAY)}}}
    config = base_config(
        emulator.url,
        start_date=_iso(END - 5 * DAY),
        end_date=END_ISO,
        lookback_window=0,
        tenant_only=True,
    )
    run = run_in_process(config, state=legacy)
    assert min(_window_starts(emulator, tenant=True)) == END - DAY
    assert _window_starts(emulator, tenant=False) == []
    assert {r["scope"] for r in run.records} == {"tenant"}
    assert set(bookmarks(run.final_state)) == {"tenant"}


def test_a_failure_in_one_partition_never_moves_or_loses_the_others_bookmark(
    tmp_path: Path,
) -> None:
    events = generate_events(seed=3, count=300, start=END - 3 * DAY, end=END)
    with Emulator(events) as emu:
        org_pages = sum(
            max(1, -(-len(emu.ground_truth(gte=start, lt=start + DAY)) // 100))
            for start in range(END - 3 * DAY, END, DAY)
        )
        # The tenant scope's first request is refused, after the organization read everything.
        emu.inject(*[Fault.slow(0)] * (1 + org_pages), Fault.status(400, message="no"))
        config = base_config(
            emu.url, start_date=_iso(END - 3 * DAY), end_date=END_ISO, max_concurrency=1
        )
        state = _state(tenant=END - 2 * DAY)
        failed = run_cli(tmp_path, {**config, "lookback_window": 0}, state=state)
        # Now the other way round: the organization fails at once, the tenant is untouched.
        emu.inject(Fault.slow(0), Fault.status(400, message="no"))
        failed_first = run_cli(
            tmp_path, {**config, "lookback_window": 0}, state=_state(organization=END - DAY)
        )
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert {s: _seconds(b) for s, b in bookmarks(failed.final_state).items()} == {
        "organization": END,  # its windows completed before the tenant's failure
        "tenant": END - 2 * DAY,  # kept as it came in
    }
    assert failed_first.returncode == 1
    assert all(
        _seconds(bookmarks(state)["organization"]) == END - DAY for state in failed_first.states
    )
    assert "tenant" not in bookmarks(failed_first.final_state)


def test_no_bookmark_passes_the_apis_clock_when_the_local_clock_runs_fast(tmp_path: Path) -> None:
    now = int(time.time())
    events = generate_events(seed=4, count=200, start=now - 2 * DAY, end=now - 3600)
    with Emulator(events, clock_skew=-900) as emu:  # the local clock 15 minutes ahead
        config = base_config(emu.url, start_date=_iso(now - 2 * DAY))
        run = run_cli(tmp_path, config)
        api_clock = int(emu.now())
    assert run.returncode == 0, run.stderr
    assert set(bookmarks(run.final_state)) == {"organization", "tenant"}
    for value in bookmarks(run.final_state).values():
        assert _seconds(value) <= api_clock
        assert _seconds(value) <= now - 900 + 60  # the API's clock at the run's start
    assert "behind the local clock" in run.stderr


def test_a_slow_local_clock_keeps_the_runs_own_start(tmp_path: Path) -> None:
    before = int(time.time())
    with Emulator([], clock_skew=900) as emu:  # the API's clock 15 minutes ahead
        run = run_cli(tmp_path, base_config(emu.url, start_date=_iso(before - DAY)))
    after = int(time.time())
    assert run.returncode == 0, run.stderr
    for value in bookmarks(run.final_state).values():
        assert before <= _seconds(value) <= after


def test_nothing_to_ask_for_in_any_scope_reads_nothing_and_keeps_the_bookmarks(
    emulator: Emulator,
) -> None:
    state = _state(organization=END - DAY)
    run = run_in_process(
        base_config(
            emulator.url,
            start_date=_iso(END - 3 * DAY),
            end_date=END_ISO,
            scopes=["tenant"],
            event_types=["login.failed"],  # an organization type: the tenant has nothing
        ),
        state=state,
    )
    assert emulator.audit_log_requests == []
    assert run.records == []
    assert run.ledger == []
    assert bookmarks(run.final_state) == {"organization": _iso(END - DAY)}


def test_without_a_date_header_the_run_warns_and_ends_at_the_local_clock(tmp_path: Path) -> None:
    before = int(time.time())
    with Emulator([], send_date=False) as emu:
        run = run_cli(tmp_path, base_config(emu.url, start_date=_iso(before - DAY)))
        assert "Date" not in get(emu).headers  # the API's answers carry no Date
    after = int(time.time())
    assert run.returncode == 0, run.stderr
    assert "no readable Date header" in run.stderr
    for value in bookmarks(run.final_state).values():
        assert before <= _seconds(value) <= after

"""A run killed mid-window resumes from its last STATE: nothing lost, one window read again.

The emulator is slowed so that each window takes several paced pages; the run is interrupted
once two windows are complete and a record of the third has been read. `lookback_window` is
0 so that what is read twice is exactly what the window guarantee allows, nothing more.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

import pytest

from openai_audit_emulator import Emulator
from tests.faults.support import (
    DAY,
    END,
    LiveRun,
    all_scopes_truth,
    bookmarks,
    bookmarks_of,
    config_for,
    is_window,
    run_tap,
    small_org,
    truth,
    window_start,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.faults.conftest import Outcome

WINDOW = DAY // 2
START = END - 3 * DAY


def _two_windows_done_and_third_begun(messages: list[dict[str, Any]]) -> bool:
    states = [message["value"] for message in messages if message["type"] == "STATE"]
    if len(set(bookmarks(states))) < 2:
        return False
    last = messages[-1]
    # An event after the second bookmark: mid-window.
    return bool(last["type"] == "RECORD" and last["stream"] == "audit_logs")


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_an_interrupted_run_resumes_from_its_last_state_reading_one_window_again(
    how: str, tmp_path: Path, outcome: Outcome
) -> None:
    with Emulator(small_org(), latency=0.05) as emu:
        config = config_for(emu.url, window_size_days=0.5, page_size=8, lookback_window=0)
        live = LiveRun.start(tmp_path, config)
        live.read_until(_two_windows_done_and_third_begun)
        returncode, stderr = live.stop(getattr(signal, how))
        assert live.states, "no STATE was emitted before the interruption"
        bookmark = bookmarks(live.states)[-1]
        emu.latency = 0
        # Told apart by User-Agent: the killed run's last request may be recorded late.
        rerun = run_tap(tmp_path, {**config, "user_agent": "rerun"}, state=live.states[-1])
        rerun_requests = [
            r for r in emu.audit_log_requests if r.headers.get("User-Agent") == "rerun"
        ]
        expected = truth(emu, gte=START)
        before_bookmark = truth(emu, gte=START, lt=bookmark)
        in_flight = truth(emu, gte=bookmark, lt=bookmark + WINDOW)
    if how == "SIGKILL":
        assert returncode == -signal.SIGKILL
    else:
        # The state is written, and the exit says the run did not finish: 128 + SIGTERM.
        assert returncode == 128 + signal.SIGTERM, stderr
        assert "Stopped by signal 15" in stderr
        assert "Traceback" not in stderr
    first = set(live.ids)
    # The bookmark is a window boundary at or past the two completed windows, never past
    # the window in flight: every record before it was emitted.
    assert (bookmark - START) % WINDOW == 0
    assert bookmark >= START + 2 * WINDOW
    assert before_bookmark <= first
    assert first - before_bookmark <= in_flight
    # The rerun starts at the bookmark and completes.
    assert rerun.returncode == 0, rerun.stderr
    # Several windows are read at once: the oldest the rerun asks for is the bookmark.
    assert min(window_start(r.query) for r in rerun_requests if is_window(r.query)) == bookmark
    assert bookmarks(rerun.states)[-1] == END
    # Nothing lost; what is read twice is the in-flight window's records, no more.
    assert first | set(rerun.ids) == expected
    twice = first & set(rerun.ids)
    assert twice == first - before_bookmark
    assert twice <= in_flight
    lost = len(expected - first - set(rerun.ids))
    outcome(f"{how} mid-window, then rerun", "survived", retries=0, lost=lost, twice=len(twice))


def _tenant_window_done_and_next_begun(messages: list[dict[str, Any]]) -> bool:
    states = [message["value"] for message in messages if message["type"] == "STATE"]
    if not bookmarks_of("tenant", states):
        return False
    last = messages[-1]
    return bool(
        last["type"] == "RECORD"
        and last["stream"] == "audit_logs"
        and last["record"]["scope"] == "tenant"
    )


def test_a_run_killed_in_the_tenant_scope_resumes_each_scope_from_its_own_bookmark(
    tmp_path: Path, outcome: Outcome
) -> None:
    with Emulator(small_org(count=900), latency=0.05) as emu:
        config = config_for(
            emu.url,
            window_size_days=0.5,
            page_size=8,
            lookback_window=0,
            scopes=["organization", "tenant"],
        )
        live = LiveRun.start(tmp_path, config)
        live.read_until(_tenant_window_done_and_next_begun)
        returncode, _ = live.stop(signal.SIGKILL)
        last = live.states[-1]
        emu.latency = 0
        rerun = run_tap(tmp_path, {**config, "user_agent": "rerun"}, state=last)
        rerun_requests = [r for r in emu.requests if r.headers.get("User-Agent") == "rerun"]
        expected = all_scopes_truth(emu, gte=START)
        tenant_bookmark = bookmarks_of("tenant", [last])[0]
        in_flight = {
            e["id"]
            for e in emu.ground_truth(
                gte=tenant_bookmark, lt=tenant_bookmark + WINDOW, tenant_only=True
            )
        }
    assert returncode == -signal.SIGKILL
    assert bookmarks_of("organization", [last]) == [END]  # finished before the kill
    assert START < tenant_bookmark < END
    assert rerun.returncode == 0, rerun.stderr
    windows = [r.query for r in rerun_requests if is_window(r.query)]
    # The organization is not read again at all; the tenant scope resumes at its bookmark.
    assert all(("tenant_only", "true") in query for query in windows)
    assert min(window_start(query) for query in windows) == tenant_bookmark
    first = set(live.ids)
    assert first | set(rerun.ids) == expected
    twice = first & set(rerun.ids)
    assert twice <= in_flight  # at most the tenant window in flight is read again
    lost = len(expected - first - set(rerun.ids))
    outcome(
        "SIGKILL in the tenant scope, then rerun",
        "survived",
        retries=0,
        lost=lost,
        twice=len(twice),
    )

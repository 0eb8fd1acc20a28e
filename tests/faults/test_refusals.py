"""Answers no retry can fix end the run at once: a clear line, exit 1, no state past the window.

Each fault hits the second page of the second of three windows: the first window's state must
have been emitted, and nothing past the start of the window that failed. That placement needs
one request at a time (`max_concurrency` 1); with several windows read at once the fault lands
on whichever request comes first, and still no state may pass the window that failed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from openai_audit_emulator import Emulator, Fault
from tests.faults.support import (
    CLOCK_PROBE,
    DAY,
    END,
    MASKED_KEY,
    bookmarks,
    config_for,
    error_lines,
    pages_in,
    passes,
    retries,
    run_tap,
    small_org,
    truth,
    window_start,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.faults.conftest import Outcome

PAGE_SIZE = 20


@dataclass(frozen=True)
class Case:
    fault: Fault
    says: tuple[str, ...]  # what the error line must contain


CASES: dict[str, Case] = {
    "401": Case(
        Fault.status(401, message=f"Incorrect API key provided: {MASKED_KEY}."),
        ("HTTP 401", "the API key was not accepted", "Admin API key", "[key]"),
    ),
    "403": Case(
        Fault.status(403, message="You have insufficient permissions for this operation."),
        (
            "HTTP 403",
            "insufficient permissions for this operation",
            "Admin API key",
            "audit logging is activated",
        ),
    ),
    "400": Case(
        Fault.status(400, message="Invalid 'effective_at[gte]': must be an integer."),
        ("HTTP 400", "Invalid 'effective_at[gte]': must be an integer."),
    ),
    "HTML body": Case(
        Fault.html(), ("answered 200 with a body that is not JSON", "text/html", "Bad Gateway")
    ),
    "truncated JSON": Case(
        Fault.truncated_json(),
        ("answered 200 with a body that is not JSON", "application/json"),
    ),
    "envelope without data": Case(
        Fault.missing_data(), ("without the list envelope's `data` array", "keys: has_more, object")
    ),
    "repeating cursor": Case(
        Fault.repeat_cursor(), ("returned cursor", "twice", "stopping rather than looping")
    ),
    "empty page with has_more": Case(
        Fault.empty_page_has_more(),
        ("has_more=true with an empty page", "stopping rather than looping"),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_refusal_fails_clearly_without_state_past_its_window(
    name: str, tmp_path: Path, outcome: Outcome
) -> None:
    case = CASES[name]
    with Emulator(small_org()) as emu:
        first_pages = pages_in(emu, gte=END - 3 * DAY, lt=END - 2 * DAY, page_size=PAGE_SIZE)
        emu.inject(*passes(CLOCK_PROBE + first_pages + 1), case.fault)
        config = config_for(emu.url, page_size=PAGE_SIZE, max_concurrency=1, lookback_window=0)
        run = run_tap(tmp_path, config)
        served = emu.audit_log_requests
        # Once the fault is gone, a rerun from the emitted state completes.
        rerun = run_tap(tmp_path, config, state=run.final_state)
        expected = truth(emu, gte=END - 3 * DAY)
        first_window = truth(emu, gte=END - 3 * DAY, lt=END - 2 * DAY)
        failed_window_ids = truth(emu, gte=END - 2 * DAY, lt=END - DAY)
        later = truth(emu, gte=END - DAY)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    [*_, error] = error_lines(run.stderr)
    for text in case.says:
        assert text in error, error
    assert retries(run.stderr) == []  # refused at once, never retried
    # The failed request was the last one: the run stopped there.
    assert len(served) == CLOCK_PROBE + first_pages + 2
    failed_window = window_start(served[-1].query)
    assert failed_window == END - 2 * DAY
    assert all(bookmark <= failed_window for bookmark in bookmarks(run.states))
    assert bookmarks(run.states) == [END - 2 * DAY]  # the completed first window's, once
    assert set(Counter(run.ids).values()) == {1}
    assert set(run.ids) >= first_window
    assert not set(run.ids) & later
    assert rerun.returncode == 0, rerun.stderr
    assert set(run.ids) | set(rerun.ids) == expected
    twice = set(run.ids) & set(rerun.ids)
    assert twice <= failed_window_ids
    lost = len(expected - set(run.ids) - set(rerun.ids))
    outcome(name, "refused", retries=0, lost=lost, twice=len(twice))


# A repeated cursor landing on a window's first page is the bug of the xfail test below.
@pytest.mark.parametrize("name", [name for name in CASES if name != "repeating cursor"])
def test_a_refusal_among_concurrent_windows_emits_no_state_past_its_window(
    name: str, tmp_path: Path
) -> None:
    with Emulator(small_org(), latency=0.01) as emu:
        emu.inject(*passes(CLOCK_PROBE + 5), CASES[name].fault)
        config = config_for(emu.url, page_size=PAGE_SIZE, window_size_days=0.5, max_concurrency=4)
        run = run_tap(tmp_path, config)
        starts = range(END - 3 * DAY, END, DAY // 2)
        windows = {start: truth(emu, gte=start, lt=start + DAY // 2) for start in starts}
        refused = [window_start(r.query) for r in emu.audit_log_requests if r.status != 200]
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    [*_, error] = error_lines(run.stderr)
    assert all(text in error for text in CASES[name].says), error
    emitted = set(run.ids)
    # The failed window: the one a refusing status came from, or else the first one whose
    # events were not all emitted (a bad body leaves a hole where its page was).
    incomplete = [start for start, ids in windows.items() if not ids <= emitted]
    failed_window = min(refused + incomplete)
    assert all(bookmark <= failed_window for bookmark in bookmarks(run.states))
    for bookmark in bookmarks(run.states):  # every event before a bookmark was emitted
        assert all(ids <= emitted for start, ids in windows.items() if start < bookmark)


def test_a_cursor_repeated_from_the_previous_window_is_refused_not_followed(
    tmp_path: Path,
) -> None:
    # Following it once moved the cursor back to the first window and ended the second early:
    # exit 0 with the rest of the window's events silently lost.
    with Emulator(small_org()) as emu:
        first_pages = pages_in(emu, gte=END - 3 * DAY, lt=END - 2 * DAY, page_size=PAGE_SIZE)
        # The first page of the second window answers with the first window's last cursor.
        emu.inject(*passes(CLOCK_PROBE + first_pages), Fault.repeat_cursor())
        run = run_tap(tmp_path, config_for(emu.url, page_size=PAGE_SIZE, max_concurrency=1))
        served = emu.audit_log_requests
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    [*_, error] = error_lines(run.stderr)
    assert "is not the id of the page's last event" in error
    assert len(served) == CLOCK_PROBE + first_pages + 1  # the cursor was not followed
    assert bookmarks(run.states) == [END - 2 * DAY]

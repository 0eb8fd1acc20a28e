"""Transient faults are retried and nothing is lost: every id of the ground truth, once each.

Each fault hits a page in the middle of the second of three windows (a request that carries a
cursor), so that the retry must resend the same cursor for the window to be read whole. That
placement needs one request at a time (`max_concurrency` 1); the default of several windows at
once is run too, the faults then landing on whichever requests come first.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate
from typing import TYPE_CHECKING

import pytest

from openai_audit_emulator import Emulator, Fault
from tests.faults.support import (
    CLOCK_PROBE,
    DAY,
    END,
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
    from collections.abc import Callable
    from pathlib import Path

    from tests.faults.conftest import Outcome

PAGE_SIZE = 20
TIMEOUT = 1.0  # request_timeout of every run here; the slow fault outlasts it


@pytest.fixture
def org() -> Emulator:
    return Emulator(small_org())


def _into_second_window(emu: Emulator) -> list[Fault]:
    """Let the whole first window and the first page of the second through."""
    first = pages_in(emu, gte=END - 3 * DAY, lt=END - 2 * DAY, page_size=PAGE_SIZE)
    assert pages_in(emu, gte=END - 2 * DAY, lt=END - DAY, page_size=PAGE_SIZE) >= 2
    return passes(CLOCK_PROBE + first + 1)


@dataclass
class _DateAhead:
    """A Retry-After HTTP date some seconds ahead, made when the faults are."""

    seconds: int
    moment: float = 0.0

    def fault(self) -> Fault:
        self.moment = float(int(time.time() + self.seconds))  # an HTTP date has whole seconds
        return Fault.status(429, retry_after=formatdate(self.moment, usegmt=True))

    def wait_from(self, stderr: str) -> float:
        """Seconds from the retry's warning (when the date was read) to the date."""
        (line,) = [line for line in stderr.splitlines() if "retry 1 of" in line]
        logged = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").astimezone()
        return max(0.0, self.moment - logged.timestamp())


RETRY_AFTER_DATE = _DateAhead(5)


@dataclass(frozen=True)
class Case:
    """One fault class: its faults (one request each) and what each retry must show."""

    faults: Callable[[], list[Fault]]
    reasons: list[str]  # the reason each retry's warning gives
    first_delay: tuple[float, float] | None = None  # bounds of the first retry's wait
    date: _DateAhead | None = None  # the Retry-After date the first retry must wait for


CASES: dict[str, Case] = {
    # Backoff alone waits at most 0.5 s before a first retry: longer waits are Retry-After's.
    "429 Retry-After seconds": Case(
        lambda: [Fault.status(429, retry_after="1")], ["HTTP 429"], (1.0, 1.1)
    ),
    # Up to the date, as the tap's clock read it when the 429 came, plus jitter (at most a
    # tenth): measured from the warning's own time, whatever the start-up took.
    "429 Retry-After HTTP date": Case(
        lambda: [RETRY_AFTER_DATE.fault()], ["HTTP 429"], date=RETRY_AFTER_DATE
    ),
    "429 without Retry-After": Case(lambda: [Fault.status(429)], ["HTTP 429"], (0.0, 0.5)),
    "500": Case(lambda: [Fault.status(500)], ["HTTP 500"]),
    "502": Case(lambda: [Fault.status(502)], ["HTTP 502"]),
    "503": Case(lambda: [Fault.status(503)], ["HTTP 503"]),
    "504": Case(lambda: [Fault.status(504)], ["HTTP 504"]),
    "dropped connection": Case(lambda: [Fault.drop()], ["connection failed"]),
    "slower than request_timeout": Case(
        lambda: [Fault.slow(TIMEOUT + 1.0)], ["no answer within request_timeout (1 s)"]
    ),
    # Six faults in a row: the first try and five retries fail, the sixth and last succeeds.
    # Backoff's long waits come late, so 429s with Retry-After: 0 take those places.
    "mixed run up to the bound": Case(
        lambda: [
            Fault.status(503),
            Fault.drop(),
            Fault.status(502),
            *[Fault.status(429, retry_after="0")] * 3,
        ],
        ["HTTP 503", "connection failed", "HTTP 502", "HTTP 429", "HTTP 429", "HTTP 429"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_transient_fault_is_retried_and_no_id_is_lost_or_repeated(
    name: str, org: Emulator, tmp_path: Path, outcome: Outcome
) -> None:
    case = CASES[name]
    with org as emu:
        emu.inject(*_into_second_window(emu), *case.faults())
        config = config_for(
            emu.url, page_size=PAGE_SIZE, request_timeout=TIMEOUT, max_concurrency=1
        )
        run = run_tap(tmp_path, config)
        expected = truth(emu, gte=END - 3 * DAY)
        served = emu.audit_log_requests
    assert run.returncode == 0, run.stderr
    assert Counter(run.ids) == Counter(expected)  # nothing lost, nothing read twice
    assert bookmarks(run.states)[-1] == END
    made = retries(run.stderr)
    assert [(n, bound) for n, bound, _ in made] == [(n, 6) for n in range(1, len(case.reasons) + 1)]
    warnings = [line for line in run.stderr.splitlines() if "| WARNING" in line]
    assert len(warnings) == len(case.reasons)
    assert all(reason in line for reason, line in zip(case.reasons, warnings, strict=True))
    assert error_lines(run.stderr) == []
    if case.first_delay is not None:
        low, high = case.first_delay
        assert low <= made[0][2] <= high
    if case.date is not None:
        wait = case.date.wait_from(run.stderr)
        assert wait - 0.1 <= made[0][2] <= wait * 1.1 + 0.1  # "in %.1f s", logged ms later
    # The retried request is the failed one, cursor included (a slow request is recorded
    # only once the emulator has finished sleeping, so it is left out of this count).
    sent = Counter(request.query for request in served)
    repeated = {query: count for query, count in sent.items() if count > 1}
    if name != "slower than request_timeout":
        assert sum(repeated.values()) - len(repeated) == len(case.reasons)
        assert all("after" in dict(query) for query in repeated)
    lost, twice = len(expected - set(run.ids)), len(run.ids) - len(set(run.ids))
    outcome(name, "survived", retries=len(made), lost=lost, twice=twice)


@pytest.mark.parametrize("concurrency", [2, 4])
def test_faults_among_concurrent_windows_lose_and_repeat_nothing(
    concurrency: int, org: Emulator, tmp_path: Path, outcome: Outcome
) -> None:
    with org as emu:
        # Answers that take a while: the reader reads the first window alone, then moves to
        # its workers (fetcher.py), so the faults come after that window, among the others.
        emu.latency = 0.01
        first = pages_in(emu, gte=END - 3 * DAY, lt=END - 2 * DAY, page_size=PAGE_SIZE)
        emu.inject(
            *passes(CLOCK_PROBE + first),
            Fault.status(503),
            Fault.drop(),
            Fault.status(429, retry_after="0"),
            *passes(3),
            Fault.status(500),
            Fault.slow(TIMEOUT + 1.0),
            Fault.status(504),
        )
        config = config_for(
            emu.url, page_size=PAGE_SIZE, request_timeout=TIMEOUT, max_concurrency=concurrency
        )
        run = run_tap(tmp_path, config)
        expected = truth(emu, gte=END - 3 * DAY)
        windows = [dict(request.query).get("effective_at[gte]") for request in emu.requests]
    assert run.returncode == 0, run.stderr
    # The second and third windows were read at once: their requests interleave.
    second, third = str(END - 2 * DAY), str(END - DAY)
    assert max(i for i, start in enumerate(windows) if start == second) > windows.index(third)
    assert Counter(run.ids) == Counter(expected)
    assert len(retries(run.stderr)) == 6
    marks = bookmarks(run.states)
    assert marks == sorted(marks)  # the bookmark never moves back
    assert set(marks) == {END - 2 * DAY, END - DAY, END}  # one per completed window
    lost, twice = len(expected - set(run.ids)), len(run.ids) - len(set(run.ids))
    outcome(
        f"6 mixed, {concurrency} windows at once", "survived", retries=6, lost=lost, twice=twice
    )


def test_faults_past_the_retry_bound_fail_clearly_and_a_rerun_completes(
    org: Emulator, tmp_path: Path, outcome: Outcome
) -> None:
    with org as emu:
        # Seven 429s in a row on the second window: the first try and all six retries.
        emu.inject(*_into_second_window(emu), *[Fault.status(429, retry_after="0")] * 7)
        config = config_for(emu.url, page_size=PAGE_SIZE, lookback_window=0, max_concurrency=1)
        failed = run_tap(tmp_path, config)
        failed_window = window_start(emu.audit_log_requests[-1].query)
        rerun = run_tap(tmp_path, config, state=failed.final_state)
        expected = truth(emu, gte=END - 3 * DAY)
        first_window = truth(emu, gte=END - 3 * DAY, lt=END - 2 * DAY)
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    [*_, error] = error_lines(failed.stderr)
    assert "failed 7 times in a row" in error
    assert "HTTP 429" in error
    assert "giving up" in error
    assert "state of every completed window has been emitted" in error
    assert [n for n, _, _ in retries(failed.stderr)] == [1, 2, 3, 4, 5, 6]
    # The first window's state was emitted before the failure, and nothing past it.
    assert failed_window == END - 2 * DAY
    assert bookmarks(failed.states) == [END - 2 * DAY]
    assert set(failed.ids) >= first_window
    assert rerun.returncode == 0, rerun.stderr
    assert set(failed.ids) | set(rerun.ids) == expected
    assert bookmarks(rerun.states)[-1] == END
    # The failed run's records of the second window are read again; no other window is.
    twice = set(failed.ids) & set(rerun.ids)
    assert twice <= truth(emu, gte=END - 2 * DAY, lt=END - DAY)
    assert not twice & first_window
    lost = len(expected - set(failed.ids) - set(rerun.ids))
    outcome("7 x 429 in a row, then rerun", "failed", retries=6, lost=lost, twice=len(twice))

"""Whatever the data, windows, pages, order, concurrency and transient faults: every id, once.

In-process runs for speed, the emulator answering in this process too (`served_in_process`: no
server, no socket; the HTTP layer is proven by the other tests). The faults are the retryable
kinds, at most six per run so that no request can meet more than the retry bound allows; the
retry waits are made tiny (the policy's delays are tested on their own in tests/unit/
test_retry.py and by the CLI tests here).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openai_audit_emulator import Emulator, Fault, generate_events
from tap_openai_audit import client
from tap_openai_audit.audit_log.windows import plan_windows
from tap_openai_audit.retry import RetryPolicy
from tests.faults.support import (
    CLOCK_PROBE,
    DAY,
    END,
    END_ISO,
    IN_PROCESS_URL,
    bookmarks,
    iso,
    served_in_process,
)
from tests.tap_runs import base_config, catalog_selecting, run_in_process

# The audit log alone: every fault must meet one of its requests.
AUDIT_LOG_ONLY = catalog_selecting(base_config(IN_PROCESS_URL), {"audit_logs"})


@dataclass(frozen=True)
class _QuickRetry(RetryPolicy):
    """The default bound of six retries, waiting milliseconds instead of seconds."""

    base_delay: float = 0.001
    max_delay: float = 0.004
    retry_after_cap: float = 0.004


RETRYABLE: list[Fault] = [
    Fault.status(429),
    Fault.status(429, retry_after="1"),  # honoured, up to the quick policy's cap
    Fault.status(500),
    Fault.status(502),
    Fault.status(503),
    Fault.status(504),
    Fault.drop(),
]

# Each fault follows this many requests let through: a schedule of (passes, fault) pairs.
schedules = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from(RETRYABLE)), min_size=0, max_size=6
)


@dataclass(frozen=True)
class Dataset:
    seed: int
    count: int
    days: int
    # Events sharing one second, so that pages break inside a second.
    tied: int


datasets = st.builds(
    Dataset,
    seed=st.integers(0, 10_000),
    count=st.integers(0, 300),
    days=st.integers(1, 4),
    tied=st.integers(0, 40),
)


def _events(data: Dataset) -> list[dict[str, Any]]:
    start = END - data.days * DAY
    events = generate_events(seed=data.seed, count=data.count, start=start, end=END)
    second = start + (data.seed % (data.days * DAY))
    events += [
        {"id": f"audit_log-tied{n:03d}", "type": "login.failed", "effective_at": second}
        for n in range(data.tied)
    ]
    return events


@dataclass(frozen=True)
class Scenario:
    data: Dataset
    window_size_days: float
    page_size: int
    order: str
    concurrency: int
    schedule: list[tuple[int, Fault]]


scenarios = st.builds(
    Scenario,
    data=datasets,
    window_size_days=st.sampled_from([0.1, 0.25, 0.5, 1, 1.5, 7]),
    page_size=st.integers(1, 60),
    order=st.sampled_from(["newest_first", "oldest_first", "shuffled"]),
    concurrency=st.integers(1, 4),
    schedule=schedules,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios)
def test_every_id_is_emitted_exactly_once_whatever_happens(scenario: Scenario) -> None:
    data, schedule, page_size = scenario.data, scenario.schedule, scenario.page_size
    faults = [fault or Fault.slow(0) for fault in _queue(schedule)]
    config_start = END - data.days * DAY
    emu = Emulator(_events(data), order=scenario.order)
    with pytest.MonkeyPatch.context() as patch, served_in_process(emu) as url:
        patch.setattr(client, "RetryPolicy", _QuickRetry)
        emu.inject(*faults)
        config = base_config(
            url,
            start_date=iso(config_start),
            end_date=END_ISO,
            window_size_days=scenario.window_size_days,
            page_size=page_size,
            max_concurrency=scenario.concurrency,
            scopes=["organization"],
        )
        run = run_in_process(config, catalog=AUDIT_LOG_ONLY)
        truth = [event["id"] for event in emu.ground_truth(gte=config_start, lt=END)]
        served = emu.audit_log_requests
        left = emu.stats()["pending_faults"]
    assert Counter(run.ids) == Counter(truth)  # nothing lost, nothing read twice
    assert bookmarks(run.states)[-1] == END
    # Each fault that met a request cost exactly one more request: its retry.
    met = sum(fault is not None for fault in _queue(schedule)[: len(faults) - left])
    assert sum(request.status != 200 for request in served) == met
    window = max(1, round(scenario.window_size_days * DAY))
    needed = sum(
        max(1, -(-len(emu.ground_truth(gte=w.start, lt=w.end)) // page_size))
        for w in plan_windows(config_start, END, window)
    )
    assert len(served) == CLOCK_PROBE + needed + met


def _queue(schedule: list[tuple[int, Fault]]) -> list[Fault | None]:
    """The injected queue: None for a request let through, else the fault."""
    return [item for passes, fault in schedule for item in [*[None] * passes, fault]]

"""The fault tests report what each fault class cost; the run ends with that table.

They also fail on a ResourceWarning (pyproject.toml ignores it suite-wide): the tap's runs,
whatever stops them, leave no socket, file or pipe to the garbage collector.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from _pytest.terminal import TerminalReporter

_PROPERTY = "fault_outcome"


class Outcome(Protocol):
    def __call__(self, fault: str, result: str, *, retries: int, lost: int, twice: int) -> None: ...


@pytest.fixture
def outcome(record_property: Callable[[str, object], None]) -> Outcome:
    """Record one row of the table: fault class, survived/refused, retries, ids lost/twice."""

    def record(fault: str, result: str, *, retries: int, lost: int, twice: int) -> None:
        record_property(_PROPERTY, (fault, result, retries, lost, twice))

    return record


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Make ResourceWarning an error for every test of this folder."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.filterwarnings("error::ResourceWarning"))


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    rows: dict[tuple[str, str], tuple[int, int, int]] = {}
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == _PROPERTY and report.when == "call":
                fault, result, retries, lost, twice = value
                rows[fault, result] = (retries, lost, twice)
    if not rows:
        return
    terminalreporter.section("fault classes")
    terminalreporter.write_line(
        f"{'fault class':<44} {'outcome':<9} {'retries':>7} {'ids lost':>8} {'read twice':>10}"
    )
    for (fault, result), (retries, lost, twice) in rows.items():
        terminalreporter.write_line(f"{fault:<44} {result:<9} {retries:>7} {lost:>8} {twice:>10}")

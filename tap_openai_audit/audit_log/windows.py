"""Which time range a run reads, and the windows it reads it in.

A run reads `[lower, upper)`, fixed when it starts, in consecutive windows, oldest first. The
bookmark is the exclusive end of the last window read to the end, so that a run that stops
anywhere resumes with at most one window read again.

Window boundaries inside the range sit on a grid: multiples of the window size since
1970-01-01T00:00:00Z (midnight UTC for whole days). Every run that reads a period again, the
next incremental run's lookback or the daily reconcile run, then reads the same windows, and
the ledger can compare their counts window by window. Only the first and last window of a run
may be cut short by the range's own ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True, order=True)
class Window:
    """The half-open time range `[start, end)` in Unix seconds."""

    start: int
    end: int


def plan_windows(lower: int, upper: int, size: int) -> Iterator[Window]:
    """Consecutive windows covering `[lower, upper)`, with boundaries on multiples of `size`."""
    start = lower
    while start < upper:
        end = min((start // size + 1) * size, upper)
        yield Window(start, end)
        start = end


def lower_bound(*, bookmark: int | None, start: int | None, lookback: int) -> int | None:
    """Where a run starts reading; None means the history's beginning must be found first.

    With a bookmark, re-read `lookback` seconds before it for late events, but never before
    `start_date`: the user asked for nothing older. The lookback also re-reads the bookmark's
    own second, so events sharing it are never skipped.
    """
    if bookmark is None:
        return start
    resumed = bookmark - lookback
    return resumed if start is None else max(resumed, start)


def count_windows(lower: int, upper: int, size: int) -> int:
    """How many windows `plan_windows` yields, without building them."""
    if upper <= lower:
        return 0
    return (upper - 1) // size - lower // size + 1

"""Which time range a run reads, and the windows it reads it in.

A run reads `[lower, upper)`, fixed when it starts, in consecutive windows, oldest first. The
bookmark is the exclusive end of the last window read to the end, so that a run that stops
anywhere resumes with at most one window read again.
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
    """Consecutive windows of `size` seconds covering `[lower, upper)`; the last may be shorter."""
    start = lower
    while start < upper:
        end = min(start + size, upper)
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
    return max(0, -(-(upper - lower) // size))

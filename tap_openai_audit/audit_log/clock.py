"""The run's upper bound: never later than the API's own clock.

A local clock that runs fast would otherwise move a bookmark past events the API has not
listed yet, and the next run, starting from that bookmark, would never ask for them.
"""

from __future__ import annotations


def run_upper_bound(*, local_now: int, end: int | None, api_now: int | None) -> int:
    """`end_date`, or the run's start, and never later than the API's clock when known."""
    upper = local_now if end is None else min(end, local_now)
    return upper if api_now is None else min(upper, api_now)

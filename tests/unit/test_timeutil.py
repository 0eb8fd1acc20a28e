"""RFC 3339 text of Unix seconds: the table-driven formatter writes what `datetime` writes."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from tap_openai_audit.timeutil import to_rfc3339

FIRST, LAST = -62_135_596_800, 253_402_300_799  # years 1 and 9999, the range a record holds


@pytest.mark.parametrize(
    "seconds",
    [FIRST, LAST, -1, 0, 59, 60, 3599, 3600, 86_399, 86_400, 951_782_400, 1_793_491_199],
)
def test_edges_read_as_datetime_writes_them(seconds: int) -> None:
    assert to_rfc3339(seconds) == datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()


def test_any_second_of_any_year_reads_as_datetime_writes_it() -> None:
    draw = random.Random(17)  # noqa: S311 - a reproducible sample, not a secret
    for _ in range(20_000):
        seconds = draw.randint(FIRST, LAST)
        assert to_rfc3339(seconds) == datetime.fromtimestamp(seconds, timezone.utc).isoformat()

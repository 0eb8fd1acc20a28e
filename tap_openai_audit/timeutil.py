"""Conversions between the API's Unix seconds and the RFC 3339 strings users see."""

from __future__ import annotations

import math
from datetime import datetime, timezone


def to_rfc3339(unix_seconds: int) -> str:
    """Format Unix seconds as an RFC 3339 UTC timestamp, e.g. ``2026-10-02T00:00:00+00:00``."""
    return datetime.fromtimestamp(unix_seconds, tz=timezone.utc).isoformat()


def parse_rfc3339(value: str) -> datetime:
    """Parse an ISO 8601 / RFC 3339 date or date-time; a value without an offset is UTC.

    Raises:
        ValueError: when `value` is not a date or date-time.
    """
    text = value.strip()
    # Python 3.10's fromisoformat does not take the "Z" suffix.
    if text[-1:] in {"Z", "z"}:
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def to_unix_ceiling(moment: datetime) -> int:
    """The first whole second at or after `moment`.

    The API's timestamps are whole seconds, so for both an inclusive lower bound and an
    exclusive upper bound, rounding up keeps exactly the events a user means.
    """
    return math.ceil(moment.timestamp())

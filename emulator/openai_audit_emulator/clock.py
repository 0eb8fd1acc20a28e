"""Where the emulated history ends, and moving a history written for one end to another.

Every dataset of the emulator is written for one fixed end, `DEFAULT_END` (2026-11-01): the
ordinary organization's month, the attack story, the hostile organization's day. The command
line serves it ending now (`current_end`), so that a user's queries over "the last days" find
it; tests keep the fixed end. Moving the events as a whole (`shift_events`) rather than
drawing them again keeps every event, actor and interval the same at any end: only the times,
and the dates the ids carry, change.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

DEFAULT_END = calendar.timegm((2026, 11, 1, 0, 0, 0))  # 2026-11-01T00:00:00Z
_MINUTE = 60
_DAY = 86_400
# The generator's ids end with the UTC date of their event, as the API's do.
_DATED_ID = re.compile(r"_(\d{8})$")


def current_end(now: float | None = None) -> int:
    """This moment (or `now`, Unix seconds) down to its whole minute: the default end.

    Down, never up: a history ending after the API's present would hold events a client
    reading "up to now" cannot see yet.
    """
    moment = time.time() if now is None else now
    return int(moment) // _MINUTE * _MINUTE


def shift_events(events: Iterable[Mapping[str, Any]], seconds: int) -> Iterable[Mapping[str, Any]]:
    """The events `seconds` later (earlier when negative), their ids redated; lazily.

    Each event's `effective_at` moves (an integral float stays a float) and an id ending in
    `_YYYYMMDD` gets its new date; nothing else changes, so nested dicts are shared with the
    originals. With 0 the events themselves are returned (a million-event benchmark pays
    nothing).
    """
    return events if not seconds else _shifted(events, seconds)


def _shifted(events: Iterable[Mapping[str, Any]], seconds: int) -> Iterator[dict[str, Any]]:
    for event in events:
        moved = dict(event)
        moved["effective_at"] = event["effective_at"] + seconds
        event_id = event.get("id")
        if isinstance(event_id, str) and _DATED_ID.search(event_id):
            day = int(moved["effective_at"]) // _DAY * _DAY
            stamp = time.strftime("%Y%m%d", time.gmtime(day))
            moved["id"] = _DATED_ID.sub(f"_{stamp}", event_id)
        yield moved

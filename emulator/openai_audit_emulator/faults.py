"""Faults to inject into data responses: errors, drops, slow or malformed answers, late data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_LOWEST_STATUS, _HIGHEST_STATUS = 100, 599
KINDS = (
    "status",
    "drop",
    "slow",
    "html",
    "truncated_json",
    "missing_data",
    "repeat_cursor",
    "empty_page_has_more",
    "late_events",
)


@dataclass(frozen=True)
class Fault:
    """One fault, consumed by exactly one data request. Build it with the class methods."""

    kind: str
    code: int = 0
    retry_after: str | None = None
    message: str | None = None
    seconds: float = 0.0
    events: tuple[dict[str, Any], ...] = field(default=())

    @classmethod
    def status(
        cls, code: int, *, retry_after: str | None = None, message: str | None = None
    ) -> Fault:
        """Answer with this status, an OpenAI-shaped error body and optional Retry-After."""
        return cls("status", code=code, retry_after=retry_after, message=message)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending any response byte."""
        return cls("drop")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Sleep `seconds`, then answer normally (to outlast a client's timeout)."""
        return cls("slow", seconds=seconds)

    @classmethod
    def html(cls) -> Fault:
        """Answer 200 with an HTML page, as a misbehaving proxy would."""
        return cls("html")

    @classmethod
    def truncated_json(cls) -> Fault:
        """Answer 200 application/json with the body cut in the middle."""
        return cls("truncated_json")

    @classmethod
    def missing_data(cls) -> Fault:
        """Answer 200 with an envelope that has no `data` key."""
        return cls("missing_data")

    @classmethod
    def repeat_cursor(cls) -> Fault:
        """Answer a normal page whose `last_id` repeats the cursor, with `has_more` true."""
        return cls("repeat_cursor")

    @classmethod
    def empty_page_has_more(cls) -> Fault:
        """Answer an empty page that still claims `has_more: true`."""
        return cls("empty_page_has_more")

    @classmethod
    def late_events(cls, events: Iterable[Mapping[str, Any]]) -> Fault:
        """Add these events to the dataset just before answering (normally)."""
        return cls("late_events", events=tuple(dict(event) for event in events))

    @classmethod
    def from_json(cls, spec: Mapping[str, Any]) -> Fault:
        """Build a fault from its control-endpoint form, e.g. ``{"kind": "status", "code": 429}``.

        Raises:
            ValueError: for an unknown kind or a field of the wrong type.
        """
        kind = spec.get("kind")
        if kind == "status":
            code = spec.get("code")
            if not isinstance(code, int) or not _LOWEST_STATUS <= code <= _HIGHEST_STATUS:
                msg = "a status fault needs an integer `code` between 100 and 599"
                raise ValueError(msg)
            retry_after = spec.get("retry_after")
            return cls.status(
                code,
                retry_after=None if retry_after is None else str(retry_after),
                message=spec.get("message"),
            )
        if kind == "slow":
            seconds = spec.get("seconds")
            if not isinstance(seconds, (int, float)) or seconds < 0:
                msg = "a slow fault needs a number `seconds` >= 0"
                raise ValueError(msg)
            return cls.slow(float(seconds))
        if kind == "late_events":
            events = spec.get("events")
            if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
                msg = "a late_events fault needs `events`, a list of event objects"
                raise ValueError(msg)
            return cls.late_events(events)
        if kind in KINDS:
            return cls(str(kind))
        msg = f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}"
        raise ValueError(msg)

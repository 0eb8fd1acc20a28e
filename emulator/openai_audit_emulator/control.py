"""Control endpoints under `/_emulator/`, for people and demo scripts (loopback, no auth)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from openai_audit_emulator.faults import Fault
from openai_audit_emulator.generator import generate_events
from openai_audit_emulator.responses import Response, json_response

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from openai_audit_emulator.actors import Organization

_RECENT_SECONDS = 60  # "new" events land in the last minute before now
_BACKFILL_SPAN = 3600  # backfilled events spread over one hour, `backfill_seconds_ago` back


class Controlled(Protocol):
    """What the control endpoints act on (the Emulator)."""

    latency: float
    organization: Organization  # whose people and projects act in the events added

    def add_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Add events to the dataset."""

    def inject(self, *faults: Fault) -> None:
        """Queue faults."""

    def stats(self) -> dict[str, int]:
        """Return counters."""

    def now(self) -> float:
        """The emulated API's clock."""

    def delete_object(self, stream: str, object_id: str, *parents: str) -> None:
        """Remove an inventory object."""


class BadControlRequestError(ValueError):
    """A control request the emulator cannot act on."""


class Control:
    """Dispatches control requests to an emulator."""

    def __init__(self, target: Controlled) -> None:
        """Act on `target`."""
        self._target = target
        # Successive calls without a seed still get distinct events.
        self._seeds = itertools.count(1_000_000)

    def handle(self, method: str, path: str, body: bytes) -> Response:
        """Answer one control request."""
        try:
            return self._dispatch(method, path, body)
        except (BadControlRequestError, orjson.JSONDecodeError) as error:
            return json_response(400, {"error": str(error)})

    def _dispatch(self, method: str, path: str, body: bytes) -> Response:
        if (method, path) == ("GET", "/_emulator/stats"):
            return json_response(200, self._target.stats())
        if (method, path) == ("POST", "/_emulator/events"):
            return json_response(200, {"added": self._add(_object(body))})
        if (method, path) == ("POST", "/_emulator/faults"):
            specs = orjson.loads(body or b"[]")
            if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
                msg = "expected a JSON list of fault objects"
                raise BadControlRequestError(msg)
            try:
                faults = [Fault.from_json(spec) for spec in specs]
            except ValueError as error:
                raise BadControlRequestError(str(error)) from error
            self._target.inject(*faults)
            return json_response(200, {"queued": len(faults)})
        if (method, path) == ("POST", "/_emulator/inventory/delete"):
            return self._delete(_object(body))
        if (method, path) == ("POST", "/_emulator/latency"):
            seconds = _object(body).get("seconds")
            if not isinstance(seconds, (int, float)) or seconds < 0:
                msg = 'expected {"seconds": <number >= 0>}'
                raise BadControlRequestError(msg)
            self._target.latency = float(seconds)
            return json_response(200, {"seconds": float(seconds)})
        return json_response(404, {"error": f"no control endpoint {method} {path}"})

    def _delete(self, spec: Mapping[str, Any]) -> Response:
        stream, object_id, parents = spec.get("stream"), spec.get("id"), spec.get("parents", [])
        if not (
            isinstance(stream, str)
            and isinstance(object_id, str)
            and isinstance(parents, list)
            and all(isinstance(p, str) for p in parents)
        ):
            msg = 'expected {"stream": "<name>", "id": "<id>", "parents": ["<id>", ...]}'
            raise BadControlRequestError(msg)
        try:
            self._target.delete_object(stream, object_id, *parents)
        except KeyError as error:
            return json_response(404, {"error": str(error)})
        return json_response(200, {"deleted": object_id})

    def _add(self, spec: Mapping[str, Any]) -> list[str]:
        count, late = _count(spec, "count", 0), _count(spec, "late", 0)
        late_seconds = _count(spec, "late_seconds", 300)
        if late and late_seconds <= _RECENT_SECONDS:
            msg = f"late_seconds must exceed {_RECENT_SECONDS}"
            raise BadControlRequestError(msg)
        backfill = _count(spec, "backfill", 0)
        backfill_seconds_ago = _count(spec, "backfill_seconds_ago", 21 * 86_400)
        if backfill and backfill_seconds_ago <= _BACKFILL_SPAN:
            msg = f"backfill_seconds_ago must exceed {_BACKFILL_SPAN}"
            raise BadControlRequestError(msg)
        seed = _count(spec, "seed", next(self._seeds))
        now = int(self._target.now())
        # The emulator's own people and projects act: what is added matches its inventory.
        org = self._target.organization
        events = []
        if count:
            events += generate_events(
                seed=seed, count=count, start=now - _RECENT_SECONDS, end=now, organization=org
            )
        if late:
            events += generate_events(
                seed=seed,
                count=late,
                start=now - late_seconds,
                end=now - _RECENT_SECONDS,
                organization=org,
            )
        if backfill:
            # Listed only now, with their original effective_at long behind any bookmark: the
            # backfills OpenAI has made, weeks after the events happened.
            start = now - backfill_seconds_ago
            events += generate_events(
                seed=seed + 1,
                count=backfill,
                start=start,
                end=start + _BACKFILL_SPAN,
                organization=org,
            )
        self._target.add_events(events)
        return [event["id"] for event in events]


def _object(body: bytes) -> dict[str, Any]:
    value = orjson.loads(body or b"{}")
    if not isinstance(value, dict):
        msg = "expected a JSON object"
        raise BadControlRequestError(msg)
    return value


def _count(spec: Mapping[str, Any], name: str, default: int) -> int:
    value = spec.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        msg = f"{name} must be an integer >= 0"
        raise BadControlRequestError(msg)
    return value

"""The `audit_logs` state: checked before any request, carried over from 0.1.0, read, moved.

The shape is singer-sdk's partition state::

    {"bookmarks": {"audit_logs": {"partitions": [
        {"context": {"scope": "organization"}, "replication_key": "effective_at",
         "replication_key_value": "2026-11-30T16:00:00+00:00"}, ...]}}}

A bookmark is the exclusive end of the last window read to the end in that scope. 0.1.0 kept
one stream-level bookmark (`bookmarks.audit_logs.replication_key_value`): it continues as the
bookmark of the scope that extractor read, so that upgrading never re-reads history.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NoReturn

from tap_openai_audit.audit_log.scopes import SCOPES, Scope, partition
from tap_openai_audit.errors import UnreadableStateError
from tap_openai_audit.timeutil import parse_rfc3339, to_rfc3339, to_unix_ceiling

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

STREAM = "audit_logs"
REPLICATION_KEY = "effective_at"
_BOOKMARK_KEYS = ("replication_key", "replication_key_value")
# An RFC 3339 date-time; the offset may be left out (read as UTC, as start_date is).
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?", re.ASCII
)
_HOW_TO_FIX = (
    "Fix it, or clear it (`meltano state clear <state id>`, or run without --state) to read "
    "again from start_date."
)


def upgrade_state(state: Any, *, legacy_scope: Scope) -> dict[str, Any]:  # noqa: ANN401 - any JSON
    """Check the incoming state and return it in the partition shape.

    A 0.1.0 stream-level bookmark becomes `legacy_scope`'s partition bookmark unless that
    partition has its own (which wins); the stream-level keys are dropped either way.

    Raises:
        UnreadableStateError: a bookmark that is not an RFC 3339 date-time, or a shape that
            is not this tap's. One line, saying how to fix or clear it.
    """
    if not isinstance(state, dict):
        _refuse("the state is not a JSON object")
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        _refuse("`bookmarks` is not an object")
    stream = bookmarks.get(STREAM)
    if stream is None:
        return state
    if not isinstance(stream, dict):
        _refuse(f"`bookmarks.{STREAM}` is not an object")
    partitions = _checked_partitions(stream.get("partitions", []))
    legacy = _bookmark(stream, f"bookmarks.{STREAM}")
    upgraded = {key: value for key, value in stream.items() if key not in _BOOKMARK_KEYS}
    if legacy is not None and _bookmark(partitions.get(legacy_scope, {}), "") is None:
        partitions[legacy_scope] = {
            "context": partition(legacy_scope),
            "replication_key": REPLICATION_KEY,
            "replication_key_value": to_rfc3339(legacy),
        }
    if partitions:
        upgraded["partitions"] = [partitions[scope] for scope in SCOPES if scope in partitions]
    return {**state, "bookmarks": {**bookmarks, STREAM: upgraded}}


def read_bookmark(partition_state: Mapping[str, Any]) -> int | None:
    """A partition's bookmark as Unix seconds (the state was checked by `upgrade_state`)."""
    return _bookmark(partition_state, "")


def move_bookmark(partition_state: MutableMapping[str, Any], end: int) -> bool:
    """Move a partition's bookmark forward to `end`; False when it is already there or past."""
    current = read_bookmark(partition_state)
    if current is not None and current >= end:
        return False  # a lookback window: the bookmark never moves back
    partition_state["replication_key"] = REPLICATION_KEY
    partition_state["replication_key_value"] = to_rfc3339(end)
    return True


def _checked_partitions(value: Any) -> dict[Scope, dict[str, Any]]:  # noqa: ANN401 - any JSON
    if not isinstance(value, list):
        _refuse(f"`bookmarks.{STREAM}.partitions` is not a list")
    found: dict[Scope, dict[str, Any]] = {}
    for entry in value:
        context = entry.get("context") if isinstance(entry, dict) else None
        scope = context.get("scope") if isinstance(context, dict) else None
        if scope not in SCOPES or len(context) != 1:  # type: ignore[arg-type]
            _refuse(
                f"a partition of `bookmarks.{STREAM}` has the context {_short(context)}, "
                'not {"scope": "organization"} or {"scope": "tenant"}'
            )
        if scope in found:
            _refuse(f"`bookmarks.{STREAM}` has two partitions for the scope {scope}")
        _bookmark(entry, f"the {scope} partition of bookmarks.{STREAM}")
        found[scope] = dict(entry)
    return found


def _bookmark(state: Mapping[str, Any], where: str) -> int | None:
    value = state.get("replication_key_value")
    key = state.get("replication_key")
    if value is None:
        return None
    if key not in {None, REPLICATION_KEY}:
        _refuse(f"{where} bookmarks {_short(key)}, not {REPLICATION_KEY}")
    if not isinstance(value, str) or not _RFC3339.fullmatch(value.strip()):
        _refuse(f"{where} has the bookmark {_short(value)}, which is not an RFC 3339 date-time")
    try:
        return to_unix_ceiling(parse_rfc3339(value))
    except (ValueError, OverflowError):
        _refuse(f"{where} has the bookmark {_short(value)}, which is not an RFC 3339 date-time")


def _short(value: Any) -> str:  # noqa: ANN401 - any JSON
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004


def _refuse(problem: str) -> NoReturn:
    msg = f"The state cannot be read: {problem}. {_HOW_TO_FIX}"
    raise UnreadableStateError(msg)

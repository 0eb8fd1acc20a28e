"""Shaping one inventory object into a record of its stream's typed columns and `extra`.

A documented field takes the object's value when the value fits the field's type; any other
key, and a documented key whose value does not fit, goes into `extra` as sent (its column is
then null). So every record validates against the declared schema, whatever the API sends,
and nothing it sends is lost: loaders make columns for declared fields only.

This runs for every record, so it is one pass over the object's keys with a type check per
value, not a JSON-schema validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tap_openai_audit.inventory.endpoints import Kind
from tap_openai_audit.redact import redact

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

Record = dict[str, Any]

EXTRA = "extra"

# Unix seconds that a date-time can hold: years 1 to 9999 (as the audit log's effective_at).
_EARLIEST = -62_135_596_800
_LATEST = 253_402_300_799
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# What PostgreSQL's bigint holds (the column target-postgres makes for an integer).
_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1
# RFC 3339 `date-time`: a full date, `T` (any case), a time, and `Z` or a numeric offset.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
# Key names in the warning: shown, but never a long or personal-looking one whole.
_KEY_LIMIT = 60
_KEYS_SHOWN = 50


class _Misfit:
    """The value does not fit its field's type."""


MISFIT = _Misfit()


def _string(value: object) -> object:
    return value if isinstance(value, str) else MISFIT


def _boolean(value: object) -> object:
    return value if isinstance(value, bool) else MISFIT


def _whole(value: object) -> int | None:
    """`value` as an int when it is an integer or a float with an integral value."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _integer(value: object) -> object:
    whole = _whole(value)
    return whole if whole is not None and _BIGINT_MIN <= whole <= _BIGINT_MAX else MISFIT


def _unixtime(value: object) -> object:
    """RFC 3339 in UTC, from Unix seconds or from an RFC 3339 string."""
    if isinstance(value, str):
        return _from_rfc3339(value)
    seconds = _whole(value)
    if seconds is None or not _EARLIEST <= seconds <= _LATEST:
        return MISFIT
    return (_EPOCH + timedelta(seconds=seconds)).isoformat()


def _from_rfc3339(text: str) -> object:
    # By hand, not `datetime.fromisoformat`: Python 3.10's takes neither `Z` nor fractions of
    # other than 3 or 6 digits, and later ones take ISO forms that RFC 3339 does not (no offset).
    match = _RFC3339.fullmatch(text)
    if match is None:
        return MISFIT
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        offset = timezone.utc
        if not zulu:
            if int(off_h) > 23 or int(off_m) > 59:  # noqa: PLR2004 - an hour, a minute
                return MISFIT
            delta = timedelta(hours=int(off_h), minutes=int(off_m))
            offset = timezone(-delta if sign == "-" else delta)
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),  # microseconds: what a column holds
            tzinfo=offset,
        )
        return moment.astimezone(timezone.utc).isoformat()
    except (ValueError, OverflowError):  # no such day or time, or out of datetime's years
        return MISFIT


def _json(value: object) -> object:
    return value


FIT: dict[Kind, Callable[[object], object]] = {
    Kind.STRING: _string,
    Kind.INTEGER: _integer,
    Kind.BOOLEAN: _boolean,
    Kind.UNIXTIME: _unixtime,
    Kind.JSON: _json,
}


def shape(
    item: Mapping[str, Any], fields: Mapping[str, Kind], ids: Collection[str]
) -> tuple[Record, list[str], list[str]]:
    """The record for one object of a stream with `fields` and id columns `ids`.

    `item` holds the object's keys and its parent ids; the ids were checked when the page
    was read (strings, present). Null fits every field: all are nullable.

    Returns:
        The record, the undeclared keys, and the declared keys whose value did not fit.
    """
    record: Record = {}
    extra: Record = {}
    undeclared: list[str] = []
    misfits: list[str] = []
    for key, value in item.items():
        if key in ids:
            record[key] = value
            continue
        kind = fields.get(key)
        if kind is None:
            extra[key] = value
            undeclared.append(key)
        elif value is None:
            record[key] = None
        else:
            fitted = FIT[kind](value)
            if fitted is MISFIT:
                extra[key] = value
                record[key] = None
                misfits.append(key)
            else:
                record[key] = fitted
    record[EXTRA] = extra or None  # set last: a key named `extra` went into `extra` above
    return record, undeclared, misfits


@dataclass
class ExtraTally:
    """Which keys of one stream's records went to `extra`, and how often: for one warning."""

    undeclared: dict[str, int] = field(default_factory=dict)
    misfits: dict[str, int] = field(default_factory=dict)

    def add(self, undeclared: list[str], misfits: list[str]) -> None:
        """Count the keys one record moved to `extra`."""
        for key in undeclared:
            self.undeclared[key] = self.undeclared.get(key, 0) + 1
        for key in misfits:
            self.misfits[key] = self.misfits.get(key, 0) + 1

    def warning(self, stream: str) -> str | None:
        """The stream's one warning, naming keys and counts (never values); None if none."""
        if not self.undeclared and not self.misfits:
            return None
        parts = []
        if self.undeclared:
            parts.append(f"keys this version has no column for: {_listed(self.undeclared)}")
        if self.misfits:
            parts.append(f"values that did not fit their column's type: {_listed(self.misfits)}")
        return (
            f"{stream}: kept in the `extra` column, as sent: {'; '.join(parts)}. Nothing was "
            "dropped; a typed column is null where its value went to `extra`."
        )


def _listed(counts: dict[str, int]) -> str:
    shown = [
        f"{redact(key, limit=_KEY_LIMIT)!r} ({count} record{'s' if count != 1 else ''})"
        for key, count in sorted(counts.items())[:_KEYS_SHOWN]
    ]
    more = len(counts) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

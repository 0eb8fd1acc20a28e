"""The notifier's settings, read from `OPENAI_AUDIT_NOTIFY_<NAME>` variables.

Meltano passes a utility's settings to it as those same variables, so the command line and
the Meltano utility read one set of names. Every value is checked before anything is read or
sent; a wrong one is a `BadInput` naming the setting, never echoing a destination.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openai_audit_notify.errors import BadInput

if TYPE_CHECKING:
    from collections.abc import Mapping

PREFIX = "OPENAI_AUDIT_NOTIFY_"
# Lowest first: an alert is sent when its rank is at least min_severity's.
SEVERITIES = ("info", "low", "medium", "high", "critical")
DEFAULT_MIN_SEVERITY = "medium"
DEFAULT_BACKLOG_HOURS = 24.0
DEFAULT_MAX_PER_RUN = 50
TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off", ""})


@dataclass(frozen=True)
class Settings:
    """What one `send` run does."""

    destinations: tuple[str, ...] = ()
    database_url: str | None = None
    schema: str | None = None  # None: the dbt utility's models schema (connection.py)
    min_severity: str = DEFAULT_MIN_SEVERITY
    backlog_hours: float = DEFAULT_BACKLOG_HOURS
    max_per_run: int = DEFAULT_MAX_PER_RUN
    dry_run: bool = False

    @property
    def severities(self) -> tuple[str, ...]:
        """The severities that are sent, lowest first."""
        return SEVERITIES[SEVERITIES.index(self.min_severity) :]


def read_settings(env: Mapping[str, str]) -> Settings:
    """The settings from `env`; raise BadInput naming the first wrong one."""

    def value(name: str) -> str | None:
        raw = env.get(PREFIX + name.upper())
        return raw.strip() if raw is not None and raw.strip() else None

    min_severity = (value("min_severity") or DEFAULT_MIN_SEVERITY).lower()
    if min_severity not in SEVERITIES:
        msg = (
            f"min_severity: {value('min_severity')!r} is not a severity "
            f"(one of {', '.join(SEVERITIES)})"
        )
        raise BadInput(msg)
    return Settings(
        destinations=parse_destinations(env.get(PREFIX + "DESTINATIONS", "")),
        database_url=value("database_url"),
        schema=value("schema"),
        min_severity=min_severity,
        backlog_hours=_number(value("backlog_hours"), "backlog_hours", DEFAULT_BACKLOG_HOURS),
        max_per_run=_positive_integer(value("max_per_run"), "max_per_run"),
        dry_run=_boolean(value("dry_run"), "dry_run"),
    )


def parse_destinations(raw: str) -> tuple[str, ...]:
    """Apprise URLs from a JSON list, or from text separated by whitespace.

    Whitespace, not commas: an Apprise URL may hold commas (several Slack channels, say).
    The error never quotes the value: it holds tokens.
    """
    text = raw.strip()
    if not text:
        return ()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            msg = "destinations: starts with '[' but is not a JSON list (the value is not shown)"
            raise BadInput(msg) from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            msg = "destinations: the JSON value must be a list of URL strings"
            raise BadInput(msg)
        return tuple(i.strip() for i in items if i.strip())
    return tuple(text.split())


def _number(raw: str | None, name: str, default: float) -> float:
    if raw is None:
        return default
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        msg = f"{name}: {raw!r} is not a number of hours >= 0"
        raise BadInput(msg)
    return number


def _positive_integer(raw: str | None, name: str) -> int:
    if raw is None:
        return DEFAULT_MAX_PER_RUN
    if not raw.isdigit() or int(raw) < 1:
        msg = f"{name}: {raw!r} is not a whole number >= 1"
        raise BadInput(msg)
    return int(raw)


def _boolean(raw: str | None, name: str) -> bool:
    lowered = (raw or "").lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    msg = f"{name}: {raw!r} is not true or false"
    raise BadInput(msg)

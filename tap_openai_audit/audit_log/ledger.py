"""The coverage ledger `audit_log_reads`: one row per window read to its end, per scope, per run.

With it a user proves from the warehouse alone that every second since `start_date` was read
at least once, and sees which windows gained events when read again (late arrivals). Rows
are only ever added: the stream sends no ACTIVATE_VERSION, so a target never deletes the rows
of earlier runs.
"""

from __future__ import annotations

import hashlib
import operator
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream, metrics
from singer_sdk import typing as th
from typing_extensions import override

from tap_openai_audit.timeutil import to_rfc3339

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk.helpers import types

    from tap_openai_audit.audit_log.scopes import Scope
    from tap_openai_audit.audit_log.windows import Window

LEDGER_STREAM = "audit_log_reads"
_ID = operator.itemgetter("id")

LEDGER_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property("run_id", th.StringType, required=True, description="New for every tap run."),
    th.Property("scope", th.StringType(allowed_values=["organization", "tenant"]), required=True),
    th.Property("window_start", th.DateTimeType, required=True, description="Inclusive, UTC."),
    th.Property("window_end", th.DateTimeType, required=True, description="Exclusive, UTC."),
    th.Property(
        "events",
        th.IntegerType,
        required=True,
        description="How many distinct event ids the API listed in the window.",
    ),
    th.Property(
        "ids_sha256",
        th.StringType,
        required=True,
        description="Lowercase hex SHA-256 of those ids (UTF-8), sorted by code point, each "
        "followed by a newline; an empty window hashes the empty string.",
    ),
    th.Property("pages", th.IntegerType, required=True, description="Pages read."),
    th.Property(
        "filtered",
        th.BooleanType,
        required=True,
        description="True when a server-side filter applied: the counts are of matching events.",
    ),
    th.Property("read_at", th.DateTimeType, required=True, description="When the window was done."),
).to_dict()


def ids_sha256(ids: Iterable[str]) -> str:
    """The ledger hash of distinct ids: sorted by code point, each followed by a newline."""
    distinct = ids if isinstance(ids, (set, frozenset)) else set(ids)
    text = "".join(f"{event_id}\n" for event_id in sorted(distinct))
    # surrogatepass: an id the API sent with a lone surrogate is hashed, not a crash.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def new_run_id() -> str:
    """A fresh id for one tap run."""
    return str(uuid.uuid4())


@dataclass
class WindowTally:
    """What the API listed in one window, counted while its pages go by."""

    ids: set[str] = field(default_factory=set)
    pages: int = 0

    def add_page(self, events: Iterable[dict[str, Any]]) -> None:
        """Count one page; ids repeated across pages count once."""
        self.pages += 1
        self.ids.update(map(_ID, events))

    def row(self, *, run_id: str, scope: Scope, window: Window, filtered: bool) -> dict[str, Any]:
        """The ledger row of the window, read to its end just now."""
        return {
            "run_id": run_id,
            "scope": scope,
            "window_start": to_rfc3339(window.start),
            "window_end": to_rfc3339(window.end),
            "events": len(self.ids),
            "ids_sha256": ids_sha256(self.ids),
            "pages": self.pages,
            "filtered": filtered,
            "read_at": datetime.now(timezone.utc).isoformat(),
        }


class AuditLogReadsStream(Stream):
    """The ledger. Its rows are written by `audit_logs` as each window completes.

    A row goes out after the window's records and before the STATE that moves the bookmark
    past the window: a crash between the two leaves a row without a bookmark (the window is
    read again, and the ledger shows both reads), never a bookmark without a row, which would
    be a permanent hole in the proof.
    """

    name = LEDGER_STREAM
    primary_keys = ("run_id", "scope", "window_start")
    replication_key = None
    schema = LEDGER_SCHEMA

    def __init__(
        self,
        *args: Any,  # noqa: ANN401 - the SDK's signature
        report_replacements: Callable[[Stream | None], None],
        **kwargs: Any,  # noqa: ANN401 - the SDK's signature
    ) -> None:
        """Create the stream; no row is written until a window completes.

        `report_replacements` gives the run's one warning about strings made storable, when
        this is the run's last stream.
        """
        super().__init__(*args, **kwargs)
        self._schema_written = False
        self._rows_written = 0
        self._report_replacements = report_replacements

    @override
    def finalize_state_progress_markers(self, state: dict[str, Any] | None = None) -> None:
        """The SDK calls this once the stream is synced (see the tap's `report_replacements`)."""
        super().finalize_state_progress_markers(state)
        self._report_replacements(self)

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        """Never: the ledger only grows, and ACTIVATE_VERSION would delete earlier runs' rows."""
        return False

    @override
    def get_records(self, context: types.Context | None) -> Iterable[dict[str, Any]]:
        """Nothing of its own: `audit_logs` writes every row through `write_row`."""
        return []

    @override
    def get_record_counter(
        self,
        *,
        endpoint: str | None = None,
        log_interval: float = metrics.DEFAULT_LOG_INTERVAL,
    ) -> metrics.Counter:
        """The SDK's `record_count`, starting from the rows `audit_logs` wrote before this sync.

        The SDK counts what `get_records` yields, and this stream's rows all went out through
        `write_row` while `audit_logs` was read (it comes first in the tap's stream order).
        """
        counter = super().get_record_counter(endpoint=endpoint, log_interval=log_interval)
        counter.increment(self._rows_written)
        return counter

    def write_row(self, row: dict[str, Any]) -> None:
        """Write one ledger row now, with the stream's SCHEMA first if it has not gone out."""
        if not self.selected:
            return
        if not self._schema_written:
            self._write_schema_message()
            self._schema_written = True
        self._write_record_message(row)
        self._rows_written += 1

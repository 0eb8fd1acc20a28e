"""The snapshot stream: one class for all 19 endpoints, configured by an `Endpoint`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk import Stream, metrics
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_openai_audit.connection_test import sync_timer
from tap_openai_audit.inventory.schema import id_columns, snapshot_schema
from tap_openai_audit.inventory.shape import ExtraTally, shape
from tap_openai_audit.inventory.snapshot import StreamSkipped

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers import types

    from tap_openai_audit.inventory.endpoints import Endpoint
    from tap_openai_audit.inventory.snapshot import Snapshot


class SnapshotStream(Stream):
    """A complete snapshot of one list at every sync, with deletions for the target.

    Every record carries the run's `version`; one ACTIVATE_VERSION follows the last record,
    only once the snapshot (every parent's list, for a child stream) is read to its end.
    target-postgres then marks the rows missing from it (`_sdc_deleted_at`). The SDK's own
    `emit_activate_version_messages` sends the message before the records, which would
    mark rows deleted for a snapshot that then fails part-way: it stays off here. A stream
    skipped for the run (its list refused, see `snapshot`) gets none either.
    """

    replication_method = "FULL_TABLE"
    # `shape` already made every record fit the schema; the SDK's conformance pass would
    # only repeat that work for every record.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(
        self,
        tap: Tap,
        endpoint: Endpoint,
        snapshot: Callable[[], Snapshot],
        report_replacements: Callable[[Stream | None], None],
    ) -> None:
        """A stream for `endpoint`; `snapshot` gives the run's shared reader when reading starts.

        `report_replacements` gives the run's one warning about strings made storable.
        """
        super().__init__(tap, schema=snapshot_schema(endpoint), name=endpoint.stream)
        self.primary_keys = endpoint.primary_keys
        self._endpoint = endpoint
        self._ids = frozenset(id_columns(endpoint))
        self._snapshot = snapshot
        self._report_replacements = report_replacements
        self._version = tap.initialized_at  # milliseconds: grows from run to run

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        return False

    @override
    def get_sync_timer(self) -> metrics.Timer:
        """The SDK's `sync_duration`, not "failed" when `--test` stops the stream as asked."""
        return sync_timer(self.name)

    @override
    def get_records(self, context: types.Context | None) -> Iterable[dict[str, Any]]:
        # The SDK stamps `_stream_version` on every RECORD message it writes.
        self._stream_version = self._version
        fields, ids, tally = self._endpoint.fields, self._ids, ExtraTally()
        try:
            for item in self._snapshot().records(self._endpoint):
                record, undeclared, misfits = shape(item, fields, ids)
                if undeclared or misfits:
                    tally.add(undeclared, misfits)
                yield record
        except StreamSkipped as skipped:
            # Not a failure of the run: no ACTIVATE_VERSION, so nothing is marked deleted.
            self.logger.warning("%s", skipped.warning())
            return
        except BaseException:
            self._report_replacements(None)  # before the error: written records may hold some
            raise
        finally:
            # Also after a failure: records already written may hold keys in `extra`.
            warning = tally.warning(self.name)
            if warning is not None:
                self.logger.warning("%s", warning)
        # Reached only after the SDK has written the last record, and never after a failure.
        self._write_activate_version_message(self._version)

    @override
    def finalize_state_progress_markers(self, state: dict[str, Any] | None = None) -> None:
        """The SDK calls this once the stream is read to its end (see `report_replacements`)."""
        super().finalize_state_progress_markers(state)
        self._report_replacements(self)

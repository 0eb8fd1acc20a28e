"""The snapshot stream: one class for all 19 endpoints, configured by an `Endpoint`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_openai_audit.json_types import ANY_JSON_TYPES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers import types

    from tap_openai_audit.inventory.endpoints import Endpoint
    from tap_openai_audit.inventory.snapshot import Snapshot

STRING: dict[str, Any] = {"type": "string"}
# Any JSON value, spelled as the audit log spells it (a list of every type, not `{}`: tools
# that read the schema need a `type`). target-postgres makes it a `jsonb` column, which keeps
# strings, numbers and objects as sent.


def snapshot_schema(endpoint: Endpoint) -> dict[str, Any]:
    """The record schema: ids typed as the API guarantees them, every other field any JSON.

    The API retypes and adds fields over time; a schema that typed them would make a target
    reject records (and stop a scheduled load for good). Documented fields are declared so
    that targets make columns for them; unknown ones are passed on too.
    """
    keys = dict.fromkeys((*endpoint.parent.fields, *endpoint.primary_keys))
    properties: dict[str, Any] = {key: dict(STRING) for key in keys}
    properties.update({field: _any_json() for field in endpoint.fields if field not in properties})
    return {
        "type": "object",
        "properties": properties,
        "required": list(keys),
        "additionalProperties": True,
    }


def _any_json() -> dict[str, Any]:
    return {"type": list(ANY_JSON_TYPES)}


class SnapshotStream(Stream):
    """A complete snapshot of one list at every sync, with deletions for the target.

    Every record carries the run's `version`; one ACTIVATE_VERSION follows the last record,
    only once the snapshot (every parent's list, for a child stream) is read to its end.
    target-postgres then marks the rows missing from it (`_sdc_deleted_at`). The SDK's own
    `emit_activate_version_messages` sends the message before the records, which would
    mark rows deleted for a snapshot that then fails part-way: it stays off here.
    """

    replication_method = "FULL_TABLE"
    # Records are the API's objects as sent: conformance would drop the fields not declared.
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
        self._snapshot = snapshot
        self._report_replacements = report_replacements
        self._version = tap.initialized_at  # milliseconds: grows from run to run

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        return False

    @override
    def get_records(self, context: types.Context | None) -> Iterable[dict[str, Any]]:
        # The SDK stamps `_stream_version` on every RECORD message it writes.
        self._stream_version = self._version
        try:
            yield from self._snapshot().records(self._endpoint)
        except BaseException:
            self._report_replacements(None)  # before the error: written records may hold some
            raise
        # Reached only after the SDK has written the last record, and never after a failure.
        self._write_activate_version_message(self._version)

    @override
    def finalize_state_progress_markers(self, state: dict[str, Any] | None = None) -> None:
        """The SDK calls this once the stream is read to its end (see `report_replacements`)."""
        super().finalize_state_progress_markers(state)
        self._report_replacements(self)

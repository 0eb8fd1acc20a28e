"""The `audit_logs` stream: windows in, records and window-by-window state out."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import singer_sdk.singerlib as singer
from singer_sdk import Stream
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_openai_audit.audit_log import AuditLogClient
from tap_openai_audit.errors import TapOpenAIAuditError
from tap_openai_audit.fetcher import read_in_order
from tap_openai_audit.records import to_record
from tap_openai_audit.schema import AUDIT_LOG_SCHEMA
from tap_openai_audit.settings import request_settings
from tap_openai_audit.timeutil import parse_rfc3339, to_rfc3339, to_unix_ceiling
from tap_openai_audit.windows import Window, count_windows, lower_bound, plan_windows

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator

    from singer_sdk.helpers import types

    from tap_openai_audit.client import ApiClient
    from tap_openai_audit.storable_text import ReplacementTally

REPLICATION_KEY = "effective_at"


class AuditLogsStream(Stream):
    """Every audit-log event of the organization, one record each.

    The SDK's own bookmarking follows the records; here the bookmark follows completed
    windows instead, because the API's order is undocumented and a bookmark taken from a
    record in the middle of a window could skip the window's unread events.
    """

    name = "audit_logs"
    primary_keys = ("id",)
    replication_key = REPLICATION_KEY
    is_sorted = False
    schema = AUDIT_LOG_SCHEMA
    # The tap builds every record itself from a schema it owns: per-record conformance
    # would only cost time (the largest share of the SDK's per-record cost).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(
        self,
        *args: Any,  # noqa: ANN401 - the SDK's signature
        api: Callable[[], ApiClient],
        replacements: ReplacementTally,
        **kwargs: Any,  # noqa: ANN401 - the SDK's signature
    ) -> None:
        """Create the stream; `api` gives the run's shared HTTP client when reading starts.

        `replacements` counts, for the run's one warning, the events whose U+0000 or lone
        surrogates were replaced.
        """
        super().__init__(*args, **kwargs)
        self._api = api
        self._replacements = replacements
        self._warned_extra_keys: set[str] = set()
        self._checked_mask: object = None
        self._mask_deselects = True

    @override
    def get_records(self, context: types.Context | None) -> Iterable[dict[str, Any]]:
        settings = request_settings(self.config)
        # Never past the run's start: a bookmark in the future would skip every event that
        # happens before it.
        now = int(time.time())
        upper = now if settings.end is None else min(settings.end, now)
        bookmark = self._bookmark()
        lower = lower_bound(
            bookmark=bookmark, start=settings.start, lookback=settings.lookback_seconds
        )
        client = AuditLogClient(self._api())
        for name in settings.unknown_event_types():
            self.logger.warning(
                "event_types: %r is not a type this version knows; passing it on, the API decides.",
                name,
            )
        if lower is None:
            lower = client.find_earliest(upper)
            if lower is None:
                self.logger.info("No audit-log events before %s.", to_rfc3339(upper))
                self._complete(Window(upper, upper))
                return
        self.logger.info(
            "Reading %s to %s in %d windows of %d s, %d at a time.",
            to_rfc3339(lower),
            to_rfc3339(upper),
            count_windows(lower, upper, settings.window_seconds),
            settings.window_seconds,
            settings.max_concurrency,
        )
        windows = plan_windows(lower, upper, settings.window_seconds)
        try:
            for window, pages in read_in_order(
                windows, client.window_pages, concurrency=settings.max_concurrency
            ):
                for page in pages:
                    for event_id, count in page.replaced:
                        self._replacements.add(event_id, count)
                    yield from self._records(page.events)
                self._complete(window)
        except BaseException:
            # The run stops here (an error, or SIGTERM): records already written may hold
            # replaced values, so say so before the error does.
            self._warn_replacements()
            raise

    @override
    def finalize_state_progress_markers(self, state: dict[str, Any] | None = None) -> None:
        """The SDK calls this once the stream is read to its end: the run's warning goes out."""
        super().finalize_state_progress_markers(state)
        self._warn_replacements()

    def _warn_replacements(self) -> None:
        warning = self._replacements.take_warning()
        if warning is not None:
            self.logger.warning("%s", warning)

    def _records(self, events: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for event in events:
            record = to_record(event)
            extra = record["extra"]
            if extra is not None and not extra.keys() <= self._warned_extra_keys:
                new_keys = sorted(extra.keys() - self._warned_extra_keys)
                self._warned_extra_keys.update(new_keys)
                self.logger.warning(
                    "Events carry top-level keys this version does not know: %s. They are "
                    "kept whole in the `extra` column.",
                    ", ".join(new_keys),
                )
            yield record

    def _bookmark(self) -> int | None:
        """The bookmark from the incoming state, as Unix seconds."""
        state = self.stream_state
        value = state.get("replication_key_value")
        if value is None or state.get("replication_key") not in {None, REPLICATION_KEY}:
            return None
        if isinstance(value, int):  # a hand-written state may hold Unix seconds
            return value
        try:
            return to_unix_ceiling(parse_rfc3339(str(value)))
        except ValueError:
            msg = (
                f"The state's bookmark for audit_logs ({value!r}) is not an RFC 3339 date-time. "
                "Fix or clear the state (meltano state clear) and run again."
            )
            raise TapOpenAIAuditError(msg) from None

    def _complete(self, window: Window) -> None:
        """Move the bookmark past a window read to the end, and say so at once.

        Every record of the window has been written before this runs: the generator resumes
        only after the SDK has written the record it last yielded.
        """
        state = self.stream_state
        current = self._bookmark()
        if current is not None and current >= window.end:
            return  # a lookback window: the bookmark never moves back
        state["replication_key"] = REPLICATION_KEY
        state["replication_key_value"] = to_rfc3339(window.end)
        self.state_manager.is_flushed = False
        self._write_state_message()

    @override
    def _generate_record_messages(
        self, record: types.Record
    ) -> Generator[singer.RecordMessage, None, None]:
        """The SDK's record path, without its per-record selection walk when nothing is deselected.

        The SDK walks every nested dict of every record against the selection mask even when
        the catalog selects everything, the usual case: that walk was the largest single cost
        of a record (about a quarter of the tap's CPU in a profile). Conformance is already off.
        Any deselection in the catalog takes the SDK's own path unchanged.
        """
        if self._deselects_anything():
            yield from super()._generate_record_messages(record)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield singer.RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )

    def _deselects_anything(self) -> bool:
        mask = self.mask  # rebuilt by the SDK when a catalog is applied
        if mask is not self._checked_mask:
            self._checked_mask = mask
            self._mask_deselects = not all(mask.values())
        return self._mask_deselects

    @override
    def _increment_stream_state(
        self, latest_record: types.Record, *, context: types.Context | None = None
    ) -> None:
        """Do nothing per record: `_complete` moves the bookmark per window."""

    @override
    def get_replication_key_signpost(self, context: types.Context | None = None) -> None:
        """No signpost: it only bounds per-record bookmarks, which this stream does not keep."""
        return

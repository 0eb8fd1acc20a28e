"""The `audit_logs` stream: windows in, records and window-by-window state out."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream, metrics
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform
from typing_extensions import override

from tap_openai_audit.audit_log.clock import run_upper_bound
from tap_openai_audit.audit_log.counting import PartitionCounter
from tap_openai_audit.audit_log.ledger import WindowTally, new_run_id
from tap_openai_audit.audit_log.pages import AuditLogClient
from tap_openai_audit.audit_log.records import to_record
from tap_openai_audit.audit_log.run_reads import Job, RunReads
from tap_openai_audit.audit_log.schema import AUDIT_LOG_SCHEMA
from tap_openai_audit.audit_log.scopes import Scope, partition
from tap_openai_audit.audit_log.state import REPLICATION_KEY, move_bookmark, read_bookmark
from tap_openai_audit.audit_log.windows import Window, count_windows, lower_bound, plan_windows
from tap_openai_audit.connection_test import sync_timer
from tap_openai_audit.fetcher import read_in_order
from tap_openai_audit.output import BatchingWriter
from tap_openai_audit.settings import Settings, request_settings
from tap_openai_audit.timeutil import to_rfc3339

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers import types

    from tap_openai_audit.audit_log.ledger import AuditLogReadsStream
    from tap_openai_audit.client import ApiClient
    from tap_openai_audit.storable_text import ReplacementTally


# `AuditLogsStream._record_shortcut`: the catalog deselects something, the SDK's path it is.
_SDK_PATH = object()


class AuditLogsStream(Stream):
    """Every audit-log event of both scopes, one record each, read as two SDK partitions.

    The SDK's own bookmarking follows the records; here each partition's bookmark follows
    its completed windows instead, because the API's order is undocumented and a bookmark
    taken from a record in the middle of a window could skip the window's unread events.
    Each completed window also gets its ledger row (`audit_log_reads`), written before the
    STATE that moves the bookmark past it.
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
        tap: Tap,
        *,
        api: Callable[[], ApiClient],
        ledger: AuditLogReadsStream,
        replacements: ReplacementTally,
        report_replacements: Callable[[Stream | None], None],
    ) -> None:
        """Create the stream; `api` gives the run's shared HTTP client when reading starts.

        `ledger` is the `audit_log_reads` stream, which gets a row per completed window.
        `replacements` counts, for the run's one warning, the events whose U+0000 or lone
        surrogates were replaced; `report_replacements` gives that warning (see the tap).
        """
        super().__init__(tap)
        self._api = api
        self._ledger = ledger
        self._state_writer = tap.state_writer
        # The record path writes through it directly (see `_write_record_message`).
        self._writer = (
            tap.message_writer if isinstance(tap.message_writer, BatchingWriter) else None
        )
        self._replacements = replacements
        self._report_replacements = report_replacements
        self._warned_extra_keys: set[str] = set()
        self._run: RunReads | None = None
        self._checked_mask: object = None
        self._shortcut: object = _SDK_PATH
        # When the page of the records being written was received: their `time_extracted`.
        self._extracted_at = datetime.now(timezone.utc)

    @property
    @override
    def partitions(self) -> list[dict[str, Any]]:
        """One partition per scope this run reads; a scope with nothing to ask for is skipped."""
        settings = Settings.from_config(self.config, require_key=False)
        return [partition(scope) for scope in settings.active_scopes()]

    @override
    def get_records(self, context: types.Context | None) -> Iterable[dict[str, Any]]:
        if not context:
            # No partition at all: the SDK still asks once, without a context.
            self.logger.warning(
                "Nothing to read: no scope in `scopes` has an event type of `event_types` to "
                "ask for. Every bookmark stays as it was."
            )
            return
        scope: Scope = context["scope"]
        if self._run is None:
            self._run = self._start_run()
        run = self._run
        try:
            for job, pages in run.reads(scope):
                tally = WindowTally()
                for page in pages:
                    for event_id, count in page.replaced:
                        self._replacements.add(event_id, count)
                    tally.add_page(page.events)
                    self._extracted_at = datetime.now(timezone.utc)
                    # The record path of every event: kept to the minimum (see bench.py).
                    for event in page.events:
                        record = to_record(event)
                        record["scope"] = scope
                        if record["extra"] is not None:
                            self._warn_about_extra_keys(record["extra"])
                        yield record
                self._ledger.write_row(
                    tally.row(
                        run_id=run.run_id,
                        scope=scope,
                        window=job.window,
                        filtered=run.filtered[scope],
                    )
                )
                self._complete(scope, job.window)
        except BaseException:
            # The run stops here (an error, or SIGTERM): records already written may hold
            # replaced values, so say so before the error does.
            self._report_replacements(None)
            raise
        if scope in run.no_history_before:  # nothing to read at all: start from here next time
            self._complete(scope, Window(run.upper, run.upper))

    def _start_run(self) -> RunReads:
        """Plan both scopes' windows once, and read them through one pool of workers.

        The SDK syncs the partitions one after the other; reading them as one sequence of
        jobs keeps every worker busy across the boundary: the tenant scope's first windows
        are fetched while the organization's last ones are still being written.
        """
        settings = request_settings(self.config)
        for index in settings.unknown_event_types():
            self.logger.warning(
                "event_types[%d] is not a type this version knows; passing it on to the API "
                "(in the organization scope), which decides.",
                index,
            )
        api = self._api()
        clients = {scope: AuditLogClient(api, scope=scope) for scope in settings.active_scopes()}
        upper = self._upper_bound(settings, api, next(iter(clients.values())))
        ranges: list[tuple[Scope, int]] = []
        no_history: set[Scope] = set()
        for scope, client in clients.items():
            bookmark = read_bookmark(self.get_context_state(partition(scope)))
            lower = lower_bound(
                bookmark=bookmark, start=settings.start, lookback=settings.lookback_seconds
            )
            if lower is None:
                lower = client.find_earliest(upper)
                if lower is None:
                    self.logger.info("No %s audit-log events before %s.", scope, to_rfc3339(upper))
                    no_history.add(scope)
                    continue
            self.logger.info(
                "Reading the %s scope from %s to %s in %d windows of %d s, %d at a time.",
                scope,
                to_rfc3339(lower),
                to_rfc3339(upper),
                count_windows(lower, upper, settings.window_seconds),
                settings.window_seconds,
                settings.max_concurrency,
            )
            ranges.append((scope, lower))
        jobs = (
            Job(scope, window)
            for scope, lower in ranges
            for window in plan_windows(lower, upper, settings.window_seconds)
        )
        reader = read_in_order(
            jobs,
            lambda job: clients[job.scope].window_pages(job.window),
            concurrency=settings.max_concurrency,
        )
        return RunReads(
            run_id=new_run_id(),
            upper=upper,
            jobs=reader,
            filtered={scope: bool(settings.scope_filters(scope)) for scope in clients},
            no_history_before=frozenset(no_history),
        )

    @override
    def finalize_state_progress_markers(self, state: dict[str, Any] | None = None) -> None:
        """The SDK calls this once the stream is read to its end (see `report_replacements`)."""
        super().finalize_state_progress_markers(state)
        self._report_replacements(self)

    def _upper_bound(self, settings: Settings, api: ApiClient, client: AuditLogClient) -> int:
        """The run's exclusive end: `end_date` or now, never later than the API's clock.

        The clock is the `Date` of the run's first answer: a one-event request asks for one
        when no other request has been answered yet.
        """
        local_now = int(time.time())
        if api.first_answer_date is None:
            client.has_events_before(local_now)  # any answer will do: its Date is what counts
        api_now = api.first_answer_date
        if api_now is None:
            self.logger.warning(
                "The API's first answer had no readable Date header; the run ends at the local "
                "clock's time, which the API's own clock may not have reached yet."
            )
        elif api_now < local_now:
            self.logger.info(
                "The API's clock is %d s behind the local clock; the run ends at the API's.",
                local_now - api_now,
            )
        return run_upper_bound(local_now=local_now, end=settings.end, api_now=api_now)

    def _warn_about_extra_keys(self, extra: dict[str, Any]) -> None:
        """One warning per key the run meets at the top level of an event for the first time."""
        if extra.keys() <= self._warned_extra_keys:
            return
        new_keys = sorted(extra.keys() - self._warned_extra_keys)
        self._warned_extra_keys.update(new_keys)
        self.logger.warning(
            "Events carry top-level keys this version does not know: %s. They are "
            "kept whole in the `extra` column.",
            ", ".join(new_keys),
        )

    @override
    def get_record_counter(
        self,
        *,
        endpoint: str | None = None,
        log_interval: float = metrics.DEFAULT_LOG_INTERVAL,
    ) -> metrics.Counter:
        """A `record_count` per scope, tagged with that scope (see `counting.py`)."""
        return PartitionCounter(self.name, endpoint=endpoint, log_interval=log_interval)

    @override
    def get_sync_timer(self) -> metrics.Timer:
        """The SDK's `sync_duration`, not "failed" when `--test` stops the stream as asked."""
        return sync_timer(self.name)

    @override
    def generate_child_contexts(
        self, record: types.Record, context: types.Context | None
    ) -> Iterable[types.Context | None]:
        """None: the stream has no child streams, so each record skips the SDK's child step."""
        return ()

    def _complete(self, scope: Scope, window: Window) -> None:
        """Move the scope's bookmark past a window read to the end, and say so at once.

        Every record of the window, and its ledger row, has been written before this runs:
        the generator resumes only after the SDK has written the record it last yielded.
        """
        if move_bookmark(self.get_context_state(partition(scope)), window.end):
            self._state_writer.write_state(self.tap_state)

    @override
    def _write_record_message(self, record: types.Record) -> None:
        """The SDK's record path, without the two costs that buy nothing here.

        - The SDK walks every nested dict of every record against the catalog's selection
          mask, even when the catalog selects everything, the usual case: the largest single
          cost of a record. Any deselection takes the SDK's own path, unchanged.
        - A `RecordMessage` per record, made by a generator and handed through the tap to its
          writer: the writer's `write_record` writes the same bytes from the record itself.

        Stream maps and flattening apply as in the SDK's path; conformance is off for this
        stream (`TYPE_CONFORMANCE_LEVEL`). `make bench` shows what this is worth, and
        tests/unit/test_sdk_surface.py that both paths write the same lines.
        """
        shortcut = self._record_shortcut()
        writer = self._writer
        if shortcut is _SDK_PATH or writer is None:
            super()._write_record_message(record)
            return
        version, extracted = self._stream_version, self._extracted_at
        if isinstance(shortcut, str):  # no stream map, no flattening: the record as it is
            writer.write_record(shortcut, record, version, extracted)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                writer.write_record(stream_map.stream_alias, mapped, version, extracted)

    def _record_shortcut(self) -> object:
        """How records go out, worked out again only when the SDK builds a new mask.

        `_SDK_PATH` when the catalog deselects anything; the stream's name when its only map is
        the SDK's identity map without flattening; otherwise None (each map transforms).
        """
        mask = self.mask  # rebuilt by the SDK when a catalog is applied
        if mask is not self._checked_mask:
            self._checked_mask = mask
            maps = self.stream_maps
            if not all(mask.values()):
                self._shortcut = _SDK_PATH
            elif (
                len(maps) == 1
                and type(maps[0]) is SameRecordTransform
                and not maps[0].flattening_enabled
            ):
                self._shortcut = maps[0].stream_alias
            else:
                self._shortcut = None
        return self._shortcut

    @override
    def _increment_stream_state(
        self, latest_record: types.Record, *, context: types.Context | None = None
    ) -> None:
        """Do nothing per record: `_complete` moves the bookmark per window."""

    @override
    def get_replication_key_signpost(self, context: types.Context | None = None) -> None:
        """No signpost: it only bounds per-record bookmarks, which this stream does not keep."""
        return

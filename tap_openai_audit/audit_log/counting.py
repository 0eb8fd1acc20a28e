"""The `audit_logs` stream's `record_count` metric: one count per scope, tagged with that scope.

The SDK counts a partitioned stream's records with one counter for all its partitions and
tags it with the partition it saw last, so the count of both scopes came out tagged
`tenant`. This counter logs what it has counted whenever the partition changes, so each
`record_count` line carries the scope of the records it counts.
"""

from __future__ import annotations

from time import time
from typing import TYPE_CHECKING

from singer_sdk import metrics
from typing_extensions import override

if TYPE_CHECKING:
    from singer_sdk.helpers import types

# The SDK's counter reads the clock for every record, to log at most once per interval;
# reading it every this many records logs at the same moments, give or take a few ms.
CLOCK_EVERY = 1000


class PartitionCounter(metrics.Counter):
    """`record_count` of one stream, logged per partition (and per interval, as the SDK's)."""

    def __init__(
        self,
        stream: str,
        *,
        endpoint: str | None = None,
        log_interval: float = metrics.DEFAULT_LOG_INTERVAL,
    ) -> None:
        """Count `stream`'s records; the SDK's `record_counter` tags, interval and logger."""
        tags: dict[str, str] = {metrics.Tag.STREAM: stream}
        if endpoint:
            tags[metrics.Tag.ENDPOINT] = endpoint
        super().__init__(metrics.Metric.RECORD_COUNT, tags, log_interval=log_interval)
        self._uncounted_clock = 0

    @override
    def with_context(self, value: types.Context | None) -> None:
        """Log the previous partition's count under its own tag before counting the next."""
        if metrics.Tag.CONTEXT in self.tags and value != self.context:
            self.exit()
        super().with_context(value)

    @override
    def increment(self, value: int = 1) -> None:
        self.value += value
        self._uncounted_clock += value
        if self._uncounted_clock >= CLOCK_EVERY:
            self._uncounted_clock = 0
            if time() - self.last_log_time > self.log_interval:
                self.exit()

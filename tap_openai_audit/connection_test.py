"""`--test`, the SDK's connection test, told honestly: stopped streams, and the verdict.

The SDK's test (`Tap.run_connection_test`) reads every stream up to its first record and
stops each one that has more by raising an abort from inside the sync. That stop is what the
test asks for, yet the SDK's sync timer logs every such stream's `sync_duration` with
`"status": "failed"`, and the test ends without a word. Here a stream stopped at the record
limit counts as succeeded, and the test ends with one line saying what was read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from singer_sdk import metrics
from singer_sdk.exceptions import (
    AbortedSyncFailedException,
    AbortedSyncPausedException,
    MaxRecordsLimitException,
)
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Collection
    from types import TracebackType


def stopped_at_record_limit(error: BaseException | None) -> bool:
    """Whether `error` is the SDK stopping a stream at a dry run's record limit, as asked."""
    return isinstance(
        error, (AbortedSyncFailedException, AbortedSyncPausedException)
    ) and isinstance(error.__cause__, MaxRecordsLimitException)


class SyncTimer(metrics.Timer):
    """The SDK's `sync_duration` timer; a stream stopped at the record limit succeeded."""

    @override
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if stopped_at_record_limit(exc_val):
            self.tags[metrics.Tag.STATUS] = metrics.Status.SUCCEEDED
        super().__exit__(exc_type, exc_val, exc_tb)


def sync_timer(stream: str) -> metrics.Timer:
    """What `metrics.sync_timer(stream)` gives, as a `SyncTimer`."""
    return SyncTimer(metrics.Metric.SYNC_DURATION, {metrics.Tag.STREAM: stream})


def verdict(tested: int, skipped: Collection[str]) -> str:
    """The test's last line: how many streams answered, and which were skipped for the run."""
    if not skipped:
        return f"Connection test passed: {tested} streams answered."
    return (
        f"Connection test passed: {tested - len(skipped)} of {tested} streams answered; "
        f"skipped for this run (see the warnings above): {', '.join(sorted(skipped))}."
    )

"""When to retry a request, and how long to wait first.

Pure decisions, kept apart from HTTP so that they can be read and tested on their own.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import backoff

# 408 and 409 are what OpenAI's own client retries besides 429 and 5xx.
RETRYABLE_STATUSES = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    """Whether a response with this status is worth another try."""
    return status in RETRYABLE_STATUSES or status >= 500  # noqa: PLR2004 - all server errors


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the tap tries before it gives up on a request.

    The defaults wait at most 31.5 s in all (0.5 + 1 + ... + 16, before jitter), or up to
    6 x 120 s when the server sends `Retry-After`:
    long enough for a rate-limit window or a deploy to pass, short enough that a scheduled run
    does not hang for hours on an outage.
    """

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    # OpenAI's own client stops honouring Retry-After above 120 s; so does the tap.
    retry_after_cap: float = 120.0

    def backoff_delays(self) -> list[float]:
        """The exponential delays before each retry, before jitter."""
        delays = backoff.expo(base=2, factor=self.base_delay, max_value=self.max_delay)
        next(delays)  # the generator's first value primes it and is not a delay
        return [next(delays) for _ in range(self.max_retries)]

    def delay(self, retry_number: int, retry_after: float | None) -> float:
        """Seconds to wait before retry `retry_number` (0-based).

        A server's `Retry-After` wins when given, up to the cap, with a little jitter so that
        concurrent workers do not return in lockstep; otherwise full-jitter exponential backoff.
        """
        if retry_after is not None:
            bounded = min(max(retry_after, 0.0), self.retry_after_cap)
            return bounded + random.uniform(0, min(1.0, bounded * 0.1))  # noqa: S311 - jitter
        return float(backoff.full_jitter(self.backoff_delays()[retry_number]))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header, given as delta-seconds or an HTTP date.

    None when the header is absent or unreadable.
    """
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    current = now or datetime.now(tz=timezone.utc)
    return max(0.0, (moment - current).total_seconds())


class RateGate:
    """A moment before which no worker sends a request.

    A 429 tells the organization, not one connection, to slow down: every worker waits.
    """

    def __init__(self) -> None:
        """Open the gate."""
        self._lock = threading.Lock()
        self._not_before = 0.0

    def hold_for(self, seconds: float) -> None:
        """Keep every worker from sending for `seconds` from now (never shortening a hold)."""
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    def wait(self) -> None:
        """Sleep until the gate opens."""
        while True:
            with self._lock:
                remaining = self._not_before - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(remaining)

from datetime import datetime, timedelta, timezone

import pytest

from tap_openai_audit.retry import RetryPolicy, is_retryable_status, parse_retry_after


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    assert not is_retryable_status(status)


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 2.5 ") == 2.5


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)
    later = now + timedelta(seconds=30)
    header = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(header, now=now) == 30.0


def test_retry_after_in_the_past_or_unreadable() -> None:
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_exponentially_to_a_cap() -> None:
    policy = RetryPolicy(max_retries=8, base_delay=0.5, max_delay=10.0)
    assert policy.backoff_delays() == [0.5, 1, 2, 4, 8, 10.0, 10.0, 10.0]


def test_delay_uses_full_jitter_without_retry_after() -> None:
    policy = RetryPolicy(max_retries=4, base_delay=1.0, max_delay=60.0)
    delays = [policy.delay(3, None) for _ in range(200)]
    assert all(0 <= delay <= 8.0 for delay in delays)
    assert len(set(delays)) > 100  # jittered, not constant


def test_delay_honours_retry_after_up_to_the_cap() -> None:
    policy = RetryPolicy(retry_after_cap=120.0)
    assert 5.0 <= policy.delay(0, 5.0) <= 5.5
    assert 120.0 <= policy.delay(0, 3600.0) <= 121.0

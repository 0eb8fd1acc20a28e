"""The shared HTTP client: what every endpoint's reader relies on, proven against the emulator."""

from __future__ import annotations

import logging
import time

import pytest

from openai_audit_emulator import Emulator, Fault
from tap_openai_audit.client import Advice, ApiClient, parse_http_date
from tap_openai_audit.errors import AccessDenied
from tap_openai_audit.retry import RetryPolicy
from tap_openai_audit.settings import Settings
from tests.tap_runs import base_config

ADVICE = Advice(forbidden="Check the thing.", rerun="Rerun.")
LOGGER = logging.getLogger("test-client")


def _client(emulator: Emulator) -> ApiClient:
    settings = Settings.from_config(base_config(emulator.url))
    return ApiClient(settings, logger=LOGGER, retry=RetryPolicy(base_delay=0.001, max_delay=0.002))


def test_the_first_answer_date_is_kept_even_when_that_answer_is_an_error(
    emulator: Emulator,
) -> None:
    client = _client(emulator)
    unsent = client.first_answer_date
    assert unsent is None  # nothing sent yet
    emulator.inject(Fault.status(503))
    before = int(time.time())
    client.get_json("/organization/audit_logs", [("limit", "1")], advice=ADVICE)
    after = int(time.time())
    first = client.first_answer_date
    assert first is not None
    assert before - 1 <= first <= after
    emulator.inject(Fault.status(500))
    time.sleep(1.1)
    client.get_json("/organization/audit_logs", [("limit", "1")], advice=ADVICE)
    assert client.first_answer_date == first  # the run's first answer, never a later one


def test_a_refusal_names_the_path_and_the_endpoints_own_advice(emulator: Emulator) -> None:
    client = _client(emulator)
    emulator.inject(Fault.status(403, message="Nope."))
    with pytest.raises(AccessDenied) as refused:
        client.get_json("/organization/audit_logs", [("limit", "1")], advice=ADVICE)
    assert "GET /organization/audit_logs answered HTTP 403" in str(refused.value)
    assert str(refused.value).endswith("permission denied (Nope.). Check the thing.")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Mon, 30 Nov 2026 16:37:39 GMT", 1796056659),
        ("Mon, 30 Nov 2026 16:37:39 +0100", 1796053059),
        (None, None),
        ("", None),
        ("yesterday", None),
    ],
)
def test_a_date_header_reads_as_whole_unix_seconds_or_none(
    header: str | None, seconds: int | None
) -> None:
    assert parse_http_date(header) == seconds

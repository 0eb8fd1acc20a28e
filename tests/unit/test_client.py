"""The shared HTTP client: what every endpoint's reader relies on, proven against the emulator."""

from __future__ import annotations

import logging
import time

import pytest
from singer_sdk import metrics

from openai_audit_emulator import Emulator, Fault
from tap_openai_audit.client import Advice, ApiClient, parse_http_date
from tap_openai_audit.errors import AccessDenied, NotFound
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


def test_a_404_before_any_success_points_at_api_url(emulator: Emulator) -> None:
    client = _client(emulator)
    emulator.inject(Fault.status(404, message="No such path."))
    with pytest.raises(NotFound) as refused:
        client.get_json("/organization/audit_logs", [("limit", "1")], advice=ADVICE)
    assert str(refused.value).endswith("Check api_url (it should end in /v1).")


def test_a_404_after_a_success_on_the_same_url_says_the_resource_is_missing(
    emulator: Emulator,
) -> None:
    client = _client(emulator)
    client.get_json("/organization/audit_logs", [("limit", "1")], advice=ADVICE)
    emulator.inject(Fault.status(404, message="No such project."))
    with pytest.raises(NotFound) as refused:
        client.get_json("/organization/audit_logs", [("limit", "1")], advice=ADVICE)
    message = str(refused.value)
    assert "this resource is missing, not the URL" in message
    assert "Check api_url" not in message


def test_every_answer_logs_the_sdks_request_duration_metric(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(emulator)
    emulator.inject(Fault.status(503))
    with caplog.at_level(logging.INFO, logger="singer_sdk.metrics"):
        client.get_json("/organization/audit_logs", [("limit", "1")], advice=ADVICE)
    points = [
        record.args[0].to_dict()
        for record in caplog.records
        if isinstance(record.args, tuple) and isinstance(record.args[0], metrics.Point)
    ]
    assert [(p["metric"], p["tags"]["http_status_code"], p["tags"]["status"]) for p in points] == [
        ("http_request_duration", 503, "failed"),
        ("http_request_duration", 200, "succeeded"),
    ]
    assert all(p["tags"]["endpoint"] == "/organization/audit_logs" for p in points)
    assert all(isinstance(p["value"], float) for p in points)


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

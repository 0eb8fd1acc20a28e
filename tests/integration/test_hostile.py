"""The hostile organization through the tap's command line, and filter values kept out of logs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import pytest
from singer_sdk.sinks.core import JSONSchemaValidator

from openai_audit_emulator import HOSTILE_START, Emulator, hostile_events
from tests.tap_runs import base_config, run_cli

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.tap_runs import TapRun

R = "\ufffd"
WARNING = re.compile(
    r"WARNING .*\| (\d+) values in (\d+) events had U\+0000 or lone surrogates replaced by "
    r"U\+FFFD: (.*)$",
    re.MULTILINE,
)
WINDOW = {"start_date": "2026-10-29T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TapRun, Emulator]]:
    with Emulator(events=hostile_events()) as emulator:
        run = run_cli(tmp_path_factory.mktemp("hostile"), base_config(emulator.url, **WINDOW))
        yield run, emulator


def _records(run: TapRun) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in run.records}


def test_the_emulator_sends_the_hostile_bytes_for_real() -> None:
    with Emulator(events=hostile_events()) as emulator:
        response = emulator.dispatch(
            "GET",
            "/v1/organization/audit_logs?limit=100",
            [("Authorization", f"Bearer {base_config('')['admin_api_key']}")],
            b"",
        )
    assert response.body is not None
    assert b"\\ud800" in response.body
    assert b"\\udfff" in response.body
    assert b"\\u0000" in response.body
    assert len(response.body) > 2_000_000
    assert b'"effective_at":%d.0' % (HOSTILE_START + 60) in response.body


def test_every_hostile_event_lands_valid_and_storable(
    hostile_run: tuple[TapRun, Emulator],
) -> None:
    run, emulator = hostile_run
    assert run.returncode == 0, run.stderr[-2000:]
    records = _records(run)
    assert sorted(records) == sorted(event["id"] for event in emulator.ground_truth())
    schema = next(
        m["schema"] for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == "audit_logs"
    )
    validator = JSONSchemaValidator(schema, validate_formats=True)
    for record in records.values():
        validator.validate(record)
    assert "\\u0000" not in run.stdout
    run.stdout.encode("utf-8")  # strict: no lone surrogate left
    assert run.bookmark == "2026-11-01T00:00:00+00:00"


def test_what_each_hostile_shape_becomes(hostile_run: tuple[TapRun, Emulator]) -> None:
    records = _records(hostile_run[0])
    provider = [records[f"audit_log-hostile-0{n}"]["payload"]["data"]["provider"] for n in (0, 1)]
    assert provider == ["aws-kms", {"type": "aws", "bucket": "audit"}]  # kept as sent
    assert records["audit_log-hostile-01"]["effective_at"] == "2026-10-30T00:01:00+00:00"
    login = records["audit_log-hostile-02"]
    session = login["actor"]["session"]
    assert session["user_agent"] == f"Mozilla/5.0{R} (X11){R} evil/1.0"
    assert session["ip_address_details"]["asn"] == 13335
    assert session["ip_address_details"]["latitude"] == 37.7749
    assert login["payload"]["error_message"] == f"bad{R}password"
    named = records["audit_log-hostile-03"]
    assert named["project"]["name"] == f"Pro{R}ject{R} X"
    assert named["payload"]["data"] == {f"na{R}me": f"{R}title", f"ti{R}tle": "ok", "scopes": "all"}
    nulls = records["audit_log-hostile-04"]
    assert (nulls["actor"], nulls["project"], nulls["payload"]) == (None, None, None)
    empty = records["audit_log-hostile-05"]
    assert (empty["actor"], empty["project"]) == ({}, {})
    deep = records["audit_log-hostile-07"]["payload"]
    levels = 1
    while "child" in deep:
        deep, levels = deep["child"], levels + 1
    assert levels == 64
    assert len(records["audit_log-hostile-08"]["payload"]["data"]["notes"]) > 2_000_000
    unknown = records["audit_log-hostile-09"]
    assert unknown["type"] == "widget.frobnicated"
    assert unknown["payload"] == [1, {"how": "hard"}]
    assert unknown["extra"] == {
        "severity": 3,
        "request": {"id": "req_x", "path": f"/v1/{R}"},
        f"unknown{R}": "key with a surrogate",
    }


def test_one_warning_counts_the_replaced_values_and_names_the_events(
    hostile_run: tuple[TapRun, Emulator],
) -> None:
    run = hostile_run[0]
    warnings = WARNING.findall(run.stderr)
    assert len(warnings) == 1, run.stderr[-3000:]
    values, events, ids = warnings[0]
    # 2 in the failed login, 4 in the named project (2 values, 2 keys), 2 in the unknown type.
    assert (int(values), int(events)) == (8, 3)
    assert sorted(ids.split(", ")) == [
        "audit_log-hostile-02",
        "audit_log-hostile-03",
        "audit_log-hostile-09",
    ]
    assert "evil" not in run.stderr  # never the values
    assert "password" not in run.stderr


def test_a_clean_run_does_not_warn(tmp_path: Path, emulator: Emulator) -> None:
    run = run_cli(tmp_path, base_config(emulator.url, **WINDOW))
    assert run.returncode == 0
    assert run.records
    assert not WARNING.search(run.stderr)


@pytest.mark.parametrize("variable", ["TAP_OPENAI_AUDIT_LOGLEVEL", "LOGLEVEL"])
def test_filter_values_never_reach_the_log_even_at_debug(
    tmp_path: Path, emulator: Emulator, variable: str
) -> None:
    emails = ["barbara@example.com", "o'neil+audit@example.com"]
    config = base_config(emulator.url, actor_emails=emails, **WINDOW)
    run = run_cli(tmp_path, config, env={variable: "DEBUG"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records  # barbara acted in these days: the filter went out and matched
    # The HTTP library's request lines are there, so the check below is not vacuous.
    request_lines = [
        line for line in run.stderr.splitlines() if '"GET /v1/organization/audit_logs' in line
    ]
    assert request_lines
    assert all("actor_emails%5B%5D=[filter]" in line for line in request_lines)
    for email in emails:
        for form in (email, quote(email, safe=""), quote_plus(email), email.split("@")[0]):
            assert form not in run.stderr

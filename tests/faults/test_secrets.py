"""The key never shows; bodies quoted in errors are cut and carry no e-mail or IP address.

Every run in this folder already refuses output holding the Admin key or its masked form
(`run_tap`, `LiveRun`); these tests aim at the places a leak would come from.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator, Fault
from tests.faults.support import (
    DAY,
    END,
    assert_no_key_trace,
    config_for,
    error_lines,
    retries,
    run_tap,
    small_org,
    truth,
)
from tests.tap_runs import run_cli

if TYPE_CHECKING:
    from pathlib import Path

WRONG_KEY = "sk-admin-wrong-key-0123456789-wxyz"
PRIVATE = ("bob@example.com", "203.0.113.9", "2001:db8::7", "carol@corp.example.org")


@pytest.fixture
def emu() -> Emulator:
    return Emulator(small_org())


def test_a_rejected_key_is_not_echoed_whole_or_masked(emu: Emulator, tmp_path: Path) -> None:
    with emu:
        run = run_cli(tmp_path, {**config_for(emu.url), "admin_api_key": WRONG_KEY})
        served = emu.audit_log_requests
    output = run.stdout + run.stderr
    assert run.returncode == 1
    assert served
    assert {request.status for request in served} == {401}
    # The emulator, like the API, echoes the key masked: sk-admin***wxyz.
    assert WRONG_KEY not in output
    assert f"{WRONG_KEY[:8]}***{WRONG_KEY[-4:]}" not in output
    assert "wxyz" not in output
    [*_, error] = error_lines(run.stderr)
    assert "the API key was not accepted (Incorrect API key provided: [key]" in error


def test_an_api_message_is_stripped_of_emails_and_ip_addresses(
    emu: Emulator, tmp_path: Path
) -> None:
    message = (
        f"Invalid actor_emails[]: {PRIVATE[0]} requested from {PRIVATE[1]} and {PRIVATE[2]}; "
        f"contact {PRIVATE[3]}."
    )
    with emu:
        emu.inject(Fault.status(400, message=message))
        run = run_tap(tmp_path, config_for(emu.url))
    assert run.returncode == 1
    for value in PRIVATE:
        assert value not in run.stderr
    [*_, error] = error_lines(run.stderr)
    assert "Invalid actor_emails[]: [email] requested from [ip] and [ip]; contact [email]." in error


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_a_long_api_message_is_cut(status: int, emu: Emulator, tmp_path: Path) -> None:
    message = "start " + "lorem ipsum " * 500 + f"ends with {PRIVATE[0]}"
    with emu:
        emu.inject(Fault.status(status, message=message))
        run = run_tap(tmp_path, config_for(emu.url, days=1))
    assert run.returncode == 1
    [*_, error] = error_lines(run.stderr)
    assert "start lorem ipsum" in error
    assert "more characters cut" in error
    assert len(error) < 1_000
    assert PRIVATE[0] not in run.stderr


def test_a_retried_status_is_logged_without_its_body(emu: Emulator, tmp_path: Path) -> None:
    message = "start " + "lorem ipsum " * 500 + f"ends with {PRIVATE[0]} at {PRIVATE[1]}"
    with emu:
        emu.inject(Fault.status(503, message=message), Fault.status(429, message=message))
        run = run_tap(tmp_path, config_for(emu.url, days=1, max_concurrency=1))
    assert run.returncode == 0, run.stderr
    assert len(retries(run.stderr)) == 2
    assert "lorem" not in run.stderr
    assert all(value not in run.stderr for value in PRIVATE)


def test_an_html_body_is_quoted_short(emu: Emulator, tmp_path: Path) -> None:
    with emu:
        emu.inject(Fault.html())
        run = run_tap(tmp_path, config_for(emu.url, days=1))
    [*_, error] = error_lines(run.stderr)
    assert "<title>502 Bad Gateway</title>" in error
    assert "more characters cut" in error
    assert len(error) < 600


def test_filter_values_stay_out_of_retry_warnings(emu: Emulator, tmp_path: Path) -> None:
    # requests quotes the URL, query and all, in its exceptions: the tap must not repeat them.
    with emu:
        emu.inject(Fault.slow(1.5), Fault.drop())
        config = config_for(
            emu.url, days=1, actor_emails=[PRIVATE[0]], request_timeout=0.5, max_concurrency=1
        )
        run = run_tap(tmp_path, config)
        served = emu.audit_log_requests
    assert run.returncode == 0, run.stderr
    assert all(("actor_emails[]", PRIVATE[0]) in request.query for request in served)
    reasons = [line for line in run.stderr.splitlines() if "retry" in line]
    assert "no answer within request_timeout" in reasons[0]
    assert "connection failed" in reasons[1]
    assert PRIVATE[0] not in run.stderr  # sent with every request, never logged


def test_filter_values_stay_out_of_the_api_refusal_and_the_unknown_type_warning(
    emu: Emulator, tmp_path: Path
) -> None:
    # The emulator refuses an unknown event type with a 400 whose message echoes the value, as
    # OpenAI-shaped errors do; a project id or a type can be as private as an e-mail.
    unknown = "acme_secret_project.renamed"
    with emu:
        config = config_for(
            emu.url, days=1, event_types=["api_key.created", unknown], project_ids=["proj_q9"]
        )
        run = run_tap(tmp_path, config)
        served = emu.audit_log_requests
    assert run.returncode == 1
    assert any(("event_types[]", unknown) in request.query for request in served)
    assert "event_types[1] is not a type this version knows" in run.stderr
    [*_, error] = error_lines(run.stderr)
    assert "HTTP 400" in error
    assert "[filter]" in error
    for value in (unknown, "proj_q9"):
        assert value not in run.stderr


def test_neither_about_discover_nor_state_carries_the_key(emu: Emulator, tmp_path: Path) -> None:
    with emu:
        config = config_for(emu.url, days=1)
        about = [
            run_tap(tmp_path, config, args=("--about", "--format", fmt))
            for fmt in ("json", "markdown")
        ]
        discover = run_tap(tmp_path, config, args=("--discover",))
        sync = run_tap(tmp_path, config)
        expected = truth(emu, gte=END - DAY)
    for run in [*about, discover, sync]:
        assert run.returncode == 0, run.stderr
        assert DEFAULT_ADMIN_KEY[-12:] not in run.stdout + run.stderr
    assert "admin_api_key" in about[0].stdout  # the setting is described, its value is not
    assert set(sync.ids) == expected
    assert sync.states
    assert DEFAULT_ADMIN_KEY not in json.dumps(sync.states)


def test_the_key_from_the_environment_is_not_shown_either(emu: Emulator, tmp_path: Path) -> None:
    with emu:
        config = config_for(emu.url, days=1)
        del config["admin_api_key"]
        env = {"TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY}
        run = run_cli(tmp_path, config, args=("--config", "ENV"), env=env)
        expected = truth(emu, gte=END - DAY)
    assert run.returncode == 0, run.stderr
    assert_no_key_trace(run.stdout + run.stderr)
    assert set(run.ids) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://api.openai.com/v1",
        "http://10.0.0.5:8787/v1",
        "http://[2001:db8::1]/v1",
        "http://localhost.evil.example/v1",
        "http://127.0.0.1.nip.io/v1",
    ],
)
def test_plain_http_to_a_host_other_than_loopback_is_refused(url: str, tmp_path: Path) -> None:
    run = run_tap(tmp_path, {"admin_api_key": DEFAULT_ADMIN_KEY, "api_url": url})
    assert run.returncode == 1
    assert run.messages == []
    [cause] = error_lines(run.stderr)  # one line, naming the setting
    assert "api_url: plain http:// is refused for a host other than loopback" in cause

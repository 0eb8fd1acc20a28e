"""The `openai-audit-emulator` command: starts, serves, stops cleanly, refuses bad options."""

from __future__ import annotations

import json
import re
import signal
import socket

import pytest
import requests

from openai_audit_emulator import HOSTILE_START, hostile_events
from openai_audit_emulator.__main__ import main
from tests.emulator.helpers import emulator_command

# Tests keep the fixed clock; `test_clock.py` runs the command on the default one, now.
FIXED_CLOCK = "--fixed-clock"
LINE = re.compile(r"at (?P<url>http://\S+/v1) admin_api_key=(?P<key>\S+)")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_command_serves_until_signalled_then_exits_zero(stop: signal.Signals) -> None:
    with emulator_command(
        FIXED_CLOCK,
        "--port",
        "0",
        "--events",
        "400",
        "--order",
        "oldest_first",
        "--latency-ms",
        "1",
    ) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = LINE.search(line)
        assert found, line
        assert "serving 400 events" in line
        response = requests.get(
            found["url"] + "/organization/audit_logs",
            params={"limit": 5},
            headers={"Authorization": f"Bearer {found['key']}"},
            timeout=5,
        )
        assert response.status_code == 200
        times = [e["effective_at"] for e in response.json()["data"]]
        assert times == sorted(times)
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--order", "sideways"], "invalid choice"),
        (["--end", "tomorrow"], "expected a UTC time"),
        (["--events", "-3"], "must be >= 0"),
        (["--port", "http"], "expected a number"),
        (["--days", "0"], "--days must cover"),
        (["--end", "2026-11-01T00:00:00Z", "--fixed-clock"], "not allowed with"),
    ],
)
def test_bad_options_exit_2_with_a_clean_message(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(options)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def test_port_in_use_exits_1_with_a_clean_message(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exited:
            main(["--fixed-clock", "--port", str(port), "--events", "10"])
    assert exited.value.code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_hostile_adds_the_hostile_organization_and_sends_its_bytes() -> None:
    with emulator_command(FIXED_CLOCK, "--port", "0", "--events", "100", "--hostile") as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = LINE.search(line)
        assert found, line
        assert f"serving {100 + len(hostile_events())} events" in line
        response = requests.get(
            found["url"] + "/organization/audit_logs",
            params={"limit": "100", "effective_at[gte]": str(HOSTILE_START)},
            headers={"Authorization": f"Bearer {found['key']}"},
            timeout=10,
        )
        assert response.status_code == 200
        assert b"\\ud800" in response.content
        ids = {event["id"] for event in json.loads(response.content)["data"]}
        assert {event["id"] for event in hostile_events()} <= ids
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0

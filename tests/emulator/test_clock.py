"""Where the history ends: now for a user of the command, a fixed end for tests.

Whatever the end, the organization, the attack story and the hostile day are the same events
at the same distances from it: what alerts at the fixed end alerts at any end.
"""

from __future__ import annotations

import calendar
import re
import signal
import time
from collections import Counter
from typing import Any

import requests

from openai_audit_emulator import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_END,
    HOSTILE_START,
    Emulator,
    current_end,
    hostile_events,
    shift_events,
)
from openai_audit_emulator.attack_story import late_story_events
from tests.emulator.helpers import emulator_command

DAY = 86_400
ANY_PORT = ("--port", "0")
LINE = re.compile(r"at (?P<url>http://\S+/v1) admin_api_key=(?P<key>\S+) history_end=(?P<end>\S+)")
_DATE = re.compile(r"_\d{8}$")


def _relative(events: list[dict[str, Any]], end: int) -> Counter[tuple[str, str, float]]:
    """Each event as (id without its date, type, seconds before `end`)."""
    return Counter((_DATE.sub("", e["id"]), e["type"], end - e["effective_at"]) for e in events)


def test_the_end_rounds_down_to_the_minute() -> None:
    assert current_end(DEFAULT_END + 59.9) == DEFAULT_END
    assert current_end(DEFAULT_END + 60) == DEFAULT_END + 60
    before = time.time()
    assert before - 60 < current_end() <= time.time()


def test_shifting_moves_times_and_the_dates_in_ids_only() -> None:
    event = {
        "id": "audit_log-ab12_20261031",
        "type": "login.failed",
        "effective_at": 1.0 * (DEFAULT_END - 5),
        "actor": {"x": 1},
    }
    (moved,) = shift_events([event], 3 * DAY)
    assert moved == {
        **event,
        "id": "audit_log-ab12_20261103",
        "effective_at": DEFAULT_END - 5 + 3 * DAY,
    }
    assert isinstance(moved["effective_at"], float)
    assert event["effective_at"] == DEFAULT_END - 5  # the original is left alone
    assert moved["actor"] is event["actor"]


def test_the_organization_and_its_story_keep_their_timing_at_any_end() -> None:
    end = current_end() - 7 * DAY - 1234 * 60  # any minute: not a whole number of days away
    with Emulator(attack_story=True) as fixed, Emulator(attack_story=True, end=end) as moved:
        at_fixed = fixed.ground_truth()
        at_end = moved.ground_truth()
    assert _relative(at_end, end) == _relative(at_fixed, DEFAULT_END)
    assert max(e["effective_at"] for e in at_end) < end
    assert min(e["effective_at"] for e in at_end) >= end - 30 * DAY
    # The ids carry the moved events' own dates.
    newest = max(at_end, key=lambda e: e["effective_at"])
    if _DATE.search(newest["id"]):
        assert newest["id"].endswith(time.strftime("_%Y%m%d", time.gmtime(newest["effective_at"])))
    (late,) = late_story_events(end)
    (late_fixed,) = late_story_events()
    assert late["id"] == late_fixed["id"]
    assert end - late["effective_at"] == DEFAULT_END - late_fixed["effective_at"]


def test_the_command_serves_a_history_ending_when_it_starts() -> None:
    began = time.time()
    with emulator_command(*ANY_PORT, "--events", "200", "--hostile") as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = LINE.search(line)
        assert found, line
        end = calendar.timegm(time.strptime(found["end"], "%Y-%m-%dT%H:%M:%SZ"))
        assert current_end(began) <= end <= time.time()
        response = requests.get(
            found["url"] + "/organization/audit_logs",
            params={"limit": "100"},  # newest first
            headers={"Authorization": f"Bearer {DEFAULT_ADMIN_KEY}"},
            timeout=10,
        )
        assert response.status_code == 200
        newest = response.json()["data"]
        assert end - DAY < newest[0]["effective_at"] < end
        hostile = [e for e in newest if e["id"].startswith("audit_log-hostile-")]
        assert len(hostile) == len(hostile_events())
        assert min(e["effective_at"] for e in hostile) == end - (DEFAULT_END - HOSTILE_START)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_the_fixed_clock_ends_at_the_fixed_end() -> None:
    with emulator_command(*ANY_PORT, "--events", "50", "--fixed-clock") as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "history_end=2026-11-01T00:00:00Z" in line, line
        found = LINE.search(line)
        assert found, line
        response = requests.get(
            found["url"] + "/organization/audit_logs",
            params={"limit": "1"},
            headers={"Authorization": f"Bearer {DEFAULT_ADMIN_KEY}"},
            timeout=10,
        )
        assert DEFAULT_END - DAY < response.json()["data"][0]["effective_at"] < DEFAULT_END

"""What is sent, and when: once per alert and destination, rises, digests, the backlog."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.notify.support import alert_id_of

if TYPE_CHECKING:
    from tests.notify.conftest import Runs
    from tests.notify.support import Warehouse

pytestmark = pytest.mark.postgres


def test_each_open_alert_at_or_above_min_severity_goes_once_to_each_destination(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    high = warehouse.add("high")
    medium = warehouse.add("medium")
    warehouse.add("low")
    warehouse.add("critical", status="suppressed")
    webhook, form = runs.receiver(), runs.receiver(scheme="form")

    first = runs.send(monkeypatch, webhook.url, form.url)
    again = runs.send(monkeypatch, webhook.url, form.url)

    assert (first.status, again.status) == (0, 0)
    assert webhook.alert_ids == [high, medium]  # most severe first
    assert sorted(form.alert_ids) == sorted([high, medium])
    # The JSON webhook gets the OCSF finding; chat services get text a person reads.
    assert webhook.messages[0].finding["class_uid"] == 2004
    assert webhook.messages[0].title == "[HIGH] Admin key created"
    text = form.messages[0].message
    assert "user-1 created an admin key." in text
    assert "Next steps: Ask user-1 why." in text
    assert "ATT&CK: T1098" in text
    rows = warehouse.deliveries()
    assert len(rows) == 4
    assert {r["state"] for r in rows} == {"sent"}
    assert all(r["attempts"] == 1 and r["sent_at"] and r["last_error"] is None for r in rows)
    assert {(r["alert_id"], r["severity_sent"]) for r in rows} == {
        (high, "high"),
        (medium, "medium"),
    }
    # The log names each destination by scheme and the start of the key the table keeps.
    keys = {r["destination"] for r in rows}
    assert len(keys) == 2
    for key in keys:
        assert any(f"://…#{key[:8]}: sent 2," in line for line in first.lines)
        assert any(f"://…#{key[:8]}: sent 0," in line for line in again.lines)


def test_min_severity_high_leaves_medium_out(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    critical = warehouse.add("critical")
    warehouse.add("medium")
    pager = runs.receiver()

    assert runs.send(monkeypatch, pager.url, min_severity="HIGH").status == 0
    assert pager.alert_ids == [critical]


def test_a_severity_rise_is_sent_once_more_and_a_fall_is_not(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert = warehouse.add("medium")
    webhook = runs.receiver()
    runs.send(monkeypatch, webhook.url)
    warehouse.set_severity(alert, "high")
    runs.send(monkeypatch, webhook.url)
    runs.send(monkeypatch, webhook.url)
    warehouse.set_severity(alert, "medium")
    runs.send(monkeypatch, webhook.url)

    assert webhook.alert_ids == [alert, alert]
    assert webhook.messages[1].title == "[HIGH, was medium] Admin key created"
    (row,) = warehouse.deliveries()
    assert (row["state"], row["severity_sent"], row["attempts"]) == ("sent", "high", 2)


def test_past_max_per_run_one_digest_counts_what_waits_for_later_runs(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    critical = warehouse.add("critical", detection_id="owner_role_granted")
    highs = [warehouse.add("high") for _ in range(3)]
    medium = warehouse.add("medium")
    webhook = runs.receiver()

    first = runs.send(monkeypatch, webhook.url, max_per_run="2")
    *alerts, digest = webhook.messages
    assert [alert_id_of(m, json_body=True) for m in alerts] == [critical, highs[0]]
    counted = json.loads(digest.message)["openai_audit_notify_digest"]
    assert counted["waiting"] == 3
    assert counted["by_detection_and_severity"] == [
        {"detection_id": "admin_key_created", "severity": "high", "count": 2},
        {"detection_id": "admin_key_created", "severity": "medium", "count": 1},
    ]
    assert first.status == 0
    assert any("waiting past max_per_run 3" in line for line in first.lines)

    webhook.messages.clear()
    runs.send(monkeypatch, webhook.url, max_per_run="2")
    runs.send(monkeypatch, webhook.url, max_per_run="2")
    ids = [alert_id_of(m, json_body=True) for m in webhook.messages if "digest" not in m.message]
    assert ids == [highs[1], highs[2], medium]
    assert len(webhook.messages) == 4  # the second run's digest counted the medium one
    assert len(warehouse.deliveries()) == 5


def test_a_destinations_first_run_records_the_backlog_and_sends_only_what_is_recent(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = warehouse.add("critical", hours_ago=48)
    recent = warehouse.add("high", hours_ago=2)
    webhook = runs.receiver()

    done = runs.send(monkeypatch, webhook.url)

    assert webhook.alert_ids == [recent]
    assert any("skipped_backlog 1" in line for line in done.lines)
    states = {r["alert_id"]: r["state"] for r in warehouse.deliveries()}
    assert states == {old: "skipped_backlog", recent: "sent"}
    # Not its first run any more: an alert first seen long ago (late events) is sent.
    late = warehouse.add("high", hours_ago=30)
    runs.send(monkeypatch, webhook.url)
    assert webhook.alert_ids == [recent, late]
    # A destination added later has a first run of its own.
    pager = runs.receiver()
    runs.send(monkeypatch, webhook.url, pager.url, backlog_hours="10")
    assert pager.alert_ids == [recent]


def test_a_dry_run_prints_what_would_go_and_records_nothing(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert = warehouse.add("high")
    warehouse.add("high", hours_ago=100)
    webhook = runs.receiver()

    done = runs.send(monkeypatch, webhook.url, dry_run="true")

    assert done.status == 0
    assert webhook.messages == []
    assert not warehouse.has_deliveries_table()
    assert any(f"would send {alert} high [HIGH] Admin key created" in line for line in done.lines)
    assert any("skipped_backlog 1" in line and "nothing recorded" in line for line in done.lines)

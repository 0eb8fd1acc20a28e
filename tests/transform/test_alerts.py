"""Alerts keep their identity across builds, take late events, and follow the user's tuning.

One copy of the emulator's loaded organization is built four times: as loaded; after events
that arrive late (two inside an existing alert's dedup period, one hours later); with tuning
vars (a suppression, a severity override, a disabled detection); and without them again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from .support import dbt, dbt_environment, drop_schemas, fingerprint, relations

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

PRODUCTION = ("build", "--exclude-resource-type", "unit_test")
ALERT_COLUMNS = "alert_id, detection_id, subject, detected_at, first_seen_at, updated_at"
# single-event detections whose matches group by actor: a copy of one of their events is
# another match of the same detection and subject
SINGLE_EVENT = ("scim_changed", "sso_connection_changed", "admin_api_key_created")
DISABLED = "ip_allowlist_changed"


@dataclass(frozen=True)
class Builds:
    """What each build of the copy left in openai_audit__alerts, by alert id."""

    first: dict[str, dict[str, Any]]
    late: dict[str, dict[str, Any]]
    tuned: dict[str, dict[str, Any]]
    untuned: dict[str, dict[str, Any]]
    fingerprint_late: tuple[Any, ...]
    fingerprint_untuned: tuple[Any, ...]
    target: dict[str, Any]  # the alert the late events joined, as first built
    late_ids: tuple[str, str, str]  # 10 minutes before and after its opening, and 3 hours after
    organization: str
    findings: dict[str, dict[str, Any]]  # after the tuned build


def _alerts(postgres: Connection, schema: str) -> dict[str, dict[str, Any]]:
    cursor = postgres.execute(
        sql.SQL("select * from {}").format(sql.Identifier(schema, "openai_audit__alerts"))
    )
    names = [column.name for column in cursor.description or []]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _pick_target(postgres: Connection, schema: str) -> dict[str, Any]:
    """A one-event alert of a single-event rule with no alert of its subject within 4 hours."""
    query = sql.SQL(
        "select a.* from {alerts} as a where a.detection_id = any(%s) and a.event_count = 1"
        " and a.subject <> 'unknown' and not exists (select 1 from {alerts} as b"
        " where b.detection_id = a.detection_id and b.subject = a.subject"
        " and b.alert_id <> a.alert_id"
        " and b.detected_at between a.detected_at - interval '4 hours'"
        " and a.detected_at + interval '4 hours')"
        " order by a.detected_at, a.alert_id limit 1"
    ).format(alerts=sql.Identifier(schema, "openai_audit__alerts"))
    cursor = postgres.execute(query, (list(SINGLE_EVENT),))
    names = [column.name for column in cursor.description or []]
    row = cursor.fetchone()
    assert row is not None, "the emulator's organization raised no single-event alert to extend"
    return dict(zip(names, row, strict=True))


def _land_late_copies(
    postgres: Connection, source: str, event_id: str, shifts: dict[str, timedelta]
) -> None:
    """Copies of event `event_id` under new ids, moved by `shifts`, loaded now."""
    raw = sql.Identifier(source, "audit_logs")
    for new_id, shift in shifts.items():
        postgres.execute("drop table if exists late_copy")
        postgres.execute(
            sql.SQL("create temp table late_copy as select * from {} where id = %s").format(raw),
            (event_id,),
        )
        postgres.execute(
            "update late_copy set id = %s, effective_at = effective_at + %s,"
            " _sdc_batched_at = now() at time zone 'UTC'",
            (new_id, shift),
        )
        postgres.execute(sql.SQL("insert into {} select * from late_copy").format(raw))


@pytest.fixture(scope="module")
def builds(
    warehouse: Warehouse, postgres: Connection, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Builds]:
    source = f"alerts_{uuid.uuid4().hex[:12]}"
    models = f"{source}_models"
    try:
        postgres.execute(sql.SQL("create schema {}").format(sql.Identifier(source)))
        for table in relations(postgres, warehouse.source_schema):
            postgres.execute(
                sql.SQL("create table {} as select * from {}").format(
                    sql.Identifier(source, table), sql.Identifier(warehouse.source_schema, table)
                )
            )
        env = dbt_environment(
            warehouse.database, source, models, tmp_path_factory.mktemp("dbt-alerts")
        )
        dbt(warehouse.dbt_bin, env, *PRODUCTION)
        first = _alerts(postgres, models)
        target = _pick_target(postgres, models)
        late_ids = ("audit_log-late-before", "audit_log-late-after", "audit_log-late-later")
        _land_late_copies(
            postgres,
            source,
            target["event_ids"][0],
            {
                late_ids[0]: timedelta(minutes=-10),
                late_ids[1]: timedelta(minutes=10),
                late_ids[2]: timedelta(hours=3),
            },
        )
        dbt(warehouse.dbt_bin, env, *PRODUCTION)
        late = _alerts(postgres, models)
        fingerprint_late = fingerprint(postgres, models)["openai_audit__alerts"]
        tuning = {
            "openai_audit_suppressions": [
                {
                    "reason": "change ticket 42",
                    "detection_id": target["detection_id"],
                    "subject": target["subject"],
                }
            ],
            "openai_audit_detections": {
                target["detection_id"]: {"severity": "low"},
                DISABLED: {"enabled": False},
            },
        }
        dbt(warehouse.dbt_bin, env, *PRODUCTION, "--vars", json.dumps(tuning))
        tuned = _alerts(postgres, models)
        cursor = postgres.execute(
            sql.SQL("select alert_id, ocsf from {}").format(
                sql.Identifier(models, "openai_audit__ocsf_findings")
            )
        )
        findings = {str(alert_id): record for alert_id, record in cursor.fetchall()}
        dbt(warehouse.dbt_bin, env, *PRODUCTION)
        yield Builds(
            first=first,
            late=late,
            tuned=tuned,
            untuned=_alerts(postgres, models),
            fingerprint_late=fingerprint_late,
            fingerprint_untuned=fingerprint(postgres, models)["openai_audit__alerts"],
            target=target,
            late_ids=late_ids,
            organization=str(target["organization"]),
            findings=findings,
        )
    finally:
        drop_schemas(postgres, source, models)


def _md5(*parts: str) -> str:
    return hashlib.md5(":".join(parts).encode(), usedforsecurity=False).hexdigest()


def test_late_events_never_rekey_move_or_delete_an_alert(builds: Builds) -> None:
    assert set(builds.first) <= set(builds.late)
    for alert_id, alert in builds.first.items():
        after = builds.late[alert_id]
        assert after["detected_at"] == alert["detected_at"], alert_id
        assert after["first_seen_at"] == alert["first_seen_at"], alert_id
        assert set(alert["event_ids"]) <= set(after["event_ids"]), alert_id


def test_late_events_join_the_alert_whose_period_holds_them(builds: Builds) -> None:
    target = builds.target
    joined = builds.late[target["alert_id"]]
    before, after, _ = builds.late_ids
    assert joined["event_ids"] == [before, *target["event_ids"], after]
    assert joined["event_count"] == 3
    assert joined["detected_at"] == target["detected_at"]  # not re-opened at the earlier event
    assert joined["updated_at"] > target["updated_at"]
    assert joined["last_event_at"] == target["detected_at"] + timedelta(minutes=10)
    assert target["alert_id"] == _md5(
        builds.organization, target["detection_id"], target["subject"], target["event_ids"][0]
    )


def test_a_late_event_past_the_period_opens_its_own_alert(builds: Builds) -> None:
    target = builds.target
    later = builds.late_ids[2]
    opened = builds.late[
        _md5(builds.organization, target["detection_id"], target["subject"], later)
    ]
    assert opened["event_ids"] == [later]
    assert opened["detected_at"] == target["detected_at"] + timedelta(hours=3)
    # nothing else opened but what the late events belong to
    for alert_id in set(builds.late) - set(builds.first):
        assert set(builds.late_ids) & set(builds.late[alert_id]["event_ids"]), alert_id


def test_tuning_changes_status_and_severity_never_an_id(builds: Builds) -> None:
    target = builds.target
    tuned = builds.tuned[target["alert_id"]]
    assert (tuned["status"], tuned["suppression_reason"]) == ("suppressed", "change ticket 42")
    assert tuned["severity"] == "low"
    assert {alert["detection_id"] for alert in builds.late.values()} >= {DISABLED}
    assert DISABLED not in {alert["detection_id"] for alert in builds.tuned.values()}
    kept = {a for a, alert in builds.late.items() if alert["detection_id"] != DISABLED}
    assert set(builds.tuned) == kept
    for alert_id in kept:
        for column in ("detected_at", "first_seen_at", "event_ids"):
            assert builds.tuned[alert_id][column] == builds.late[alert_id][column]
    others = [
        alert
        for alert in builds.tuned.values()
        if alert["subject"] != target["subject"] or alert["detection_id"] != target["detection_id"]
    ]
    assert all(alert["status"] == "open" for alert in others)
    finding = builds.findings[target["alert_id"]]
    assert (finding["status_id"], finding["severity_id"]) == (3, 2)


def test_lifting_the_tuning_gives_back_the_same_alerts(builds: Builds) -> None:
    """The rule lifted reopens the alert; the detection enabled again is grouped afresh."""
    assert builds.fingerprint_untuned == builds.fingerprint_late
    assert builds.untuned[builds.target["alert_id"]]["status"] == "open"


def test_alert_columns_come_from_the_events_and_the_catalog(builds: Builds) -> None:
    for alert in builds.late.values():
        assert alert["event_count"] == len(alert["event_ids"]) > 0
        assert alert["title"]
        assert alert["next_steps"]
        assert alert["summary"]
        assert alert["mitre_attack"], alert["detection_id"]
        assert alert["first_seen_at"] <= alert["updated_at"]
        assert alert["detected_at"] <= alert["last_event_at"]
        for column in ("src_ips", "countries", "user_agents", "project_ids", "object_ids"):
            values: list[str] = alert[column]
            assert values == sorted(set(values)), (column, values)
    travel = [a for a in builds.late.values() if a["detection_id"] == "login_impossible_travel"]
    assert travel, "the emulator plants impossible travel"
    for alert in travel:
        assert all(ip in alert["summary"] for ip in alert["src_ips"]), alert["summary"]
        assert " km " in alert["summary"], alert["summary"]
        assert "km/h" in alert["summary"], alert["summary"]


def test_finding_activity_says_whether_a_later_build_added_events(builds: Builds) -> None:
    joined = builds.findings[builds.target["alert_id"]]
    assert joined["activity_id"] == 2
    assert joined["finding_info"]["modified_time"] > joined["finding_info"]["created_time"]
    assert joined["time"] == joined["finding_info"]["modified_time"]
    assert [event["uid"] for event in joined["finding_info"]["related_events"]] == (
        builds.tuned[builds.target["alert_id"]]["event_ids"]
    )

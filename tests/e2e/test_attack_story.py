"""The emulator's attack story through the whole chain, judged against its labels.

`meltano run tap-openai-audit target-postgres dbt-postgres:build` against
`Emulator(attack_story=True)`, then a second `dbt-postgres:build` over the same tables, then
the story's late event is listed (`emu.add_events(late_story_events())`) and the reconcile
extractor loads it before a third build. The labels (`attack_story_labels()`, data the SQL
never reads) say which alert each planted pattern must raise, which near misses must raise
nothing, how many alerts each grouping case makes, which alert the late event joins, and what
each access-review check must find.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from openai_audit_emulator.attack_story import attack_story_labels, late_story_events
from tests.services import meltano

from .support import meltano_environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

Connection = psycopg.Connection[tuple[Any, ...]]
Row = dict[str, Any]
LABELS = attack_story_labels()
DETECTIONS = {entry["detection_id"]: entry for entry in LABELS["detections"]}
CHECKS = {entry["check_id"]: entry for entry in LABELS["access_review"]}
GROUPING = {entry["case"]: entry for entry in LABELS["grouping"]}


@dataclass
class Built:
    """What the chain left: the served events' times, and the models after each build."""

    effective_at: dict[str, int]
    alerts: list[Row]
    review: list[Row]
    rebuilt_alerts: list[Row]
    rebuilt_review: list[Row]
    late_alerts: list[Row]  # after the late event was listed, loaded and built


def _model_schema(postgres: Connection, schema: str, model: str) -> str:
    """The schema dbt built `model` in: the target schema or a custom one starting with it."""
    rows = postgres.execute(
        "select table_schema from information_schema.tables"
        " where table_name = %s and table_schema like %s",
        (model, schema.replace("_", r"\_") + r"\_%"),
    ).fetchall()
    assert len(rows) == 1, f"{model} built in {len(rows)} schemas: {rows}"
    return str(rows[0][0])


def _rows(postgres: Connection, schema: str, model: str) -> list[Row]:
    """Every row of a model as a dict, in a fixed order (to compare two builds whole)."""
    table = sql.Identifier(_model_schema(postgres, schema, model), model)
    found = postgres.execute(sql.SQL("select to_jsonb(t) from {} as t").format(table)).fetchall()
    return sorted((row[0] for row in found), key=lambda row: json.dumps(row, sort_keys=True))


@pytest.fixture(scope="module")
def built(
    meltano_bin: Path,
    meltano_sys_dir: Path,
    postgres: Connection,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Built]:
    schema = f"story_{uuid.uuid4().hex[:12]}"
    scratch = tmp_path_factory.mktemp("meltano")
    env = meltano_environment(meltano_sys_dir, scratch, schema)
    # dbt's compiled files and logs stay this test's own: other dbt runs may share transform/.
    env |= {"DBT_TARGET_PATH": str(scratch / "target"), "DBT_LOG_PATH": str(scratch / "logs")}
    with Emulator(attack_story=True) as emu:
        env |= {
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
        }
        try:
            command = ("tap-openai-audit", "target-postgres", "dbt-postgres:build")
            meltano(meltano_bin, env, "run", "--install", *command)
            alerts = _rows(postgres, schema, "openai_audit__alerts")
            review = _rows(postgres, schema, "openai_audit__access_review")
            # The rebuild is judged on its rows; the package's tests ran in the first build.
            rebuild = {**env, "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test test"}
            meltano(meltano_bin, rebuild, "run", "dbt-postgres:build")
            rebuilt_alerts = _rows(postgres, schema, "openai_audit__alerts")
            rebuilt_review = _rows(postgres, schema, "openai_audit__access_review")
            # The API lists an event weeks late: the daily reconcile run (its own state, a
            # 30-day lookback, so on its first run the whole history) loads it, then a build.
            emu.add_events(late_story_events())
            late = ("tap-openai-audit-reconcile", "target-postgres", "dbt-postgres:build")
            meltano(meltano_bin, rebuild, "run", "--install", *late)
            served = emu.ground_truth() + emu.ground_truth(tenant_only=True)
            yield Built(
                effective_at={event["id"]: event["effective_at"] for event in served},
                alerts=alerts,
                review=review,
                rebuilt_alerts=rebuilt_alerts,
                rebuilt_review=rebuilt_review,
                late_alerts=_rows(postgres, schema, "openai_audit__alerts"),
            )
        finally:
            schemas = postgres.execute(
                "select nspname from pg_namespace where nspname = %s or nspname like %s",
                (schema, schema.replace("_", r"\_") + r"\_%"),
            ).fetchall()
            for (name,) in schemas:
                postgres.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name))
                )


def _moment(seconds: int) -> str:
    """An effective_at as the JSON rendering of a timestamptz shows it in UTC."""
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def _same_moment(value: str, seconds: int) -> bool:
    return datetime.fromisoformat(value) == datetime.fromtimestamp(seconds, timezone.utc)


def _problems(label: dict[str, Any], alert: Row, built: Built) -> list[str]:
    """How an alert differs from a planted label (nothing: it matches)."""
    found = []
    missing = set(label["events"]) - set(alert["event_ids"] or [])
    if missing:
        found.append(f"event_ids lack {sorted(missing)}")
    extra = set(label.get("not_events", [])) & set(alert["event_ids"] or [])
    if extra:
        found.append(f"event_ids hold {sorted(extra)}")
    opened = built.effective_at[label["opened_by"]]
    if not _same_moment(alert["detected_at"], opened):
        found.append(
            f"detected_at {alert['detected_at']}, not {_moment(opened)} ({label['opened_by']})"
        )
    found.extend(
        f"{column} {alert[column]!r}, not {label[column]!r}"
        for column in ("severity", "subject", "actor")
        if column in label and alert[column] != label[column]
    )
    return found


@pytest.mark.parametrize("detection_id", sorted(DETECTIONS))
def test_every_planted_pattern_raises_its_alert(built: Built, detection_id: str) -> None:
    alerts = [a for a in built.alerts if a["detection_id"] == detection_id]
    failures = []
    for label in DETECTIONS[detection_id]["alerts"]:
        near = [a for a in alerts if set(label["events"]) & set(a["event_ids"] or [])]
        if not near:
            failures.append(f"{label['pattern']}: no alert names any of its events")
            continue
        problems = sorted((_problems(label, alert, built) for alert in near), key=len)
        if problems[0]:
            failures.append(f"{label['pattern']}: " + "; ".join(problems[0]))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("detection_id", sorted(DETECTIONS))
def test_no_near_miss_raises_the_alert(built: Built, detection_id: str) -> None:
    alerts = [a for a in built.alerts if a["detection_id"] == detection_id]
    failures = []
    for miss in DETECTIONS[detection_id]["near_misses"]:
        for alert in alerts:
            named = set(miss["events"]) & set(alert["event_ids"] or [])
            if named or ("subject" in miss and alert["subject"] == miss["subject"]):
                failures.append(f"{miss['why']}: raised {alert['alert_id']} ({sorted(named)})")
    assert not failures, "\n".join(failures)


def _grouped(alerts: list[Row], case: dict[str, Any]) -> list[Row]:
    """The alerts of the case's detection that name any of its events."""
    return [
        alert
        for alert in alerts
        if alert["detection_id"] == case["detection_id"]
        and set(case["events"]) & set(alert["event_ids"] or [])
    ]


@pytest.mark.parametrize("case", sorted(set(GROUPING) - {"late_event"}))
def test_each_grouping_case_makes_its_number_of_alerts(built: Built, case: str) -> None:
    label = GROUPING[case]
    found = _grouped(built.alerts, label)
    assert len(found) == label["alerts"], [
        (a["alert_id"], a["detected_at"], a["event_count"]) for a in found
    ]


def test_a_late_event_joins_its_alert_and_no_alert_changes_its_identity(built: Built) -> None:
    label = GROUPING["late_event"]
    before = {alert["alert_id"]: alert for alert in built.alerts}
    after = {alert["alert_id"]: alert for alert in built.late_alerts}
    assert set(before) <= set(after), "a later build deleted or re-keyed an alert"
    for alert_id, alert in before.items():
        for column in ("detection_id", "subject", "detected_at", "first_seen_at"):
            assert after[alert_id][column] == alert[column], (alert_id, column)
    grouped = _grouped(built.late_alerts, label)
    assert len(grouped) == label["alerts"]
    opened = built.effective_at[label["joins"]]
    (joined,) = [a for a in grouped if _same_moment(a["detected_at"], opened)]
    assert joined["alert_id"] in before
    assert set(label["late_events"]) <= set(joined["event_ids"])


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_access_review_finds_the_planted_cases_only(built: Built, check_id: str) -> None:
    rows = [row for row in built.review if row["check_id"] == check_id]
    found = {row["subject_id"] for row in rows}
    label = CHECKS[check_id]
    missing = [f["why"] for f in label["findings"] if f["subject_id"] not in found]
    wrong = [m["why"] for m in label["near_misses"] if m["subject_id"] in found]
    assert not missing, f"not found: {missing}"
    assert not wrong, f"found though a near miss: {wrong}"
    planted = {f["subject_id"] for f in label["findings"]}
    assert {row["severity"] for row in rows if row["subject_id"] in planted} == {label["severity"]}


def test_alert_ids_are_unique(built: Built) -> None:
    ids = [alert["alert_id"] for alert in built.alerts]
    assert len(ids) == len(set(ids))


def test_a_second_build_changes_nothing(built: Built) -> None:
    assert built.rebuilt_alerts == built.alerts
    assert built.rebuilt_review == built.review

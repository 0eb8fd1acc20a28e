"""Every OCSF record of the emulator's organization validates against its OCSF 1.8.0 class."""

from __future__ import annotations

import csv
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft202012Validator
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema
from psycopg import sql

from .support import TRANSFORM

if TYPE_CHECKING:
    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

# The classes the type map uses, by the names ocsf-json-schema knows them by.
CLASSES = {
    3001: "account_change",
    3002: "authentication",
    3004: "entity_management",
    3005: "user_access",
    3006: "group_management",
    6001: "web_resources_activity",
    6003: "api_activity",
}
UNKNOWN_TYPE = "widget.frobnicated"  # hostile event 09: a type the reference does not list


def _type_map() -> dict[str, tuple[int, int]]:
    with (TRANSFORM / "seeds" / "openai_audit_ocsf_type_map.csv").open(encoding="utf-8") as file:
        return {
            row["type"]: (int(row["class_uid"]), int(row["activity_id"]))
            for row in csv.DictReader(file)
        }


def _documented_types() -> list[str]:
    text = resources.files("tap_openai_audit").joinpath("data/audit_log_event_types.json")
    types: list[str] = json.loads(text.read_text(encoding="utf-8"))["event_types"]
    return types


# The profiles a class's records declare: Web Resources Activity carries its actor through
# `host`, and validated without the profile the actor would be an unexpected attribute.
PROFILES = {6001: ["host"]}


@pytest.fixture(scope="module")
def validators() -> dict[int, Draft202012Validator]:
    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version="1.8.0"))
    return {
        uid: Draft202012Validator(schema.get_class_schema(name, profiles=PROFILES.get(uid, [])))
        for uid, name in CLASSES.items()
    }


@pytest.fixture(scope="module")
def finding_validators() -> dict[bool, Draft202012Validator]:
    """Detection Finding, by whether the record declares the host profile."""
    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version="1.8.0"))
    return {
        declared: Draft202012Validator(
            schema.get_class_schema("detection_finding", profiles=["host"] if declared else [])
        )
        for declared in (True, False)
    }


@pytest.fixture(scope="module")
def findings(warehouse: Warehouse, postgres: Connection) -> dict[str, Any]:
    query = sql.SQL("select alert_id, time, ocsf from {}").format(
        sql.Identifier(warehouse.model_schema, "openai_audit__ocsf_findings")
    )
    return {str(alert_id): (time, record) for alert_id, time, record in postgres.execute(query)}


@pytest.fixture(scope="module")
def alerts(warehouse: Warehouse, postgres: Connection) -> dict[str, dict[str, Any]]:
    cursor = postgres.execute(
        sql.SQL("select * from {}").format(
            sql.Identifier(warehouse.model_schema, "openai_audit__alerts")
        )
    )
    names = [column.name for column in cursor.description or []]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


@pytest.fixture(scope="module")
def records(warehouse: Warehouse, postgres: Connection) -> list[tuple[str, str, int, int, Any]]:
    query = sql.SQL("select id, type, class_uid, activity_id, ocsf from {}.{}").format(
        sql.Identifier(warehouse.model_schema), sql.Identifier("openai_audit__ocsf_events")
    )
    return [tuple(row) for row in postgres.execute(query).fetchall()]


def test_the_seed_maps_each_documented_type_once_to_a_class_and_activity_it_has(
    validators: dict[int, Draft202012Validator],
) -> None:
    type_map = _type_map()
    assert sorted(type_map) == sorted(_documented_types())
    assert len(type_map) == 149
    for event_type, (class_uid, activity_id) in type_map.items():
        activities = validators[class_uid].schema["properties"]["activity_id"]["enum"]
        assert activity_id in activities, (event_type, class_uid, activity_id)


def test_every_event_becomes_one_record(
    warehouse: Warehouse, postgres: Connection, records: list[tuple[str, str, int, int, Any]]
) -> None:
    query = sql.SQL("select count(*) from {}.audit_logs").format(
        sql.Identifier(warehouse.source_schema)
    )
    row = postgres.execute(query).fetchone()
    assert row is not None
    assert len(records) == row[0] == len({record[0] for record in records})


def test_every_record_validates_against_its_class(
    records: list[tuple[str, str, int, int, Any]], validators: dict[int, Draft202012Validator]
) -> None:
    invalid = [
        f"{event_id} ({event_type}, {class_uid}): {error.message[:200]}"
        for event_id, event_type, class_uid, _, record in records
        for error in validators[class_uid].iter_errors(record)
    ]
    assert not invalid, "\n".join(invalid[:10])


def test_every_documented_type_takes_its_class_and_an_unknown_one_falls_back(
    records: list[tuple[str, str, int, int, Any]],
) -> None:
    type_map = _type_map()
    seen = {
        (event_type, class_uid, activity_id) for _, event_type, class_uid, activity_id, _ in records
    }
    assert {event_type for event_type, _, _ in seen} >= set(type_map)  # the emulator sends all 149
    for event_type, class_uid, activity_id in seen:
        assert (class_uid, activity_id) == type_map.get(event_type, (6003, 99)), event_type
    assert (UNKNOWN_TYPE, 6003, 99) in seen


def test_no_attribute_is_null_outside_the_openai_values(
    records: list[tuple[str, str, int, int, Any]],
) -> None:
    def nulls(value: Any, path: str) -> list[str]:
        if value is None:
            return [path]
        if isinstance(value, dict):
            return [p for key, item in value.items() for p in nulls(item, f"{path}.{key}")]
        if isinstance(value, list):
            return [p for index, item in enumerate(value) for p in nulls(item, f"{path}[{index}]")]
        return []

    found = [
        f"{event_id}: {path}"
        for event_id, _, _, _, record in records
        for path in nulls({k: v for k, v in record.items() if k != "unmapped"}, "$")
    ]
    assert not found, found[:10]


def test_the_openai_values_are_kept_under_unmapped(
    records: list[tuple[str, str, int, int, Any]],
) -> None:
    by_id = {record[0]: record[4] for record in records}
    unknown = by_id["audit_log-hostile-09"]["unmapped"]
    assert unknown["scope"] == "organization"
    assert isinstance(unknown["payload"], list)
    assert "severity" in unknown["extra"]
    assert all(record["metadata"]["version"] == "1.8.0" for record in by_id.values())


def test_web_resources_records_carry_their_actor_through_the_host_profile(
    records: list[tuple[str, str, int, int, Any]],
) -> None:
    web = [record for _, _, class_uid, _, record in records if class_uid == 6001]
    assert web
    assert all(record["metadata"].get("profiles") == ["host"] for record in web)
    assert all("actor" in record for record in web)


def test_entity_records_carry_the_payload_id(warehouse: Warehouse, postgres: Connection) -> None:
    query = sql.SQL(
        "select count(*), count(*) filter (where o.ocsf #>> '{{entity,uid}}' is distinct from"
        " s.payload ->> 'id') from {} as o join {} as s using (id)"
        " where o.class_uid = 3004 and jsonb_typeof(s.payload -> 'id') = 'string'"
    ).format(
        sql.Identifier(warehouse.model_schema, "openai_audit__ocsf_events"),
        sql.Identifier(warehouse.model_schema, "stg_openai_audit__events"),
    )
    row = postgres.execute(query).fetchone()
    assert row is not None
    entities, without_uid = row
    assert entities > 0
    assert without_uid == 0


def test_every_alert_becomes_one_valid_detection_finding(
    findings: dict[str, Any],
    alerts: dict[str, dict[str, Any]],
    finding_validators: dict[bool, Draft202012Validator],
) -> None:
    assert alerts
    assert set(findings) == set(alerts)
    invalid = [
        f"{alert_id}: {error.message[:200]}"
        for alert_id, (_, record) in findings.items()
        for error in finding_validators[
            "host" in record["metadata"].get("profiles", [])
        ].iter_errors(record)
    ]
    assert not invalid, "\n".join(invalid[:10])


def test_a_finding_says_what_its_alert_says(
    findings: dict[str, Any], alerts: dict[str, dict[str, Any]]
) -> None:
    severity_ids = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
    for alert_id, (time, record) in findings.items():
        alert = alerts[alert_id]
        info = record["finding_info"]
        assert (record["class_uid"], record["type_uid"] // 100, record["is_alert"]) == (
            2004,
            2004,
            True,
        )
        assert info["uid"] == alert_id
        assert info["analytic"]["uid"] == alert["detection_id"]
        assert info["analytic"]["type_id"] == 1
        assert info["title"] == alert["title"]
        assert record["severity_id"] == severity_ids[alert["severity"]]
        assert record["status_id"] == (1 if alert["status"] == "open" else 3)
        assert time == record["time"] == info["modified_time"]
        assert info["first_seen_time"] == int(alert["detected_at"].timestamp() * 1000)
        assert info["last_seen_time"] == int(alert["last_event_at"].timestamp() * 1000)
        assert info["created_time"] == int(alert["first_seen_at"].timestamp() * 1000)
        assert record["activity_id"] == (2 if alert["updated_at"] > alert["first_seen_at"] else 1)
        techniques = {
            attack.get("sub_technique", attack.get("technique"))["uid"]
            for attack in info["attacks"]
        }
        assert techniques == set(alert["mitre_attack"])
        assert all(attack["tactic"]["uid"].startswith("TA") for attack in info["attacks"])
        if alert["event_count"] <= 100:
            assert [event["uid"] for event in info["related_events"]] == alert["event_ids"]
        else:
            assert info["related_events_count"] == alert["event_count"]
            assert "related_events" not in info
        ips = [e["src_endpoint"]["ip"] for e in record.get("evidences", []) if "src_endpoint" in e]
        assert set(ips) <= set(alert["src_ips"])
        assert ("actor" in record) == ("host" in record["metadata"].get("profiles", []))

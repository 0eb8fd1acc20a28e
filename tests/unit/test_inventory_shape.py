"""Shaping inventory objects: typed columns where the value fits, everything else in `extra`."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from singer_sdk.sinks.core import JSONSchemaValidator

from tap_openai_audit.inventory.endpoints import BY_STREAM, ENDPOINTS, Kind
from tap_openai_audit.inventory.schema import id_columns, snapshot_schema
from tap_openai_audit.inventory.shape import ExtraTally, shape


def _shape(stream: str, item: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    endpoint = BY_STREAM[stream]
    return shape(item, endpoint.fields, frozenset(id_columns(endpoint)))


# What the tap writes for a date-time: RFC 3339 in UTC, microseconds when there are any.
_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00")


def _valid(stream: str, record: dict[str, Any]) -> None:
    """As the SDK's targets check records (target-postgres' default), and date-times too.

    The SDK checks `format` only when a format library is installed, so date-times are
    checked here by hand.
    """
    endpoint = BY_STREAM[stream]
    JSONSchemaValidator(snapshot_schema(endpoint)).validate(record)
    for name, kind in endpoint.fields.items():
        if kind is Kind.UNIXTIME and record.get(name) is not None:
            assert _UTC.fullmatch(record[name]), (name, record[name])


USER = {
    "object": "organization.user",
    "id": "user_1",
    "name": "Ada",
    "email": "ada@example.com",
    "role": "owner",
    "added_at": 1_700_000_000,
    "is_default": True,
    "user": {"object": "user", "id": "user_1", "banned_at": 1_700_000_000},
}


def test_a_documented_object_fills_typed_columns_and_extra_is_null() -> None:
    record, undeclared, misfits = _shape("users", dict(USER))
    assert record == {
        **USER,
        "added_at": "2023-11-14T22:13:20+00:00",
        # Nested objects are kept as sent, their timestamps too.
        "extra": None,
    }
    assert (undeclared, misfits) == ([], [])
    _valid("users", record)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("a new string", "a new string"),
        ({"nested": {"deep": [1, "two", None]}}, {"nested": {"deep": [1, "two", None]}}),
        (12.5, 12.5),
        (7, 7),
        (None, None),
        ([], []),
    ],
)
def test_an_undeclared_key_goes_to_extra_as_sent(value: object, kept: object) -> None:
    record, undeclared, misfits = _shape("users", {**USER, "brand_new_field": value})
    assert "brand_new_field" not in record
    assert record["extra"] == {"brand_new_field": kept}
    assert (undeclared, misfits) == (["brand_new_field"], [])
    _valid("users", record)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", 12345),  # a documented string sent as a number
        ("name", {"first": "Ada"}),
        ("added_at", "yesterday"),  # a timestamp sent as a string that is not RFC 3339
        ("added_at", "2026-13-01T00:00:00Z"),  # RFC 3339 in shape, no such month
        ("added_at", "2026-01-10"),  # a date without a time
        ("added_at", "2026-01-10T10:00:00"),  # no offset: which zone is unknown
        ("added_at", 1_700_000_000.5),  # not a whole second
        ("added_at", True),
        ("added_at", 10**13),  # past year 9999
        ("is_default", "true"),  # a boolean sent as a string
        ("is_default", 1),
    ],
)
def test_a_value_that_does_not_fit_goes_to_extra_and_its_column_is_null(
    field: str, value: object
) -> None:
    record, undeclared, misfits = _shape("users", {**USER, field: value})
    assert record[field] is None
    assert record["extra"] == {field: value}
    assert (undeclared, misfits) == ([], [field])
    _valid("users", record)


@pytest.mark.parametrize(
    ("value", "column"),
    [
        (1_700_000_000, "2023-11-14T22:13:20+00:00"),
        (1_700_000_000.0, "2023-11-14T22:13:20+00:00"),  # an integral float
        (0, "1970-01-01T00:00:00+00:00"),
        (-86_400, "1969-12-31T00:00:00+00:00"),
        ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20+00:00"),
        ("2023-11-14t22:13:20z", "2023-11-14T22:13:20+00:00"),
        ("2023-11-15T00:13:20.5+02:00", "2023-11-14T22:13:20.500000+00:00"),
        ("2023-11-14T17:13:20.123456789-05:00", "2023-11-14T22:13:20.123456+00:00"),
    ],
)
def test_a_unixtime_fits_as_whole_seconds_or_rfc3339_and_lands_in_utc(
    value: object, column: str
) -> None:
    record, _, misfits = _shape("invites", {"id": "inv_1", "created_at": value})
    assert record["created_at"] == column
    assert misfits == []
    assert record["extra"] is None
    _valid("invites", record)


@pytest.mark.parametrize(
    ("value", "column"),
    [(60, 60), (60.0, 60), (-1, -1), (2**63 - 1, 2**63 - 1)],
)
def test_an_integer_fits_when_whole_and_within_bigint(value: object, column: int) -> None:
    record, _, misfits = _shape(
        "project_rate_limits",
        {"project_id": "p", "id": "rl", "max_requests_per_1_minute": value},
    )
    assert record["max_requests_per_1_minute"] == column
    assert isinstance(record["max_requests_per_1_minute"], int)
    assert misfits == []


@pytest.mark.parametrize("value", [60.5, "60", 2**63, False, math.inf])
def test_an_integer_that_does_not_fit_goes_to_extra(value: object) -> None:
    record, _, misfits = _shape(
        "project_rate_limits",
        {"project_id": "p", "id": "rl", "max_requests_per_1_minute": value},
    )
    assert record["max_requests_per_1_minute"] is None
    assert record["extra"] == {"max_requests_per_1_minute": value}
    assert misfits == ["max_requests_per_1_minute"]


def test_nested_objects_and_arrays_take_any_json() -> None:
    for value in ({"type": "user"}, [1, 2], "a string", 3, False):
        record, _, misfits = _shape(
            "project_api_keys", {"project_id": "p", "id": "k", "owner": value}
        )
        assert record["owner"] == value
        assert misfits == []
        _valid("project_api_keys", record)


def test_null_fits_every_column() -> None:
    item = {"id": "user_1", **dict.fromkeys(BY_STREAM["users"].fields)}
    record, undeclared, misfits = _shape("users", item)
    assert all(record[field] is None for field in BY_STREAM["users"].fields)
    assert (record["extra"], undeclared, misfits) == (None, [], [])
    _valid("users", record)


def test_a_key_named_extra_goes_into_extra_under_that_name() -> None:
    record, undeclared, _ = _shape("users", {**USER, "extra": {"a": 1}, "other": "x"})
    assert record["extra"] == {"extra": {"a": 1}, "other": "x"}
    assert undeclared == ["extra", "other"]
    _valid("users", record)


def test_ids_and_parent_ids_stay_as_they_are() -> None:
    item = {"project_id": "p1", "user_id": "u1", "id": "role_1", "name": "Owner"}
    record, _, _ = _shape("project_user_roles", item)
    assert {key: record[key] for key in ("project_id", "user_id", "id")} == {
        "project_id": "p1",
        "user_id": "u1",
        "id": "role_1",
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.stream)
def test_every_stream_declares_ids_required_fields_typed_and_nullable_and_extra(
    endpoint: Any,
) -> None:
    schema = snapshot_schema(endpoint)
    ids = id_columns(endpoint)
    assert schema["required"] == list(ids)
    assert list(schema["properties"]) == [*ids, *endpoint.fields, "extra"]
    for key in ids:
        assert schema["properties"][key] == {"type": "string"}
    for name, kind in endpoint.fields.items():
        types = schema["properties"][name]["type"]
        assert "null" in types, name
        expected = {
            Kind.STRING: "string",
            Kind.INTEGER: "integer",
            Kind.BOOLEAN: "boolean",
            Kind.UNIXTIME: "string",
            Kind.JSON: "object",
        }[kind]
        assert expected in types
        assert (schema["properties"][name].get("format") == "date-time") == (kind is Kind.UNIXTIME)
    assert schema["properties"]["extra"]["type"] == ["object", "null"]


def test_the_warning_names_keys_and_counts_never_values() -> None:
    tally = ExtraTally()
    for _ in range(3):
        _, undeclared, misfits = _shape("users", {**USER, "email": 42, "brand_new": "secret"})
        tally.add(undeclared, misfits)
    _, undeclared, misfits = _shape("users", {**USER, "shoe.size@corp.example.com": "x"})
    tally.add(undeclared, misfits)
    warning = tally.warning("users")
    assert warning is not None
    assert warning.startswith("users: kept in the `extra` column, as sent:")
    assert "'brand_new' (3 records)" in warning
    assert "'email' (3 records)" in warning
    assert "secret" not in warning
    assert "42" not in warning
    assert "corp.example.com" not in warning  # a key that looks personal is masked
    assert ExtraTally().warning("users") is None

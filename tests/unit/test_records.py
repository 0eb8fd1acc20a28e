import pytest

from tap_openai_audit.audit_log.records import check_event, make_storable, to_record
from tap_openai_audit.errors import UnusableEvent


def test_payload_is_the_key_named_like_the_type_kept_whole() -> None:
    event = {
        "id": "audit_log-1",
        "type": "api_key.created",
        "effective_at": 1_720_000_000,
        "actor": {"type": "api_key", "api_key": {"id": "key_1", "type": "user"}},
        "api_key.created": {"id": "key_2", "data": {"scopes": ["a", "b"]}, "new_field": 1},
    }
    record = to_record(event)
    assert record == {
        "id": "audit_log-1",
        "type": "api_key.created",
        "effective_at": "2024-07-03T09:46:40+00:00",
        "actor": {"type": "api_key", "api_key": {"id": "key_1", "type": "user"}},
        "project": None,
        "payload": {"id": "key_2", "data": {"scopes": ["a", "b"]}, "new_field": 1},
        "extra": None,
    }


def test_an_unknown_type_and_unknown_top_level_keys_are_kept() -> None:
    event = {
        "id": "audit_log-2",
        "type": "widget.frobnicated",
        "effective_at": 0,
        "widget.frobnicated": {"id": "w1", "how": "hard"},
        "details": {"id": "x"},
        "object": "organization.audit_log",
    }
    record = to_record(event)
    assert record["payload"] == {"id": "w1", "how": "hard"}
    assert record["extra"] == {"details": {"id": "x"}, "object": "organization.audit_log"}
    assert record["effective_at"] == "1970-01-01T00:00:00+00:00"


def test_an_integral_float_effective_at_is_read_as_that_second() -> None:
    event = check_event(
        {"id": "audit_log-3", "type": "x.y", "effective_at": 1_764_547_200.0}, "req_1"
    )
    assert event["effective_at"] == 1_764_547_200
    assert type(event["effective_at"]) is int
    assert to_record(event)["effective_at"] == "2025-12-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"id": "audit_log-4", "type": "x.y", "effective_at": 1.5}, "event audit_log-4"),
        ({"id": "audit_log-4", "type": "x.y", "effective_at": "1764547200"}, "event audit_log-4"),
        ({"id": "audit_log-4", "type": "x.y", "effective_at": True}, "event audit_log-4"),
        ({"id": "audit_log-4", "type": "x.y", "effective_at": None}, "event audit_log-4"),
        ({"id": "audit_log-4", "type": "x.y"}, "event audit_log-4"),
        ({"id": "audit_log-4", "type": "x.y", "effective_at": 10**20}, "event audit_log-4"),
        ({"id": "audit_log-4", "type": "x.y", "effective_at": 1e300}, "event audit_log-4"),
        ({"id": "audit_log-4", "type": 7, "effective_at": 0}, "event audit_log-4"),
        ({"id": 42, "type": "x.y", "effective_at": 0}, "id 42"),
        ({"type": "x.y", "effective_at": 0}, "id None"),
        (["not", "an", "object"], "not a JSON object"),
    ],
)
def test_a_wrong_id_type_or_effective_at_is_a_clear_error_naming_both_ids(
    event: object, named: str
) -> None:
    with pytest.raises(UnusableEvent) as caught:
        check_event(event, "req_abc123")
    message = str(caught.value)
    assert named in message
    assert "request id req_abc123" in message
    assert "\n" not in message


def test_replacing_reports_each_changed_event_by_its_replaced_id() -> None:
    events = [
        {"id": "clean", "type": "x", "effective_at": 0, "x": {"a": "b"}},
        {"id": "a\x00", "type": "x", "effective_at": 0, "actor": {"k\ud800": ["\x00", "ok"]}},
    ]
    assert make_storable(events) == [("a\ufffd", 3)]
    assert events[1]["actor"] == {"k\ufffd": ["\ufffd", "ok"]}

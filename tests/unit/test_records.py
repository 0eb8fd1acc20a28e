from tap_openai_audit.records import to_record


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

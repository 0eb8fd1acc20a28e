"""Reading the incoming state: the partition shape, 0.1.0's stream-level bookmark, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tap_openai_audit.audit_log.state import move_bookmark, read_bookmark, upgrade_state
from tap_openai_audit.errors import UnreadableStateError

V1 = {"replication_key": "effective_at", "replication_key_value": "2026-10-20T00:00:00+00:00"}


def _partition(scope: str, value: str) -> dict[str, Any]:
    return {
        "context": {"scope": scope},
        "replication_key": "effective_at",
        "replication_key_value": value,
    }


def test_a_010_bookmark_continues_as_the_organization_partition() -> None:
    state = upgrade_state({"bookmarks": {"audit_logs": dict(V1)}}, legacy_scope="organization")
    assert state == {
        "bookmarks": {
            "audit_logs": {"partitions": [_partition("organization", V1["replication_key_value"])]}
        }
    }


def test_a_010_tenant_extractors_bookmark_continues_as_the_tenant_partition() -> None:
    state = upgrade_state({"bookmarks": {"audit_logs": dict(V1)}}, legacy_scope="tenant")
    [entry] = state["bookmarks"]["audit_logs"]["partitions"]
    assert entry["context"] == {"scope": "tenant"}


def test_a_partitions_own_bookmark_wins_and_the_stream_level_keys_are_dropped() -> None:
    own = _partition("organization", "2026-10-25T00:00:00+00:00")
    state = upgrade_state(
        {"bookmarks": {"audit_logs": {**V1, "partitions": [own]}, "other": {"x": 1}}},
        legacy_scope="organization",
    )
    assert state["bookmarks"]["audit_logs"] == {"partitions": [own]}
    assert state["bookmarks"]["other"] == {"x": 1}  # other streams' state is left alone


@pytest.mark.parametrize(
    "state",
    [
        [],
        {"bookmarks": []},
        {"bookmarks": {"audit_logs": "2026-10-20"}},
        {"bookmarks": {"audit_logs": {"replication_key_value": "yesterday"}}},
        {"bookmarks": {"audit_logs": {"replication_key_value": 1_790_000_000}}},
        {"bookmarks": {"audit_logs": {"replication_key_value": "2026-10-20"}}},
        {"bookmarks": {"audit_logs": {"replication_key_value": "2026-13-40T00:00:00Z"}}},
        {"bookmarks": {"audit_logs": {**V1, "replication_key": "id"}}},
        {"bookmarks": {"audit_logs": {"partitions": {"scope": "tenant"}}}},
        {
            "bookmarks": {
                "audit_logs": {"partitions": [_partition("project", "2026-10-20T00:00:00Z")]}
            }
        },
        {"bookmarks": {"audit_logs": {"partitions": [_partition("tenant", "soon")]}}},
        {
            "bookmarks": {
                "audit_logs": {
                    "partitions": [
                        _partition("tenant", "2026-10-20T00:00:00Z"),
                        _partition("tenant", "2026-10-21T00:00:00Z"),
                    ]
                }
            }
        },
    ],
)
def test_an_unreadable_state_is_one_line_saying_how_to_fix_it(state: Any) -> None:
    with pytest.raises(UnreadableStateError) as caught:
        upgrade_state(state, legacy_scope="organization")
    message = str(caught.value)
    assert "\n" not in message
    assert "meltano state clear" in message


def test_the_bookmark_only_moves_forward() -> None:
    entry: dict[str, Any] = {"context": {"scope": "tenant"}}
    assert read_bookmark(entry) is None
    assert move_bookmark(entry, 2000)
    assert not move_bookmark(entry, 1000)  # a lookback window
    assert read_bookmark(entry) == 2000
    assert entry["replication_key_value"] == "1970-01-01T00:33:20+00:00"

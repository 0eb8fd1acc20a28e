"""The access-inventory snapshots (docs/sql.md), against the emulator's organization."""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from openai_audit_emulator import Emulator, Fault
from tap_openai_audit.inventory.endpoints import ENDPOINTS
from tap_openai_audit.tap import STREAM_ORDER
from tap_openai_audit.timeutil import to_rfc3339
from tests.tap_runs import TapRun, base_config, catalog_selecting, run_cli, run_in_process

if TYPE_CHECKING:
    from pathlib import Path

INVENTORY = [endpoint.stream for endpoint in ENDPOINTS]
# No audit-log windows: these tests are about the inventory.
AUDIT_OFF = {"start_date": "2026-10-31T23:00:00Z", "end_date": "2026-11-01T00:00:00Z"}


def _config(emu: Emulator, **settings: Any) -> dict[str, Any]:
    return base_config(emu.url, **{**AUDIT_OFF, **settings})


def _records(run: TapRun, stream: str) -> list[dict[str, Any]]:
    return [m["record"] for m in run.messages if m["type"] == "RECORD" and m["stream"] == stream]


def _truth(emu: Emulator, stream: str) -> list[dict[str, Any]]:
    """What the stream must hold: every listed object, with the parent ids from its URL."""
    endpoint = next(e for e in ENDPOINTS if e.stream == stream)
    rows = []
    archived = {p["id"] for p in emu.inventory.items("projects") or [] if p["status"] == "archived"}
    for parents, items in emu.inventory.lists[stream].items():
        if endpoint.parent.active_projects_only and parents[0] in archived:
            continue
        if stream == "project_user_roles" and parents[0] in archived:
            continue  # its members are not listed, so they cannot be asked for
        rows += [
            {**item, **dict(zip(endpoint.parent.fields, parents, strict=True))} for item in items
        ]
    return rows


def _key(record: dict[str, Any], stream: str) -> tuple[str, ...]:
    endpoint = next(e for e in ENDPOINTS if e.stream == stream)
    return tuple(record[key] for key in endpoint.primary_keys)


def test_every_stream_holds_exactly_the_organizations_objects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Emulator(hostile_inventory=True) as emulator:
        run = run_in_process(_config(emulator))
    _check_every_stream(emulator, run)
    # Kept whole: unknown and retyped fields arrive as sent in `extra`, their columns null;
    # U+0000 and lone surrogates do not arrive.
    users = {user["id"]: user for user in _records(run, "users")}
    sent = {user["id"]: user for user in emulator.inventory.items("users") or []}
    retyped = next(u for u in sent.values() if isinstance(u.get("technical_level"), dict))
    assert users[retyped["id"]]["technical_level"] is None
    assert users[retyped["id"]]["extra"] == {"technical_level": retyped["technical_level"]}
    assert users[retyped["id"]]["created"] == "2026-01-02T02:04:05+00:00"  # RFC 3339 fits
    first, second = list(users.values())[:2]
    assert first["extra"] == {"brand_new_field": None}
    wrong = ("developer_persona", "api_key_last_used_at", "is_scim_managed")
    assert second["extra"] == {
        key: sent[second["id"]][key]
        for key in (*wrong, "brand_new_text", "brand_new_object", "brand_new_number", "extra")
    }
    assert [second[key] for key in wrong] == [None, None, None]
    # An integral float where the reference has integer seconds fits.
    assert first["added_at"] == to_rfc3339(int(sent[first["id"]]["added_at"]))
    (replaced,) = [u for u in users.values() if u["name"] == "Donald\ufffd Knuth \ufffd"]
    # One warning per stream that sent keys to `extra`, in the order the streams are read.
    extra_warnings = [
        r.getMessage() for r in caplog.records if "kept in the `extra` column" in r.getMessage()
    ]
    assert [w.split(":")[0] for w in extra_warnings] == [
        "users",
        "project_api_keys",
        "project_rate_limits",
    ]
    # The run's one warning, in the contract's words, for the audit log and inventory alike.
    # Each record holding the hostile user has exactly one replaced string (its name).
    holding = [
        m
        for m in run.messages
        if m["type"] == "RECORD" and "\ufffd" in json.dumps(m["record"], ensure_ascii=False)
    ]
    assert len(holding) > 1  # the user, and the memberships that name them
    warnings = [r.getMessage() for r in caplog.records if "replaced by U+FFFD" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        f"{len(holding)} values in {len(holding)} events had U+0000 or lone surrogates "
        f"replaced by U+FFFD: {replaced['id']}, "
    )


def _check_every_stream(emulator: Emulator, run: TapRun) -> None:
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    for stream in INVENTORY:
        records = _records(run, stream)
        truth = _truth(emulator, stream)
        assert truth, (
            f"{stream}: the default organization must have rows for the test to prove anything"
        )
        keys = [_key(record, stream) for record in records]
        assert len(keys) == len(set(keys)), f"{stream}: a primary key appears twice"
        assert sorted(keys) == sorted(_key(row, stream) for row in truth), stream
        for record in records:
            jsonschema.validate(record, schemas[stream])


def test_every_request_asks_for_the_largest_page_and_the_full_lists(emulator: Emulator) -> None:
    run_in_process(_config(emulator))
    limits = {"groups": "1000", "roles": "1000", "admin_api_keys": "100", "users": "100"}
    sent = {r.path: dict(r.query) for r in emulator.requests}
    for tail, limit in limits.items():
        assert sent[f"/v1/organization/{tail}"]["limit"] == limit
    assert sent["/v1/organization/projects"]["include_archived"] == "true"
    key_lists = [dict(r.query) for r in emulator.requests if r.path.endswith("/api_keys")]
    assert key_lists
    assert all(q["owner_project_access"] == "any" for q in key_lists)


def test_archived_projects_users_are_not_asked_for_and_the_log_says_so_once(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    run_in_process(_config(emulator))
    archived = [
        p["id"] for p in emulator.inventory.items("projects") or [] if p["status"] == "archived"
    ]
    assert archived
    paths = [r.path for r in emulator.requests]
    for project in archived:
        assert f"/v1/organization/projects/{project}/users" not in paths
        assert f"/v1/organization/projects/{project}/service_accounts" not in paths
        for child in ("api_keys", "certificates", "rate_limits", "groups"):
            assert f"/v1/organization/projects/{project}/{child}" in paths
        assert f"/v1/projects/{project}/roles" in paths
    assert caplog.text.count("archived project(s): their users and service accounts") == 1
    assert all(r.status == 200 for r in emulator.requests)


def test_each_parent_list_is_read_once_per_run(emulator: Emulator) -> None:
    run_in_process(_config(emulator))
    paths = Counter(r.path for r in emulator.requests if not r.path.endswith("/audit_logs"))
    for top in ("users", "projects", "groups"):
        assert paths[f"/v1/organization/{top}"] == 1
    assert max(paths.values()) == 1


def test_a_child_stream_works_with_its_parents_deselected(emulator: Emulator) -> None:
    catalog = catalog_selecting(_config(emulator), {"project_user_roles"})
    run = run_in_process(_config(emulator), catalog=catalog)
    streams = {m["stream"] for m in run.messages if m["type"] == "RECORD"}
    assert streams == {"project_user_roles"}
    assert sorted(
        _key(r, "project_user_roles") for r in _records(run, "project_user_roles")
    ) == sorted(_key(r, "project_user_roles") for r in _truth(emulator, "project_user_roles"))


def test_one_activate_version_per_stream_after_its_last_record_with_growing_versions(
    emulator: Emulator,
) -> None:
    first = run_in_process(_config(emulator))
    second = run_in_process(_config(emulator))
    for run in (first, second):
        messages = run.messages
        for stream in INVENTORY:
            positions = [i for i, m in enumerate(messages) if m.get("stream") == stream]
            kinds = [messages[i]["type"] for i in positions]
            assert kinds.count("ACTIVATE_VERSION") == 1, stream
            assert kinds[-1] == "ACTIVATE_VERSION", (
                f"{stream}: the message must follow every record"
            )
            activated = messages[positions[-1]]["version"]
            assert {
                messages[i]["version"] for i in positions if messages[i]["type"] == "RECORD"
            } == {activated}
    assert _version(second) > _version(first)
    # Streams run parents first: a child's snapshot ends after all of its parents'.
    activated = [m["stream"] for m in first.messages if m["type"] == "ACTIVATE_VERSION"]
    assert activated == [name for name in STREAM_ORDER if name in INVENTORY]


def _version(run: TapRun) -> int:
    version: int = next(m["version"] for m in run.messages if m["type"] == "ACTIVATE_VERSION")
    return version


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        # 401 fails the run wherever it comes; a 403 here would skip the stream instead
        # (tests/integration/test_inventory_refusals.py).
        (Fault.status(401, message="Incorrect API key provided"), "API key was not accepted"),
        (Fault.repeat_cursor(), "stopping rather than reading objects twice"),
        (Fault.empty_page_has_more(), "has_more=true with an empty page"),
        (Fault.truncated_json(), "body that is not JSON"),
        (Fault.missing_data(), "without the list envelope's `data` array"),
        (Fault.status(400, message="Project is archived."), "Project is archived."),
    ],
    ids=["401", "repeated cursor", "empty page", "truncated", "no data", "400"],
)
def test_a_snapshot_that_fails_part_way_activates_nothing_from_that_stream_on(
    emulator: Emulator, tmp_path: Path, fault: Fault, says: str
) -> None:
    # The inventory alone (its requests are counted here): users, invites, projects and the
    # first project's users go through; the fault hits the second project's users.
    config = _config(emulator, max_concurrency=1)
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_selecting(config, set(INVENTORY))))
    emulator.inject(*([Fault.slow(0)] * 4), fault)
    run = run_cli(tmp_path, config, args=("--catalog", str(catalog)))
    assert run.returncode != 0
    error = [line for line in run.stderr.splitlines() if says in line]
    assert error, run.stderr[-2000:]
    activated = [m["stream"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"]
    assert activated == ["users", "invites", "projects"]
    assert _records(run, "project_users"), "rows of the failed snapshot were sent..."
    # ...and target-postgres marks nothing deleted without its ACTIVATE_VERSION.


def test_with_flattening_every_record_fits_the_flattened_schema() -> None:
    # `flattening_enabled` is a declared capability: the SDK writes nested objects and arrays
    # (and `extra`) as JSON text into string columns, and leaves typed columns as they are.
    with Emulator(hostile_inventory=True) as emulator:
        run = run_in_process(_config(emulator, flattening_enabled=True, flattening_max_depth=3))
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    assert schemas["project_api_keys"]["properties"]["owner"]["type"] == ["string", "null"]
    assert schemas["project_api_keys"]["properties"]["created_at"]["format"] == "date-time"
    records = [m for m in run.messages if m["type"] == "RECORD" and m["stream"] in INVENTORY]
    assert {m["stream"] for m in records} == set(INVENTORY)
    for message in records:
        jsonschema.validate(message["record"], schemas[message["stream"]])
    keys = _records(run, "project_api_keys")
    assert any(json.loads(key["extra"] or "{}") == {"scopes": ["api.model.read"]} for key in keys)

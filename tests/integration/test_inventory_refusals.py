"""Inventory lists the organization does not have (403, 404): the run goes on without them."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from openai_audit_emulator import Emulator, Fault
from tap_openai_audit.inventory.endpoints import ENDPOINTS
from tap_openai_audit.tap import STREAM_ORDER
from tests.tap_runs import TapRun, base_config, catalog_selecting, run_cli, run_in_process

if TYPE_CHECKING:
    from pathlib import Path

INVENTORY = [endpoint.stream for endpoint in ENDPOINTS]
AUDIT_OFF = {"start_date": "2026-10-31T23:00:00Z", "end_date": "2026-11-01T00:00:00Z"}
# Which streams go when one list is refused: the list's own, and those read with its ids.
NEEDS = {
    "groups": {"groups", "group_users", "group_roles"},
    "projects": {
        "projects",
        "project_users",
        "project_service_accounts",
        "project_api_keys",
        "project_certificates",
        "project_rate_limits",
        "project_groups",
        "project_roles",
        "project_user_roles",
        "project_group_roles",
    },
    "roles": {"roles"},
    "certificates": {"certificates"},
    "users": {"users", "user_roles"},
    "project_users": {"project_users", "project_user_roles"},
    "project_groups": {"project_groups", "project_group_roles"},
    "group_roles": {"group_roles"},
    "project_certificates": {"project_certificates"},
}


def _config(emu: Emulator, **settings: Any) -> dict[str, Any]:
    return base_config(emu.url, **{**AUDIT_OFF, **settings})


def _records(run: TapRun, stream: str) -> list[dict[str, Any]]:
    return [m["record"] for m in run.messages if m["type"] == "RECORD" and m["stream"] == stream]


def _activated(run: TapRun) -> list[str]:
    return [m["stream"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"]


def _skip_warnings(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    found: dict[str, str] = {}
    for record in caplog.records:
        message = record.getMessage()
        if record.levelno == logging.WARNING and "skipped for this run" in message:
            stream = message.split(":", 1)[0]
            assert stream not in found, f"two warnings for {stream}"
            found[stream] = message
    return found


def _count(emu: Emulator, stream: str) -> int:
    return emu.inventory.count(stream)


@pytest.mark.parametrize(
    ("refused", "status"),
    [
        ("groups", 403),
        ("groups", 404),
        ("projects", 404),
        ("roles", 403),
        ("certificates", 404),
        ("users", 403),
        # Child lists: a 403 on every parent's list.
        ("project_users", 403),
        ("project_groups", 403),
        ("group_roles", 403),
        ("project_certificates", 403),
    ],
)
def test_a_refused_list_skips_its_stream_and_those_that_need_its_ids(
    caplog: pytest.LogCaptureFixture, refused: str, status: int
) -> None:
    with Emulator() as emu:
        emu.inventory.refuse(refused, status)
        run = run_in_process(_config(emu))
    skipped = NEEDS[refused]
    warnings = _skip_warnings(caplog)
    assert set(warnings) == skipped
    for stream, warning in warnings.items():
        assert f"HTTP {status}" in warning
        assert f"'!{stream}.*'" in warning
        if stream != refused:
            assert f"read with the ids of {refused}" in warning
    # No ACTIVATE_VERSION for a skipped stream; every other one completes and gets its own.
    completed = [name for name in STREAM_ORDER if name in INVENTORY and name not in skipped]
    assert _activated(run) == completed
    for stream in skipped:
        assert _records(run, stream) == [], stream
    for stream in ("invites", "admin_api_keys"):
        assert len(_records(run, stream)) == _count(emu, stream)


def test_a_child_list_refused_for_one_parent_with_403_skips_the_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Emulator() as emu:
        groups = [g["id"] for g in emu.inventory.items("groups") or []]
        emu.inventory.refuse("group_users", 403, groups[-1])
        run = run_in_process(_config(emu, max_concurrency=1))
    assert set(_skip_warnings(caplog)) == {"group_users"}
    # The other groups' members were sent before the refusal, without ACTIVATE_VERSION: a
    # target upserts them and marks nothing deleted.
    assert _records(run, "group_users")
    assert "group_users" not in _activated(run)
    assert "group_roles" in _activated(run)


def test_a_404_on_one_parents_child_list_means_that_parent_is_gone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with Emulator() as emu:
        project = next(p["id"] for p in emu.inventory.items("projects") or [])
        emu.inventory.refuse("project_api_keys", 404, project)
        run = run_in_process(_config(emu))
        others = [
            key["id"]
            for parents, keys in emu.inventory.lists["project_api_keys"].items()
            if parents != (project,)
            for key in keys
        ]
    assert _skip_warnings(caplog) == {}
    keys = _records(run, "project_api_keys")
    assert sorted(key["id"] for key in keys) == sorted(others)
    assert all(key["project_id"] != project for key in keys)
    # The snapshot is complete without that project's keys.
    assert _activated(run) == [name for name in STREAM_ORDER if name in INVENTORY]
    gone = [r.getMessage() for r in caplog.records if "went away during this run" in r.getMessage()]
    expected = (
        f"project_api_keys: the project {project} went away during this run (its list answered "
        "HTTP 404): it has no rows in this snapshot."
    )
    assert gone == [expected]


def test_a_child_list_that_answers_404_for_every_parent_is_a_missing_list(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Every project gone at once is not what happened: the list is missing. Activating an
    # empty snapshot would mark every row of project_roles deleted.
    with Emulator() as emu:
        emu.inventory.refuse("project_roles", 404)
        projects = len(emu.inventory.items("projects") or [])
        run = run_in_process(_config(emu))
    assert projects > 1
    warnings = _skip_warnings(caplog)
    assert set(warnings) == {"project_roles"}
    assert "HTTP 404" in warnings["project_roles"]
    assert "project_roles" not in _activated(run)
    assert "project_user_roles" in _activated(run)


def test_a_refused_parent_that_is_deselected_still_skips_its_children(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Emulator() as emu:
        emu.inventory.refuse("groups", 403)
        config = _config(emu)
        run = run_in_process(config, catalog=catalog_selecting(config, {"group_users", "roles"}))
        # The refused list is asked once, not once per stream that needs it.
        asked = [r.path for r in emu.requests if r.path.endswith("/organization/groups")]
    assert set(_skip_warnings(caplog)) == {"group_users"}
    assert _activated(run) == ["roles"]
    assert len(asked) == 1


def test_through_the_cli_the_run_exits_zero_with_one_line_per_skipped_stream(
    tmp_path: Path,
) -> None:
    with Emulator() as emu:
        emu.inventory.refuse("groups", 403)
        emu.inventory.refuse("certificates", 404)
        config = _config(emu)
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps(catalog_selecting(config, set(INVENTORY))))
        run = run_cli(tmp_path, config, args=("--catalog", str(catalog)))
    assert run.returncode == 0, run.stderr[-2000:]
    lines = [line for line in run.stderr.splitlines() if "skipped for this run" in line]
    assert len(lines) == 4
    assert all("WARNING" in line for line in lines)
    assert "Traceback" not in run.stderr
    skipped = {"groups", "group_users", "group_roles", "certificates"}
    assert _activated(run) == [s for s in STREAM_ORDER if s in INVENTORY and s not in skipped]


@pytest.mark.parametrize(("status", "says"), [(403, "permission denied"), (404, "not found")])
def test_a_403_or_404_on_the_audit_log_still_fails_the_run(
    tmp_path: Path, status: int, says: str
) -> None:
    with Emulator() as emu:
        emu.inject(Fault.status(status, message="refused"))
        config = base_config(
            emu.url, start_date="2026-10-30T00:00:00Z", end_date="2026-11-01T00:00:00Z"
        )
        run = run_cli(tmp_path, config)
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if f"HTTP {status}" in line]
    assert lines, run.stderr[-2000:]
    assert says in lines[-1]
    assert "/organization/audit_logs" in lines[-1]
    assert "Traceback" not in run.stderr
    assert not [m for m in run.messages if m["type"] == "RECORD" and m["stream"] in INVENTORY]


def test_a_401_on_an_inventory_list_still_fails_the_run(tmp_path: Path) -> None:
    with Emulator() as emu:
        config = _config(emu)
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps(catalog_selecting(config, {"groups", "roles"})))
        emu.inject(Fault.status(401, message="Incorrect API key provided"))
        run = run_cli(tmp_path, config, args=("--catalog", str(catalog)))
    assert run.returncode != 0
    assert "the API key was not accepted" in run.stderr
    assert "skipped for this run" not in run.stderr
    assert _activated(run) == []

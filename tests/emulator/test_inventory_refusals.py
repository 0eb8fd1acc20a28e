"""The emulator's inventory switches: lists that answer 403 or 404, and hostile objects."""

from __future__ import annotations

import re

import pytest
import requests

from openai_audit_emulator import Emulator
from openai_audit_emulator.__main__ import main
from tests.emulator.helpers import emulator_command, get

LINE = re.compile(r"at (?P<url>http://\S+/v1) admin_api_key=(?P<key>\S+)")


def test_a_refused_list_answers_its_status_for_every_parent_until_cleared() -> None:
    with Emulator() as emu:
        emu.inventory.refuse("groups", 403)
        emu.inventory.refuse("project_roles", 404)
        refused = get(emu, {"limit": 10}, path="/organization/groups")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "insufficient_permissions"
        projects = [p["id"] for p in emu.inventory.items("projects") or []]
        for project in projects:
            assert get(emu, path=f"/projects/{project}/roles").status_code == 404
        assert get(emu, path="/organization/users").status_code == 200
        emu.inventory.refuse("groups", None)
        assert get(emu, path="/organization/groups").status_code == 200


def test_one_parents_list_can_answer_404_alone() -> None:
    with Emulator() as emu:
        first, second = [p["id"] for p in emu.inventory.items("projects") or []][:2]
        emu.inventory.refuse("project_api_keys", 404, first)
        gone = get(emu, path=f"/organization/projects/{first}/api_keys")
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "not_found"
        assert get(emu, path=f"/organization/projects/{second}/api_keys").status_code == 200


@pytest.mark.parametrize(
    ("stream", "status", "message"),
    [("nope", 403, "no inventory list named 'nope'"), ("groups", 500, "403 or 404")],
)
def test_the_switch_refuses_what_it_cannot_do(stream: str, status: int, message: str) -> None:
    with Emulator() as emu, pytest.raises(ValueError, match=message):
        emu.inventory.refuse(stream, status)


def test_hostile_inventory_sends_undeclared_and_mistyped_fields() -> None:
    with Emulator(hostile_inventory=True) as emu:
        users = get(emu, {"limit": 100}, path="/organization/users").json()["data"]
    second = users[1]
    assert second["brand_new_object"] == {"nested": {"list": [1, "two", None]}}
    assert second["developer_persona"] == 42
    assert second["is_scim_managed"] == "false"
    assert second["api_key_last_used_at"] == "last tuesday"
    assert "extra" in second
    assert users[2]["created"] == "2026-01-02T03:04:05+01:00"


def test_cli_flags_refuse_lists_and_serve_the_hostile_inventory() -> None:
    with emulator_command(
        "--fixed-clock",
        "--port",
        "0",
        "--events",
        "10",
        "--hostile-inventory",
        "--refuse-inventory",
        "groups=403",
        "--refuse-inventory",
        "certificates=404",
    ) as process:
        assert process.stdout is not None
        found = LINE.search(process.stdout.readline())
        assert found
        headers = {"Authorization": f"Bearer {found['key']}"}

        def status(path: str) -> int:
            return requests.get(found["url"] + path, headers=headers, timeout=10).status_code

        assert status("/organization/groups") == 403
        assert status("/organization/certificates") == 404
        assert status("/organization/roles") == 200
        users = requests.get(found["url"] + "/organization/users", headers=headers, timeout=10)
        assert "brand_new_text" in users.json()["data"][1]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("groups", "expected STREAM=403"),
        ("groups=500", "expected STREAM=403"),
        ("nope=403", "no inventory list"),
    ],
)
def test_cli_refuses_a_bad_switch_cleanly(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--fixed-clock", "--port", "0", "--events", "1", "--refuse-inventory", value])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error

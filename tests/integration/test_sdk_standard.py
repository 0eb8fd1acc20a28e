"""The Singer SDK's standard tap tests, pointed at the emulator."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest
from singer_sdk.testing import get_tap_test_class
from typing_extensions import override

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tap_openai_audit.tap import TapOpenAIAudit
from tests.integration.conftest import ANY_JSON_PROPERTIES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk import Stream


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _config(port: int) -> dict[str, str]:
    return {
        "admin_api_key": DEFAULT_ADMIN_KEY,
        "api_url": f"http://127.0.0.1:{port}/v1",
        "start_date": "2026-10-25T00:00:00Z",
        "end_date": "2026-11-01T00:00:00Z",
    }


AUDIT_LOG_STREAMS = ("audit_logs", "audit_log_reads")


class _AuditLogOnly(TapOpenAIAudit):
    """The tap with its audit-log streams alone (the log and its ledger)."""

    @override
    def discover_streams(self) -> list[Stream]:
        return [s for s in super().discover_streams() if s.name in AUDIT_LOG_STREAMS]


class _InventoryOnly(TapOpenAIAudit):
    """The tap with its 19 snapshot streams alone."""

    @override
    def discover_streams(self) -> list[Stream]:
        return [s for s in super().discover_streams() if s.name not in AUDIT_LOG_STREAMS]


# The SDK builds its test classes from a config at import time, so the ports are chosen here
# and the emulators started by the fixtures below.
PORT, INVENTORY_PORT = _free_port(), _free_port()

StandardTests = get_tap_test_class(tap_class=_AuditLogOnly, config=_config(PORT))
InventoryTests = get_tap_test_class(tap_class=_InventoryOnly, config=_config(INVENTORY_PORT))


class TestTapOpenAIAudit(StandardTests):  # type: ignore[misc, valid-type]
    """Discovery, sync, catalog and record-shape checks from singer_sdk.testing."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def emulator(cls) -> Iterator[Emulator]:
        with Emulator(port=PORT) as emu:
            yield emu


# Optional fields the API may leave out (a user's `projects`, a rate limit's daily caps) are
# declared but absent from the emulator's objects: that is the API's right, not a mismatch.
@pytest.mark.filterwarnings("ignore:Fields in transformed catalog but not in records")
class TestInventory(InventoryTests):  # type: ignore[misc, valid-type]
    """The same checks for the access-inventory snapshot streams."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def emulator(cls) -> Iterator[Emulator]:
        with Emulator(port=INVENTORY_PORT) as emu:
            yield emu


def test_only_the_any_json_properties_lose_the_single_type_checks() -> None:
    # tests/integration/conftest.py leaves out "is boolean" and "is numeric" for these alone.
    # Typed inventory columns (strings, integers, booleans, date-times) keep every check.
    inventory = {
        name.split(".", 1)[1] for name in ANY_JSON_PROPERTIES if not name.startswith("audit_logs.")
    }
    assert [n for n in ANY_JSON_PROPERTIES if n.startswith("audit_logs.")] == [
        "audit_logs.actor",
        "audit_logs.payload",
        "audit_logs.project",
    ]
    assert inventory == {
        "user",
        "projects",
        "owner",
        "certificate_details",
        "permissions",
        "created_by_user_obj",
        "metadata",
        "assignment_sources",
    }

"""The Singer SDK's standard tap tests, pointed at the emulator."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest
from singer_sdk.testing import get_tap_test_class

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tap_openai_audit.tap import TapOpenAIAudit
from tests.integration.conftest import ANY_JSON_PROPERTIES

if TYPE_CHECKING:
    from collections.abc import Iterator


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# The SDK builds its test class from a config at import time, so the port is chosen here and
# the emulator started by the fixture below.
PORT = _free_port()
CONFIG = {
    "admin_api_key": DEFAULT_ADMIN_KEY,
    "api_url": f"http://127.0.0.1:{PORT}/v1",
    "start_date": "2026-10-25T00:00:00Z",
    "end_date": "2026-11-01T00:00:00Z",
}

StandardTests = get_tap_test_class(tap_class=TapOpenAIAudit, config=CONFIG)


class TestTapOpenAIAudit(StandardTests):  # type: ignore[misc, valid-type]
    """Discovery, sync, catalog and record-shape checks from singer_sdk.testing."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def emulator(cls) -> Iterator[Emulator]:
        with Emulator(port=PORT) as emu:
            yield emu


def test_only_the_any_json_properties_lose_the_single_type_checks() -> None:
    # tests/integration/conftest.py leaves out "is boolean" and "is numeric" for these alone.
    assert ANY_JSON_PROPERTIES == ["actor", "payload", "project"]

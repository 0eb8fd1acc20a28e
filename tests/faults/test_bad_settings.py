"""Every invalid setting is refused by the command line before a single request is sent.

Every invalid value of every setting (the list in tests/unit/test_settings.py, which also checks
that each message names its setting) goes through the SDK's command line in this process:
exit 1, no Singer message, no request to a live emulator. One real subprocess per class of
refusal then shows what a user sees: a value the config schema refuses (the SDK's check), a
value only the tap's own check refuses, a sync without a key, and an unknown setting name,
which is accepted with a warning.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from openai_audit_emulator import Emulator
from tap_openai_audit.settings import CONFIG_SCHEMA
from tap_openai_audit.tap import TapOpenAIAudit
from tests.faults.support import config_for, error_lines, run_tap
from tests.unit.test_settings import INVALID

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator([]) as emulator:
        yield emulator


@pytest.fixture
def in_process_cli() -> Iterator[CliRunner]:
    """click's runner; the SDK's CLI hooks warnings and the excepthook: put them back after."""
    excepthook = sys.excepthook
    yield CliRunner()
    logging.captureWarnings(capture=False)
    sys.excepthook = excepthook


@pytest.mark.parametrize(("setting", "value"), INVALID, ids=[f"{n}={v!r}" for n, v in INVALID])
def test_every_invalid_value_stops_the_command_before_any_request(
    setting: str, value: Any, emu: Emulator, in_process_cli: CliRunner, tmp_path: Path
) -> None:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({**config_for(emu.url), setting: value}))
    before = emu.data_request_count
    result = in_process_cli.invoke(TapOpenAIAudit.cli, ["--config", str(config_path)])
    assert result.exit_code == 1, result.output
    assert '{"type":' not in result.stdout  # not even a SCHEMA: nothing started
    assert emu.data_request_count == before


def _refused_before_any_request(emu: Emulator, tmp_path: Path, setting: str, value: Any) -> None:
    before = emu.data_request_count
    run = run_tap(tmp_path, {**config_for(emu.url), setting: value})
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.messages == []  # not even a SCHEMA: nothing started
    problems = [line for line in error_lines(run.stderr) if "Config validation failed" not in line]
    assert len(problems) == 1, run.stderr
    assert setting in problems[0]
    assert emu.data_request_count == before


def test_a_value_the_config_schema_refuses_is_one_line(emu: Emulator, tmp_path: Path) -> None:
    assert CONFIG_SCHEMA["properties"]["page_size"]["maximum"] == 100  # the SDK's check
    _refused_before_any_request(emu, tmp_path, "page_size", 101)


def test_a_value_only_the_tap_refuses_is_one_line(emu: Emulator, tmp_path: Path) -> None:
    # A valid URI for the schema; plain http is for loopback hosts only (design.md).
    _refused_before_any_request(emu, tmp_path, "api_url", "http://api.example.com/v1")


def test_a_sync_without_any_key_is_refused(emu: Emulator, tmp_path: Path) -> None:
    config = config_for(emu.url)
    del config["admin_api_key"]
    before = emu.data_request_count
    run = run_tap(tmp_path, config)  # run_cli drops the shell's OPENAI_* and TAP_OPENAI_* variables
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    [line] = error_lines(run.stderr)
    assert "admin_api_key" in line
    assert emu.data_request_count == before


def test_an_unknown_setting_is_accepted_with_a_warning_naming_it(
    emu: Emulator, tmp_path: Path
) -> None:
    # Meltano and configs shared between taps carry extras: refusing them would stop a run.
    config = {**config_for(emu.url, days=1), "stream_copy_of": "x", "lookback_windw": 60}
    run = run_tap(tmp_path, config)
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if "does not know are ignored" in line]
    assert len(warnings) == 1
    assert "lookback_windw, stream_copy_of" in warnings[0]

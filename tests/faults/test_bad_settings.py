"""Every invalid setting is refused by the command line before a single request is sent.

Every invalid value of every setting (the list in tests/unit/test_settings.py, which also checks
that each message names its setting) goes through the SDK's command line in this process:
exit 1, no Singer message, no request to a live emulator. Real subprocesses then show what a
user sees: a value the config schema refuses (the SDK's check) or only the tap's own check
refuses is one ERROR line naming the setting, the same in a run and in `--test`; a sync
without a key; an unknown setting name, which is accepted with a warning; and a CA bundle
that cannot be used, refused at once rather than retried as a network fault.
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
from tests.faults.support import config_for, error_lines, retries, run_tap
from tests.tap_runs import base_config, run_cli
from tests.unit.test_settings import INVALID
from tests.unit.tls_server import serving_tls

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


def _refused_before_any_request(
    emu: Emulator, tmp_path: Path, setting: str, value: Any, *, args: tuple[str, ...] = ()
) -> str:
    """The one ERROR line of a run refused for `setting`; nothing else says a word of it."""
    before = emu.data_request_count
    run = run_tap(tmp_path, {**config_for(emu.url), setting: value}, args=args)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.messages == []  # not even a SCHEMA: nothing started
    [line] = error_lines(run.stderr)
    assert line.split("| ")[-1].startswith(f"{setting}: ")
    assert emu.data_request_count == before
    return line.split("| ")[-1]


# A value the config schema refuses (the SDK's check), values only the tap's own check refuses.
REFUSED = [
    ("page_size", 101),
    ("page_size", 500),
    ("start_date", "01/10/2026"),
    ("api_url", "http://api.example.com/v1"),  # a URI, but plain http is for loopback only
    ("api_url", "api.openai.com/v1"),
]


@pytest.mark.parametrize(("setting", "value"), REFUSED, ids=[f"{n}={v!r}" for n, v in REFUSED])
def test_a_refused_value_is_the_same_one_line_in_a_run_and_in_the_connection_test(
    emu: Emulator, tmp_path: Path, setting: str, value: Any
) -> None:
    if setting == "page_size":
        assert CONFIG_SCHEMA["properties"]["page_size"]["maximum"] == 100  # the SDK's check
    in_a_run = _refused_before_any_request(emu, tmp_path, setting, value)
    in_the_test = _refused_before_any_request(emu, tmp_path, setting, value, args=("--test",))
    assert in_the_test == in_a_run


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


@pytest.mark.parametrize("args", [(), ("--test",)], ids=["run", "test"])
@pytest.mark.parametrize("content", [None, "not a certificate\n"], ids=["missing", "junk"])
def test_a_ca_bundle_that_cannot_be_used_is_one_line_and_no_retry(
    tmp_path: Path, content: str | None, args: tuple[str, ...]
) -> None:
    # Nothing listens at that port: a run that took the bundle for a network fault would
    # retry the refused connection for half a minute, and say nothing of the bundle.
    bundle = tmp_path / "corporate-ca.pem"
    if content is not None:
        bundle.write_text(content)
    config = base_config("https://127.0.0.1:9/v1")
    run = run_cli(tmp_path, config, args=args, env={"REQUESTS_CA_BUNDLE": str(bundle)})
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert retries(run.stderr) == []
    [line] = error_lines(run.stderr)
    assert f"REQUESTS_CA_BUNDLE: the CA bundle '{bundle}' cannot be used" in line


@pytest.mark.parametrize("args", [(), ("--test",)], ids=["run", "test"])
def test_a_server_certificate_that_does_not_verify_is_one_line_and_no_retry(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    with serving_tls() as url:
        run = run_cli(tmp_path, base_config(url), args=args)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert retries(run.stderr) == []
    [line] = error_lines(run.stderr)
    assert "TLS certificate was not accepted (self-signed certificate)" in line

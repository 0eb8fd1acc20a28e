"""Every invalid setting is refused by the command line before a single request is sent.

The unit tests refuse the exhaustive list of invalid values in-process (tests/unit/
test_settings.py); here the first invalid value of each setting in that list goes through the
real CLI against a live emulator, which must count zero requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from openai_audit_emulator import Emulator
from tests.faults.support import config_for, error_lines, run_tap
from tests.unit.test_settings import INVALID

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator([]) as emulator:
        yield emulator


def _assert_refused_before_any_request(
    emu: Emulator, tmp_path: Path, config: dict[str, Any], setting: str
) -> None:
    before = emu.data_request_count
    run = run_tap(tmp_path, config)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert run.messages == []  # not even a SCHEMA: nothing started
    assert any(setting in line for line in error_lines(run.stderr)), run.stderr
    assert emu.data_request_count == before


# One value per setting: each CLI run costs a Python start-up.
ONE_PER_SETTING = list({name: (name, value) for name, value in reversed(INVALID)}.values())[::-1]


@pytest.mark.parametrize(
    ("setting", "value"), ONE_PER_SETTING, ids=[f"{n}={v!r}" for n, v in ONE_PER_SETTING]
)
def test_an_invalid_value_is_refused_naming_its_setting(
    setting: str, value: Any, emu: Emulator, tmp_path: Path
) -> None:
    _assert_refused_before_any_request(
        emu, tmp_path, {**config_for(emu.url), setting: value}, setting
    )


def test_an_end_date_before_the_start_date_is_refused(emu: Emulator, tmp_path: Path) -> None:
    config = {**config_for(emu.url), "end_date": "2026-10-01T00:00:00Z"}
    _assert_refused_before_any_request(emu, tmp_path, config, "end_date")


def test_a_sync_without_any_key_is_refused(emu: Emulator, tmp_path: Path) -> None:
    config = config_for(emu.url)
    del config["admin_api_key"]
    before = emu.data_request_count
    run = run_tap(tmp_path, config)  # run_cli drops the shell's OPENAI_* and TAP_OPENAI_* variables
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert any("admin_api_key" in line for line in error_lines(run.stderr)), run.stderr
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

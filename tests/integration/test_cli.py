"""The command line as users and Meltano call it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tap_openai_audit import __version__
from tap_openai_audit.tap import STREAM_ORDER, TapOpenAIAudit
from tests.e2e.support import PROJECT_ROOT, meltano_environment
from tests.services import meltano
from tests.tap_runs import assert_no_secret, base_config, run_cli

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# No socket, file or pipe left to the garbage collector (pyproject.toml ignores it suite-wide).
pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


def _problem_lines(stderr: str) -> list[str]:
    """The lines a user would notice: errors, warnings and Python's own warnings.

    The SDK's notice that Python 3.10 is past its end of life (printed on every run under
    3.10, which the tap still supports: `make test-matrix`) is not the tap's problem.
    """
    return [
        line
        for line in stderr.splitlines()
        if ("| ERROR" in line or "| WARNING" in line or "Warning" in line)
        and "SingerSDKPythonEOLWarning" not in line
    ]


def test_connection_test_reads_one_record_of_each_stream_quietly(
    emulator: Emulator, tmp_path: Path
) -> None:
    # The SDK's --test (run_connection_test): every stream up to its first record. Python's
    # ResourceWarnings are shown, to prove that no socket or file is left open.
    env = {"PYTHONWARNINGS": "always::ResourceWarning"}
    run = run_cli(tmp_path, base_config(emulator.url), args=("--test",), env=env)
    assert run.returncode == 0, run.stderr
    assert _problem_lines(run.stderr) == []
    per_stream: dict[str, int] = {}
    for message in run.messages:
        if message["type"] == "RECORD":
            per_stream[message["stream"]] = per_stream.get(message["stream"], 0) + 1
    assert per_stream["audit_logs"] == 1
    assert set(per_stream.values()) == {1}
    assert not [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"]  # no snapshot ended
    # The test stops most streams at their first record, as it should: no metric calls that
    # a failure. And it ends with one line that says how it went.
    durations = [p for p in _metric_points(run.stderr) if p["metric"] == "sync_duration"]
    assert len(durations) >= len(STREAM_ORDER)
    assert {p["tags"]["status"] for p in durations} == {"succeeded"}
    assert [p for p in _metric_points(run.stderr) if p["tags"].get("status") == "failed"] == []
    verdict = run.stderr.splitlines()[-1]
    assert verdict.endswith(f"| Connection test passed: {len(STREAM_ORDER)} streams answered.")


def test_connection_test_names_the_streams_skipped_for_want_of_a_list(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.inventory.refuse("certificates", 403)  # an organization without certificates
    run = run_cli(tmp_path, base_config(emulator.url), args=("--test",))
    assert run.returncode == 0, run.stderr
    answered = len(STREAM_ORDER) - 1
    assert run.stderr.splitlines()[-1].endswith(
        f"| Connection test passed: {answered} of {len(STREAM_ORDER)} streams answered; "
        "skipped for this run (see the warnings above): certificates."
    )


def test_connection_test_says_plainly_when_the_key_is_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = {**base_config(emulator.url), "admin_api_key": "sk-admin-not-the-right-one-1234"}
    run = run_cli(tmp_path, config, args=("--test",))
    assert run.returncode == 1
    [line] = _problem_lines(run.stderr)  # the SDK's own line about the stream is left out
    assert "401" in line
    assert "Admin API key" in line
    assert "Traceback" not in run.stderr
    assert "sk-admin-not-the-right-one" not in run.stderr
    assert "***" not in run.stderr  # not even the masked form the API echoes back


def _metric_points(stderr: str) -> list[dict[str, Any]]:
    """Every METRIC line's point."""
    return [
        json.loads(line.split("METRIC: ", 1)[1])
        for line in stderr.splitlines()
        if "METRIC: " in line
    ]


def _record_counts(stderr: str) -> list[tuple[str, dict[str, Any], int]]:
    """(stream, context, value) of each `record_count` METRIC line."""
    return [
        (p["tags"]["stream"], p["tags"].get("context", {}), p["value"])
        for p in _metric_points(stderr)
        if p["metric"] == "record_count"
    ]


def test_record_counts_carry_the_scope_they_count_and_the_ledger_is_counted(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = {
        **base_config(emulator.url),
        "start_date": "2026-10-29T00:00:00Z",
        "end_date": "2026-11-01T00:00:00Z",
    }
    run = run_cli(tmp_path, config)
    assert run.returncode == 0, run.stderr
    counts = [c for c in _record_counts(run.stderr) if c[0] in {"audit_logs", "audit_log_reads"}]
    scopes = [record["scope"] for record in run.records]
    assert set(scopes) == {"organization", "tenant"}  # both scopes have events here
    assert counts == [
        ("audit_logs", {"scope": "organization"}, scopes.count("organization")),
        ("audit_logs", {"scope": "tenant"}, scopes.count("tenant")),
        ("audit_log_reads", {}, len(run.ledger)),
    ]
    assert len(run.ledger) == 2 * 3  # one row per one-day window and scope


def test_the_key_comes_from_the_environment_with_config_env(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = {
        "api_url": emulator.url,
        "start_date": "2026-10-31T00:00:00Z",
        "end_date": "2026-11-01T00:00:00Z",
    }
    env = {"TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY}
    run = run_cli(tmp_path, config, args=("--config", "ENV"), env=env)
    assert run.returncode == 0, run.stderr
    assert run.records


def test_openai_admin_key_is_not_read_implicitly(emulator: Emulator, tmp_path: Path) -> None:
    # Neither the variable OpenAI's own tools use nor the tap's own is read without --config ENV.
    env = {
        "OPENAI_ADMIN_KEY": DEFAULT_ADMIN_KEY,
        "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
    }
    run = run_cli(tmp_path, {"api_url": emulator.url}, env=env)
    assert run.returncode == 1
    assert "admin_api_key: not set" in run.stderr
    assert emulator.data_request_count == 0


def test_a_missing_key_fails_cleanly_before_any_request(emulator: Emulator, tmp_path: Path) -> None:
    run = run_cli(tmp_path, {"api_url": emulator.url})
    assert run.returncode == 1
    assert "admin_api_key: not set" in run.stderr
    assert "Traceback" not in run.stderr
    assert emulator.data_request_count == 0


def test_connection_test_without_a_key_is_one_line_before_any_stream_starts(
    emulator: Emulator, tmp_path: Path
) -> None:
    run = run_cli(tmp_path, {"api_url": emulator.url}, args=("--test",))
    assert run.returncode == 1
    [line] = _problem_lines(run.stderr)
    assert "admin_api_key: not set" in line
    assert run.messages == []  # not even a SCHEMA
    assert "Beginning sync" not in run.stderr
    assert emulator.data_request_count == 0


def test_about_and_discovery_need_no_key_and_show_none(tmp_path: Path) -> None:
    about = run_cli(
        tmp_path, {"admin_api_key": DEFAULT_ADMIN_KEY}, args=("--about", "--format=json")
    )
    assert about.returncode == 0, about.stderr
    info = json.loads(about.stdout)
    assert info["settings"]["properties"]["admin_api_key"]["secret"] is True
    assert "batch" not in info["capabilities"]  # not offered: see tap.py
    discover = run_cli(tmp_path, {}, args=("--discover",))
    assert discover.returncode == 0, discover.stderr
    streams = {s["tap_stream_id"]: s for s in json.loads(discover.stdout)["streams"]}
    assert streams["audit_logs"]["key_properties"] == ["id"]
    assert streams["audit_logs"]["replication_key"] == "effective_at"
    ledger = streams["audit_log_reads"]
    assert ledger["key_properties"] == ["run_id", "scope", "window_start"]
    assert ledger.get("replication_key") is None


def test_python_dash_m_and_the_console_script_are_the_same_command(tmp_path: Path) -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    from pathlib import Path as _Path  # noqa: PLC0415

    script = _Path(sys.executable).parent / "tap-openai-audit"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert f"tap-openai-audit v{__version__}" in done.stdout + done.stderr
    run = run_cli(tmp_path, {}, args=("--version",))
    assert f"tap-openai-audit v{__version__}" in run.stdout + run.stderr


@pytest.mark.parametrize("start_date", [None, "2026-10-01T00:00:00Z"])
@pytest.mark.parametrize(
    "state",
    [
        {"bookmarks": {"audit_logs": {"replication_key_value": "last tuesday"}}},
        {
            "bookmarks": {
                "audit_logs": {
                    "partitions": [
                        {
                            "context": {"scope": "tenant"},
                            "replication_key": "effective_at",
                            "replication_key_value": "not-a-date",
                        }
                    ]
                }
            }
        },
        {"bookmarks": {"audit_logs": {"partitions": [{"context": {"region": "eu"}}]}}},
        {"bookmarks": {"audit_logs": ["2026-10-01T00:00:00Z"]}},
    ],
)
def test_an_unreadable_state_is_one_line_and_exit_1_before_any_request(
    emulator: Emulator, tmp_path: Path, state: dict[str, Any], start_date: str | None
) -> None:
    config = base_config(emulator.url)
    if start_date is not None:
        config["start_date"] = start_date
    run = run_cli(tmp_path, config, state=state)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    [line] = [line for line in run.stderr.splitlines() if "state" in line.lower()]
    assert "The state cannot be read" in line
    assert "meltano state clear" in line
    assert emulator.data_request_count == 0
    assert run.messages == []


# Python's warnings as errors: a file, socket or pipe left to the collector at exit prints
# "Exception ignored ... ResourceWarning" on stderr, which the tests below look for.
WARNINGS_AS_ERRORS = {"PYTHONWARNINGS": "error::ResourceWarning"}
ONE_DAY = {"start_date": "2026-10-31T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}


def _no_resource_warning(stderr: str) -> None:
    assert "ResourceWarning" not in stderr, stderr[-3000:]
    assert "Exception ignored" not in stderr, stderr[-3000:]


@pytest.mark.parametrize(
    ("settings", "mode", "exit_code"),
    [
        (ONE_DAY, (), 0),
        ({}, ("--test",), 0),
        ({"start_date": "01/10/2026"}, (), 1),
        ({"start_date": "01/10/2026"}, ("--test",), 1),
        ({"admin_api_key": "sk-admin-not-the-right-one-1234"}, (), 1),
        ({"admin_api_key": "sk-admin-not-the-right-one-1234"}, ("--test",), 1),
    ],
    ids=["run", "test", "bad-setting-run", "bad-setting-test", "401-run", "401-test"],
)
def test_no_exit_leaves_a_resource_to_the_garbage_collector(
    emulator: Emulator,
    tmp_path: Path,
    settings: dict[str, Any],
    mode: tuple[str, ...],
    exit_code: int,
) -> None:
    # With a catalog file and a state file, as Meltano runs the tap: click opens them.
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(TapOpenAIAudit(config={}, parse_env_config=False).catalog_dict))
    args = ("--catalog", str(catalog), *mode)
    config = {**base_config(emulator.url), **settings}
    run = run_cli(tmp_path, config, state={}, args=args, env=WARNINGS_AS_ERRORS)
    assert run.returncode == exit_code, run.stderr[-3000:]
    _no_resource_warning(run.stderr)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_an_interrupted_run_leaves_no_resource_to_the_garbage_collector(
    emulator: Emulator, tmp_path: Path, signal_number: int
) -> None:
    emulator.latency = 0.05  # so that the run is still reading when the signal comes
    config_path = tmp_path / "config.json"
    # A start date spares the search for where the history begins; hours keep it reading.
    config = {**base_config(emulator.url), **ONE_DAY, "window_size_days": 0.04}
    config_path.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TAP_OPENAI"))}
    command = [sys.executable, "-m", "tap_openai_audit", "--config", str(config_path)]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, **WARNINGS_AS_ERRORS},
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith('{"type":"RECORD"'):
                break
        process.send_signal(signal_number)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal_number, stderr[-3000:]
    assert f"Stopped by signal {signal_number}" in stderr
    assert_no_secret(stderr)
    _no_resource_warning(stderr)


# Under Meltano: `meltano invoke` reads the tap's stderr line by line. A plugin that declares
# the `structured-logging` capability gets the SDK's JSON log format (SINGER_SDK_LOG_CONFIG),
# and Meltano logs each line at the level it carries; any other line is logged at info.


@dataclass(frozen=True)
class MeltanoProject:
    env: dict[str, str]
    api_url: str


@pytest.fixture(scope="module")
def meltano_project(
    meltano_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MeltanoProject]:
    """This project under Meltano, its extractor installed, pointed at an emulator."""
    base = tmp_path_factory.mktemp("meltano-signals")
    env = meltano_environment(base / "meltano-sys", base, "tap_signals")
    meltano(meltano_bin, env, "install", "extractor", "tap-openai-audit")
    with Emulator() as emulator:
        yield MeltanoProject(env, emulator.url)


def _invoke_test(
    meltano_bin: Path, project: MeltanoProject, **settings: str
) -> tuple[int, list[dict[str, Any]]]:
    """`meltano invoke tap-openai-audit --test`: its exit code and the tap's lines, as logged."""
    env = {
        **project.env,
        "TAP_OPENAI_AUDIT_API_URL": project.api_url,
        "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
        **{f"TAP_OPENAI_AUDIT_{name.upper()}": value for name, value in settings.items()},
    }
    done = subprocess.run(
        [str(meltano_bin), "--log-format=json", "invoke", "tap-openai-audit", "--test"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert_no_secret(done.stdout + done.stderr)
    logged = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    return done.returncode, [entry for entry in logged if "plugin_logger" in entry]


@pytest.mark.meltano
@pytest.mark.slow
def test_under_meltano_a_refused_key_is_logged_as_an_error(
    meltano_bin: Path, meltano_project: MeltanoProject
) -> None:
    code, lines = _invoke_test(
        meltano_bin, meltano_project, admin_api_key="sk-admin-not-the-right-one-1234"
    )
    assert code == 1
    [error] = [line for line in lines if line["level"] == "error"]
    assert "answered HTTP 401" in error["event"]
    assert "Admin API key" in error["event"]
    assert [line for line in lines if line["level"] == "warning"] == []


@pytest.mark.meltano
@pytest.mark.slow
def test_under_meltano_a_refused_setting_is_one_error_naming_it(
    meltano_bin: Path, meltano_project: MeltanoProject
) -> None:
    # tests/faults/test_bad_settings.py shows every class of refusal the same in a run and in
    # --test; this one goes through Meltano's settings and its reading of the tap's lines.
    code, lines = _invoke_test(meltano_bin, meltano_project, start_date="01/10/2026")
    assert code == 1
    [error] = [line for line in lines if line["level"] in {"error", "critical"}]
    assert error["event"].startswith("start_date: '01/10/2026' is not an RFC 3339 date-time")
    assert not [line for line in lines if "exception" in line or "plugin_exception" in line]


@pytest.mark.meltano
@pytest.mark.slow
def test_under_meltano_a_passing_test_ends_with_its_verdict_and_no_failure(
    meltano_bin: Path, meltano_project: MeltanoProject
) -> None:
    code, lines = _invoke_test(meltano_bin, meltano_project)
    assert code == 0
    assert lines[-1]["event"] == f"Connection test passed: {len(STREAM_ORDER)} streams answered."
    assert lines[-1]["level"] == "info"
    assert [line for line in lines if line["level"] != "info"] == []
    metrics = [line["metric_info"] for line in lines if line["event"] == "METRIC"]
    assert metrics  # the SDK's metrics, read by Meltano as such
    assert [m for m in metrics if m["tags"].get("status") == "failed"] == []

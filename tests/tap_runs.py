"""Run the tap the way users do, capture what it prints, and check no secret leaked.

Every run made through here asserts that the Admin key never appears in stdout or stderr,
so that the whole suite watches for leaks, not one test.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openai_audit_emulator import DEFAULT_ADMIN_KEY
from tap_openai_audit.tap import TapOpenAIAudit

if TYPE_CHECKING:
    from pathlib import Path

# The key, and the masked form the API echoes in a 401 body ("sk-admin***abcd").
SECRETS = [DEFAULT_ADMIN_KEY, f"{DEFAULT_ADMIN_KEY[:8]}***{DEFAULT_ADMIN_KEY[-4:]}"]


@dataclass
class TapRun:
    """What one run of the tap printed."""

    stdout: str
    stderr: str
    returncode: int
    messages: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        # Singer messages only: --about and --version print other things on stdout. Split on
        # "\n" alone, as targets do: splitlines() also splits inside strings holding U+0085 or
        # U+2028, which JSON writes unescaped.
        self.messages = [
            json.loads(line) for line in self.stdout.split("\n") if line.startswith('{"type":')
        ]
        assert_no_secret(self.stdout + self.stderr)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The `audit_logs` records."""
        return self.stream_records("audit_logs")

    @property
    def ledger(self) -> list[dict[str, Any]]:
        """The `audit_log_reads` rows."""
        return self.stream_records("audit_log_reads")

    def stream_records(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    @property
    def ids(self) -> list[str]:
        return [record["id"] for record in self.records]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1]

    @property
    def bookmark(self) -> str | None:
        """The organization scope's final bookmark."""
        return bookmarks(self.final_state).get("organization")

    @property
    def bookmarks(self) -> dict[str, str]:
        """The final bookmark of each scope."""
        return bookmarks(self.final_state)


def bookmarks(state: dict[str, Any]) -> dict[str, str]:
    """`{scope: bookmark}` from an `audit_logs` partition state."""
    stream = state.get("bookmarks", {}).get("audit_logs", {})
    return {
        entry["context"]["scope"]: entry["replication_key_value"]
        for entry in stream.get("partitions", [])
        if "replication_key_value" in entry
    }


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, "the Admin API key appeared in the tap's output"


def base_config(url: str, **settings: Any) -> dict[str, Any]:
    return {"admin_api_key": DEFAULT_ADMIN_KEY, "api_url": url, **settings}


def run_cli(  # noqa: PLR0913 - mirrors the CLI's options
    tmp_path: Path,
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 180,
) -> TapRun:
    """Run `python -m tap_openai_audit` in a subprocess, as Meltano would."""
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_openai_audit", "--config", str(config_path), *args]
    if state is not None:
        state_path = tmp_path / "state.json"
        state_path.write_text(json.dumps(state))
        command += ["--state", str(state_path)]
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TAP_OPENAI"))}
    run_env.update(env or {})
    done = subprocess.run(  # noqa: PLW1510 - the return code is part of the result
        command, capture_output=True, text=True, timeout=timeout, env=run_env
    )
    return TapRun(done.stdout, done.stderr, done.returncode)


def catalog_selecting(config: dict[str, Any], streams: set[str]) -> dict[str, Any]:
    """The tap's discovered catalog with only `streams` selected (Meltano's `select`)."""
    tap = TapOpenAIAudit(config=config, parse_env_config=False)
    catalog: dict[str, Any] = tap.catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def run_in_process(
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
) -> TapRun:
    """Run a sync inside the test process: faster, and exceptions surface as they are."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    stderr = io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        tap = TapOpenAIAudit(config=config, state=state, catalog=catalog, parse_env_config=False)
        tap.sync_all()
        stdout.flush()
    raw = stdout.buffer
    assert isinstance(raw, io.BytesIO)
    return TapRun(raw.getvalue().decode("utf-8"), stderr.getvalue(), 0)

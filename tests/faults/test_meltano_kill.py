"""A Meltano pipeline killed mid-run and run again leaves the table complete, each id once.

`meltano run tap-openai-audit target-postgres` against a slowed emulator, killed with SIGKILL
(the whole process group: Meltano, tap and target, as a lost container would be) once rows
have reached PostgreSQL, then run again with `--force`: Meltano refuses a second run of a
pipeline it still believes is running for five minutes after a kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tests.e2e.support import PROJECT_ROOT, meltano_environment
from tests.faults.support import (
    DAY,
    END,
    assert_no_key_trace,
    iso,
    seconds,
    small_org,
    truth,
)
from tests.services import meltano
from tests.tap_runs import bookmarks as scope_bookmarks

if TYPE_CHECKING:
    from pathlib import Path

    from tests.faults.conftest import Outcome
    from tests.services import Connection

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

PIPELINE = ("run", "tap-openai-audit", "target-postgres")


def _rows(postgres: Connection, schema: str) -> list[str]:
    query = sql.SQL("select id from {}.audit_logs").format(sql.Identifier(schema))
    try:
        return [row[0] for row in postgres.execute(query)]
    except psycopg.errors.UndefinedTable:
        return []


def test_a_pipeline_killed_mid_run_and_run_again_loads_every_id_once(
    meltano_bin: Path, postgres: Connection, tmp_path: Path, outcome: Outcome
) -> None:
    schema = f"faults_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(tmp_path / "meltano-sys", tmp_path, schema)
    meltano(meltano_bin, env, "install", "tap-openai-audit", "target-postgres")
    with Emulator(small_org(), latency=0.1) as emu:
        expected = truth(emu, gte=END - 3 * DAY)
        env |= {
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
            "TAP_OPENAI_AUDIT_START_DATE": iso(END - 3 * DAY),
            "TAP_OPENAI_AUDIT_END_DATE": iso(END),
            "TAP_OPENAI_AUDIT_PAGE_SIZE": "5",  # about forty paced pages: seconds to kill in
            "TAP_OPENAI_AUDIT_MAX_CONCURRENCY": "1",
            "TAP_OPENAI_AUDIT_SCOPES": '["organization"]',  # what `truth` holds
            "TARGET_POSTGRES_BATCH_SIZE_ROWS": "10",  # rows reach the table early
        }
        first_log = tmp_path / "first-run.log"
        try:
            with first_log.open("w") as log:
                first = subprocess.Popen(
                    [str(meltano_bin), *PIPELINE],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: Meltano, tap and target
                )
            loaded_at_kill = _wait_for_rows(first, postgres, schema, first_log)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
            emu.latency = 0
            second_output = meltano(meltano_bin, env, *PIPELINE, "--force")
            ids = _rows(postgres, schema)
            state = subprocess.run(  # stdout alone: the state's JSON
                [str(meltano_bin), "state", "get", "dev:tap-openai-audit-to-target-postgres"],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
        finally:
            postgres.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )
    output = first_log.read_text() + second_output
    assert_no_key_trace(output)
    assert 0 < loaded_at_kill < len(expected), "the kill did not land mid-run"
    assert len(ids) == len(set(ids))  # no duplicate ids
    assert set(ids) == expected  # complete
    stored = scope_bookmarks(json.loads(state.stdout)["singer_state"])
    assert seconds(stored["organization"]) == END
    # Meltano stores no state before the target's final one: the rerun reads it all again,
    # and the rows already loaded at the kill are loaded twice (upserted, so stored once).
    lost = len(expected - set(ids))
    outcome(
        "Meltano SIGKILL, then run --force", "survived", retries=0, lost=lost, twice=loaded_at_kill
    )


def _wait_for_rows(
    process: subprocess.Popen[Any], postgres: Connection, schema: str, log: Path
) -> int:
    """Wait until the target has committed rows; return how many there are."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        loaded = len(_rows(postgres, schema))
        if loaded:
            return loaded
        if process.poll() is not None:
            tail = log.read_text()[-4000:]
            pytest.fail(f"the first run ended (exit {process.returncode}) early:\n{tail}")
        time.sleep(0.05)
    pytest.fail("no row reached PostgreSQL within two minutes")

"""Under Meltano, `start_date` and `end_date` reach the tap as the user typed them.

Meltano 4.4.1 rewrites a `kind: date_iso8601` value before the tap sees it (`01/10/2026`, meant
as 1 October, became 10 January; `2026-13-01` became 13 January), so the tap's refusal of a
malformed date never fired and a run silently read from the wrong day. `meltano.yml` declares
both as `kind: string` (scripts/sync_settings.py); here a user sets them with
`meltano config set` and runs the pipeline: the tap refuses each, naming the setting and
quoting the value as typed, before any request.
"""

from __future__ import annotations

import subprocess
import uuid
from typing import TYPE_CHECKING

import pytest

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tests.services import meltano

from .support import PROJECT_ROOT, meltano_environment

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]


# target-postgres gets a server, so that only the tap can fail the run.
@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize(
    ("setting", "typed"),
    [
        ("start_date", "01/10/2026"),
        ("start_date", "2026-13-01"),
        ("start_date", "yesterday"),
        ("end_date", "01/10/2026"),
    ],
)
def test_a_malformed_date_set_through_meltano_is_refused_naming_the_setting(
    meltano_bin: Path,
    meltano_sys_dir: Path,
    tmp_path: Path,
    setting: str,
    typed: str,
) -> None:
    env = meltano_environment(meltano_sys_dir, tmp_path, f"dates_{uuid.uuid4().hex[:12]}")
    with Emulator() as emu:
        env |= {"TAP_OPENAI_AUDIT_API_URL": emu.url}
        env |= {"TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY}
        # The system database of this test alone: meltano.yml and .env stay untouched.
        meltano(meltano_bin, env, "config", "set", "--store=db", "tap-openai-audit", setting, typed)
        done = subprocess.run(
            [str(meltano_bin), "run", "--install", "tap-openai-audit", "target-postgres"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        data_requests = emu.data_request_count
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    refusal = f"{setting}: '{typed}' is not an RFC 3339 date-time"
    assert refusal in output, output[-3000:]
    assert data_requests == 0  # refused before any request

"""The README agrees with the tap and with `meltano.yml`, and holds no real-looking key.

(Its SQL examples run against a loaded table in tests/e2e/test_meltano_postgres.py.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")
PROJECT = yaml.safe_load((ROOT / "meltano.yml").read_text("utf-8"))
FIX = "run `.venv/bin/python scripts/sync_settings.py` to copy the tap's settings again"


def _table(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Setting "))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end]


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_settings_table_is_the_taps_about_markdown() -> None:
    about = subprocess.run(
        [sys.executable, "-m", "tap_openai_audit", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert _table(README) == _table(about), FIX


def test_the_quick_start_is_make_demo_then_make_test() -> None:
    commands = re.findall(r"^make (\w+)", _section("Quick start"), flags=re.MULTILINE)
    assert commands[:2] == ["demo", "test"]


@pytest.mark.parametrize(
    "title",
    [
        "Quick start",
        "Real use with an Admin key",
        "Settings",
        "Querying your audit log",
        "Scheduling",
        "Several organizations",
        "Performance",
        "The emulator",
    ],
)
def test_the_readme_has_the_section(title: str) -> None:
    assert f"\n## {title}\n" in README


@pytest.mark.parametrize(
    "needle",
    [
        "TAP_OPENAI_AUDIT_ADMIN_API_KEY",
        "meltano config set tap-openai-audit admin_api_key",
        "inherit_from: tap-openai-audit",
        "tenant_only",
        "Proving completeness",
        "meltano schedule",
        "timestamp without time zone",
        "at time zone 'UTC'",
        "docs/emulator.md",
        "make bench",
    ],
)
def test_the_readme_explains(needle: str) -> None:
    assert needle in README


def test_every_meltano_run_in_the_readme_names_plugins_or_jobs_of_meltano_yml() -> None:
    known = {p["name"] for kind in PROJECT["plugins"].values() for p in kind}
    known |= {job["name"] for job in PROJECT["jobs"]}
    runs = re.findall(
        r"(?:^|bin/)meltano (?:--environment=\w+ )?run (?:--install )?([^\n#`]+)",
        README,
        flags=re.MULTILINE,
    )
    assert runs
    for run in runs:
        for name in run.split():
            if "acme" not in name:  # the several-organizations example defines its own
                assert name in known, f"`meltano run {run}` names {name}, not in meltano.yml"


def test_the_readme_holds_no_real_looking_key() -> None:
    # Placeholders are `sk-admin-...`; anything longer looks like a real key and must go.
    assert not re.search(r"sk-[A-Za-z0-9_-]{16,}", README)

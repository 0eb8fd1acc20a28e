"""The README and docs/ agree with the tap and with `meltano.yml`, and hold no real-looking key.

(The SQL examples of docs/sql.md run against loaded tables in tests/e2e/.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from openai_audit_emulator import DEFAULT_ADMIN_KEY
from tests import docs

ROOT = Path(__file__).resolve().parent.parent
README = docs.read("README.md")
PAGES = docs.all_pages()
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
    ("page", "title"),
    [
        ("README.md", "Quick start"),
        ("README.md", "Add it to your Meltano project"),
        ("README.md", "Settings"),
        ("operations.md", "Real use with an Admin key"),
        ("operations.md", "Scheduling"),
        ("operations.md", "Several organizations"),
        ("sql.md", "Querying your audit log"),
        ("sql.md", "Proving completeness"),
        ("performance.md", "Performance"),
        ("development.md", "The emulator"),
    ],
)
def test_the_docs_have_the_section(page: str, title: str) -> None:
    assert docs.section(page, title).strip()


def test_the_readme_is_a_front_page() -> None:
    # The manual lives in docs/; the README says what it is and how to start (issue: ~300 lines).
    assert len(README.splitlines()) <= 320


def test_every_page_the_readme_links_exists() -> None:
    for link in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (ROOT / link).is_file(), f"README links {link}, which does not exist"


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
        "emulator.md",
        "make bench",
    ],
)
def test_the_docs_explain(needle: str) -> None:
    assert needle in PAGES


def test_every_meltano_run_in_the_docs_names_plugins_or_jobs_of_meltano_yml() -> None:
    known = {p["name"] for kind in PROJECT["plugins"].values() for p in kind}
    known |= {job["name"] for job in PROJECT["jobs"]}
    runs = re.findall(
        r"(?:^|bin/)meltano (?:--environment=\w+ )?run (?:--install )?([^\n#`]+)",
        PAGES,
        flags=re.MULTILINE,
    )
    assert runs
    for run in runs:
        for name in run.split():
            plugin = name.split(":")[0]  # `dbt-postgres:build` is a command of dbt-postgres
            if "acme" not in name:  # the several-organizations example defines its own
                assert plugin in known, f"`meltano run {run}` names {name}, not in meltano.yml"


def test_the_docs_hold_no_real_looking_key() -> None:
    # Placeholders are `sk-admin-...`; anything longer looks like a real key and must go.
    # The emulator's own fake key is printed by it and named in docs/emulator.md on purpose.
    assert not re.search(r"sk-[A-Za-z0-9_-]{16,}", PAGES.replace(DEFAULT_ADMIN_KEY, ""))

"""The notifier as shipped: its own wheel, the tap's version, and settings that agree everywhere."""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING, Any

import yaml

import openai_audit_notify
import tap_openai_audit
from openai_audit_notify.settings import read_settings
from tests.services import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

SETTINGS = [
    "destinations",
    "database_url",
    "schema",
    "min_severity",
    "backlog_hours",
    "max_per_run",
    "dry_run",
]


def _utility(plugins: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        u for u in plugins["utilities"] if u["name"] == "openai-audit-notify"
    ]
    (utility,) = found
    return utility


def _pasted() -> dict[str, Any]:
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    (block,) = [b for b in blocks if b.startswith("plugins:")]
    pasted: dict[str, Any] = yaml.safe_load(block)
    return pasted


def test_the_notifier_is_released_with_the_tap_under_its_version() -> None:
    pyproject = (PROJECT_ROOT / "notify" / "pyproject.toml").read_text("utf-8")
    assert openai_audit_notify.__version__ == tap_openai_audit.__version__
    assert f'version = "{tap_openai_audit.__version__}"' in pyproject
    pasted = _utility(_pasted()["plugins"])
    assert pasted["pip_url"].endswith(f"@v{tap_openai_audit.__version__}#subdirectory=notify")


def test_its_wheel_holds_the_notifier_its_licence_and_its_console_script(tmp_path: Path) -> None:
    build = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir"]
    subprocess.run(
        [*build, str(tmp_path), str(PROJECT_ROOT / "notify")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = f"openai_audit_notify-{tap_openai_audit.__version__}.dist-info"
        metadata = email.parser.Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert not [n for n in names if not n.startswith(("openai_audit_notify/", info))]
    assert f"{info}/licenses/LICENSE" in names
    assert metadata["Name"] == "openai-audit-notify"
    assert metadata["License-Expression"] == "Apache-2.0"
    requirements = sorted(metadata.get_all("Requires-Dist") or [])
    assert requirements == ["apprise==2.2.0", "psycopg[binary]==3.3.9"]  # exact pins
    assert entry_points.split() == [
        "[console_scripts]",
        "openai-audit-notify",
        "=",
        "openai_audit_notify.cli:main",
    ]
    licence = (PROJECT_ROOT / "notify" / "LICENSE").read_text("utf-8")
    assert licence == (PROJECT_ROOT / "LICENSE").read_text("utf-8")


def test_meltano_yml_the_paste_block_and_the_docs_declare_the_same_settings() -> None:
    project = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text("utf-8"))
    ours, pasted = _utility(project["plugins"]), _utility(_pasted()["plugins"])
    assert [s["name"] for s in ours["settings"]] == SETTINGS
    for mine, theirs in zip(ours["settings"], pasted["settings"], strict=True):
        for key in ("name", "kind", "sensitive", "value"):
            assert mine.get(key) == theirs.get(key), (mine["name"], key)
    assert ours["commands"]["send"]["args"] == pasted["commands"]["send"]["args"] == "send"
    assert [s["name"] for s in ours["settings"] if s.get("sensitive")] == [
        "destinations",
        "database_url",
    ]
    # The defaults Meltano shows are the notifier's own.
    defaults = read_settings({})
    values = {s["name"]: s.get("value") for s in ours["settings"]}
    assert values["min_severity"] == defaults.min_severity
    assert values["backlog_hours"] == defaults.backlog_hours
    assert values["max_per_run"] == defaults.max_per_run
    assert values["dry_run"] is defaults.dry_run
    docs = (PROJECT_ROOT / "docs" / "notify.md").read_text("utf-8")
    for name in SETTINGS:
        assert f"| `{name}` |" in docs


def test_the_jobs_end_by_sending() -> None:
    project = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text("utf-8"))
    for job in project["jobs"]:
        (task,) = job["tasks"]
        assert task.split()[-2:] == ["dbt-postgres:build", "openai-audit-notify:send"]

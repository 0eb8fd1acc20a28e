"""Tuning vars a user gets wrong stop the build in one line; a detection switched off by dbt's
own `+enabled: false` leaves the package compiling."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from .support import TRANSFORM, dbt_environment

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]


def _run(warehouse: Warehouse, work: Path, project: Path, *args: str) -> tuple[int, str]:
    env = dbt_environment(
        warehouse.database, warehouse.source_schema, f"{warehouse.source_schema}_models", work
    )
    done = subprocess.run(
        [str(warehouse.dbt_bin), *args, "--project-dir", str(project)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("tuning", "named"),
    [
        (
            {"openai_audit_detections": {"login_brute_force": {"severity": "high"}}},
            ("openai_audit_detections", "'login_brute_force' is no detection id"),
        ),
        (
            {"openai_audit_detections": {"scim_changed": {"severity": "urgent"}}},
            ("openai_audit_detections", "'urgent' is no severity"),
        ),
        (
            {"openai_audit_detections": {"scim_changed": {"dedup_minute": 5}}},
            ("openai_audit_detections", "'scim_changed.dedup_minute' is no setting"),
        ),
        (
            {"openai_audit_suppressions": [{"detection_id": "scim_changed", "subject": "x"}]},
            ("openai_audit_suppressions", "rule 1", "has no reason"),
        ),
        (
            {"openai_audit_suppressions": [{"reason": "ok", "actr": "x"}]},
            ("openai_audit_suppressions", "'actr' is no field"),
        ),
        (
            {"openai_audit_suppressions": [{"reason": "ok", "until": "next week"}]},
            ("openai_audit_suppressions", "'next week' is not a date-time"),
        ),
        (
            {"openai_audit_suppressions_relation": "no_dot"},
            ("openai_audit_suppressions_relation", "no_dot is not schema.table"),
        ),
    ],
)
def test_a_bad_tuning_value_fails_the_build_in_one_line(
    warehouse: Warehouse, tmp_path: Path, tuning: dict[str, Any], named: tuple[str, ...]
) -> None:
    """Checked when dbt parses the project, so that no model is built with a bad setting."""
    code, output = _run(warehouse, tmp_path, TRANSFORM, "parse", "--vars", json.dumps(tuning))
    assert code != 0
    lines = [line for line in output.splitlines() if all(part in line for part in named)]
    assert len(lines) == 1, output[-3000:]
    assert lines[0].strip().startswith("Bad dbt var " + named[0])


def test_a_detection_model_disabled_by_dbt_leaves_the_union(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    project = tmp_path / "transform"
    shutil.copytree(TRANSFORM, project, ignore=shutil.ignore_patterns("target", "logs"))
    config = project / "dbt_project.yml"
    text = config.read_text(encoding="utf-8")
    head = "models:\n  openai_audit:\n"
    assert head in text
    # what a user's project does to switch one detection off
    config.write_text(
        text.replace(
            head,
            head + "    detections:\n      openai_audit__detection_scim_changed:\n"
            "        +enabled: false\n",
        ),
        encoding="utf-8",
    )
    code, output = _run(
        warehouse,
        tmp_path,
        project,
        "compile",
        "--select",
        "int_openai_audit__alert_matches",
        "openai_audit__alerts",
        "openai_audit__ocsf_findings",
    )
    assert code == 0, output[-3000:]
    compiled = tmp_path / "target" / "compiled" / "openai_audit" / "models" / "detections"
    matches = (compiled / "int_openai_audit__alert_matches.sql").read_text(encoding="utf-8")
    assert "'sso_connection_changed'" in matches
    assert "'scim_changed'" not in matches

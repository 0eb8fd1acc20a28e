"""The Meltano utility as meltano.yml defines it, and docs/notify.md's route to a pager."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.e2e.support import meltano_environment
from tests.services import PROJECT_ROOT, active_database, meltano

if TYPE_CHECKING:
    from pathlib import Path

    from tests.notify.conftest import Runs
    from tests.notify.support import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]


def _project(folder: Path) -> Path:
    """A project holding meltano.yml's notifier and the docs' pager inherited from it."""
    shipped = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text("utf-8"))
    (shipped_utility,) = [
        u for u in shipped["plugins"]["utilities"] if u["name"] == "openai-audit-notify"
    ]
    utility: dict[str, Any] = dict(shipped_utility, pip_url=f"-e {PROJECT_ROOT / 'notify'}")
    pager = {
        "name": "openai-audit-notify-pager",
        "inherit_from": "openai-audit-notify",
        "config": {"min_severity": "high"},
    }
    project = {
        "default_environment": "dev",
        "project_id": "notify-meltano-test",
        "send_anonymous_usage_stats": False,
        "environments": [{"name": "dev"}],
        "plugins": {"utilities": [utility, pager]},
    }
    folder.mkdir()
    (folder / "meltano.yml").write_text(yaml.safe_dump(project, sort_keys=False), "utf-8")
    return folder


def test_the_utility_sends_and_an_inherited_one_pages_only_high_and_critical(
    runs: Runs, warehouse: Warehouse, meltano_bin: Path, tmp_path: Path
) -> None:
    critical, high = warehouse.add("critical"), warehouse.add("high")
    medium = warehouse.add("medium")
    channel, pager = runs.receiver(), runs.receiver()
    project = _project(tmp_path / "project")
    database = active_database()
    assert database is not None
    env = meltano_environment(tmp_path / "sys", tmp_path, "unused") | {
        "OPENAI_AUDIT_NOTIFY_DESTINATIONS": channel.url,
        "OPENAI_AUDIT_NOTIFY_PAGER_DESTINATIONS": pager.url,
        "OPENAI_AUDIT_NOTIFY_DATABASE_URL": database.url(),
        "OPENAI_AUDIT_NOTIFY_SCHEMA": warehouse.schema,
    }

    meltano(meltano_bin, env, "install", project=project)
    outputs = [
        meltano(meltano_bin, env, "invoke", f"{name}:send", project=project)
        for name in ("openai-audit-notify", "openai-audit-notify-pager")
    ]
    runs.outputs.extend(outputs)

    assert channel.alert_ids == [critical, high, medium]
    assert pager.alert_ids == [critical, high]
    assert all("sent" in output for output in outputs)

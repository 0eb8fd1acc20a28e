"""Someone else's Meltano project: the README's steps, the built wheel, PostgreSQL at the end.

`meltano init` makes a new project in a temporary folder; everything the README's "Add it to
your Meltano project" says to paste goes in as it stands (plugins, jobs, schedules, and the dbt
project's files in `transform/`), with three local stand-ins: `pip_url` is the wheel just built
instead of the git URL, `packages.yml` installs this checkout's `transform/` instead of the git
tag, and the schema is the test's own. Then the README's commands run, in order, with the
emulator as the API: they end in the two jobs, and the jobs end in `dbt-postgres:build` and
`openai-audit-notify:send` (the notifier's wheel, sending to a local webhook). Only
Meltano itself comes from this repository (`.venv-meltano`): not its `meltano.yml`, its
`.meltano/` or its plugin virtualenvs.
"""

from __future__ import annotations

import re
import shutil
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tests.e2e.support import meltano_environment
from tests.notify.support import Receiver
from tests.services import PROJECT_ROOT, meltano

if TYPE_CHECKING:
    from pathlib import Path

    from tests.packaging.conftest import Dists
    from tests.services import Connection

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

README = (PROJECT_ROOT / "README.md").read_text("utf-8")
SECTION = README.split("\n## Add it to your Meltano project\n", 1)[1].split("\n## ", 1)[0]


def pasted_project() -> dict[str, Any]:
    """The README's block to paste into `meltano.yml`: plugins, jobs and schedules."""
    blocks = re.findall(r"```yaml\n(.*?)```", SECTION, flags=re.DOTALL)
    (block,) = [b for b in blocks if b.startswith("plugins:")]
    pasted: dict[str, Any] = yaml.safe_load(block)
    return pasted


def pasted_plugins() -> dict[str, Any]:
    """The `plugins:` mapping of the README's block to paste."""
    plugins: dict[str, Any] = pasted_project()["plugins"]
    return plugins


def pasted_files() -> dict[str, dict[str, Any]]:
    """The files the README gives whole, by the path named in their first line (`# path`)."""
    blocks = re.findall(r"```yaml\n# (\S+)\n(.*?)```", SECTION, flags=re.DOTALL)
    return {path: yaml.safe_load(body) for path, body in blocks}


def readme_commands() -> list[str]:
    """The `meltano ...` commands the section tells the user to run, in order."""
    (block,) = re.findall(r"```sh\n(.*?)```", SECTION, flags=re.DOTALL)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("meltano")]


def test_the_readme_pins_the_git_url_to_this_version() -> None:
    from tap_openai_audit import __version__  # noqa: PLC0415 - only this test needs it

    extractor, _reconcile = pasted_plugins()["extractors"]
    assert extractor["pip_url"].endswith(f".git@v{__version__}")
    (package,) = pasted_files()["transform/packages.yml"]["packages"]
    assert package["revision"] == f"v{__version__}"
    assert readme_commands() == [
        "meltano install",
        "meltano invoke tap-openai-audit --test",
        "meltano invoke dbt-postgres:deps",
        "meltano run openai-audit-to-postgres",
        "meltano run openai-audit-reconcile-to-postgres",
    ]


def test_the_pasted_jobs_and_schedules_are_meltano_ymls() -> None:
    project = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text("utf-8"))
    pasted = pasted_project()
    assert pasted["jobs"] == project["jobs"]
    assert pasted["schedules"] == project["schedules"]
    names = {p["name"] for kind in pasted["plugins"].values() for p in kind}
    assert names == {
        "tap-openai-audit",
        "tap-openai-audit-reconcile",
        "target-postgres",
        "dbt-postgres",
        "openai-audit-notify",
    }


def _write_transform_project(project: Path) -> None:
    """The README's `transform/` files, installing this checkout's package instead of the tag.

    The schema the package reads is the loader's (TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA, set by
    meltano_environment), as in the user's project: the README's dbt_project.yml sets no var.
    """
    for relative, pasted in pasted_files().items():
        content = pasted
        if relative == "transform/packages.yml":
            content = {"packages": [{"local": str(PROJECT_ROOT / "transform")}]}
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content, sort_keys=False), "utf-8")
    profile = project / "transform" / "profiles" / "postgres" / "profiles.yml"
    profile.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "transform" / "profiles" / "postgres" / "profiles.yml", profile)


def test_a_new_meltano_project_runs_the_wheel_into_postgres(
    dists: Dists, meltano_bin: Path, postgres: Connection, tmp_path: Path
) -> None:
    schema = f"e2e_new_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(tmp_path / "unused", tmp_path, schema)
    for name in ("MELTANO_SYS_DIR_ROOT", "MELTANO_DATABASE_URI", "MELTANO_ENVIRONMENT"):
        del env[name]  # the new project's own `.meltano/` and system database
    for name in ("DBT_POSTGRES_SCHEMA", "DBT_POSTGRES_SOURCE_SCHEMA"):
        del env[name]  # the profile reads the loader's schema, as in the user's project
    meltano(meltano_bin, env, "init", "acme-elt", "--no-usage-stats", project=tmp_path)
    project = tmp_path / "acme-elt"
    definition = yaml.safe_load((project / "meltano.yml").read_text("utf-8"))
    pasted = pasted_project()
    pasted["plugins"]["extractors"][0]["pip_url"] = str(dists.wheel)
    (notifier,) = [u for u in pasted["plugins"]["utilities"] if u["name"] == "openai-audit-notify"]
    notifier["pip_url"] = str(dists.notify_wheel)
    definition |= pasted
    (project / "meltano.yml").write_text(yaml.safe_dump(definition, sort_keys=False), "utf-8")
    _write_transform_project(project)
    models = f"{schema}_models"

    webhook = Receiver()
    with Emulator() as emu:
        env |= {
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "DBT_POSTGRES_SCHEMA": models,
            # The jobs end in openai-audit-notify:send: every alert to a local webhook, once.
            "OPENAI_AUDIT_NOTIFY_DESTINATIONS": webhook.url,
            "OPENAI_AUDIT_NOTIFY_MAX_PER_RUN": "10000",
        }
        try:
            outputs = [
                meltano(meltano_bin, env, *c.split()[1:], project=project)
                for c in readme_commands()
            ]
            schedules = meltano(meltano_bin, env, "schedule", "list", project=project)
            ids = [
                row[0]
                for row in postgres.execute(
                    sql.SQL("select id from {}.audit_logs").format(sql.Identifier(schema))
                )
            ]
            (staged,) = postgres.execute(
                sql.SQL("select count(*) from {}.stg_openai_audit__events").format(
                    sql.Identifier(models)
                )
            ).fetchone() or (None,)
            alerts = postgres.execute(
                sql.SQL("select detection_id from {}.openai_audit__alerts").format(
                    sql.Identifier(models)
                )
            ).fetchall()
            to_send = {
                row[0]
                for row in postgres.execute(
                    sql.SQL(
                        "select alert_id from {}.openai_audit__alerts where status = 'open' "
                        "and severity in ('medium', 'high', 'critical')"
                    ).format(sql.Identifier(models))
                )
            }
            organization = {e["id"] for e in emu.ground_truth()}
            tenant = {e["id"] for e in emu.ground_truth(tenant_only=True)}
        finally:
            webhook.close()
            for name in (schema, models):
                postgres.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name))
                )
    # `--test` (the SDK's connection test) exited 0 after the first record of the audit log.
    assert '"type":"RECORD","stream":"audit_logs"' in outputs[1].replace(" ", "")
    assert len(ids) == len(set(ids))
    assert organization <= set(ids) <= organization | tenant
    # Both jobs ended in dbt-postgres:build over the tables they loaded.
    assert staged == len(ids)
    assert alerts  # the default organization holds every event type, IP allowlist changes too
    # Each open alert of medium severity or more reached the webhook once, over both jobs.
    assert to_send
    assert sorted(webhook.alert_ids) == sorted(to_send)
    assert not any(secret in "".join(outputs) for secret in webhook.secrets)
    assert "openai-audit-hourly" in schedules
    assert "openai-audit-reconcile-daily" in schedules
    # The plugin's virtualenv holds the tap and its dependencies, not the emulator.
    venv = project / ".meltano" / "extractors" / "tap-openai-audit" / "venv"
    assert (venv / "bin" / "tap-openai-audit").exists()
    assert not list(venv.glob("bin/openai-audit-emulator*"))
    assert not list(venv.glob("lib/python*/site-packages/openai_audit_emulator*"))


def test_the_pasted_settings_are_the_ones_meltano_yml_declares() -> None:
    # tests/test_meltano_settings.py keeps meltano.yml equal to the tap; this keeps the paste
    # block equal to meltano.yml (scripts/sync_settings.py rewrites both).
    project = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text("utf-8"))
    (ours,) = [e for e in project["plugins"]["extractors"] if e["name"] == "tap-openai-audit"]
    pasted, _reconcile = pasted_plugins()["extractors"]
    assert [(s["name"], s["kind"]) for s in pasted["settings"]] == [
        (s["name"], s["kind"]) for s in ours["settings"]
    ], "run `.venv/bin/python scripts/sync_settings.py`"
    assert pasted["capabilities"] == ours["capabilities"]
    # The dbt utility as meltano.yml defines it: the settings meltano-dbt-ext reads by their
    # `env:` names, with the same values, and every connection setting.
    (dbt,) = [u for u in project["plugins"]["utilities"] if u["name"] == "dbt-postgres"]
    (pasted_dbt,) = [u for u in pasted_plugins()["utilities"] if u["name"] == "dbt-postgres"]
    assert pasted_dbt["pip_url"] == dbt["pip_url"]
    assert [s["name"] for s in pasted_dbt["settings"]] == [s["name"] for s in dbt["settings"]]
    for ours_setting, pasted_setting in zip(dbt["settings"], pasted_dbt["settings"], strict=True):
        for key in ("kind", "env", "value"):
            assert pasted_setting.get(key) == ours_setting.get(key), (ours_setting["name"], key)

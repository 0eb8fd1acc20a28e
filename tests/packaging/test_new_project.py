"""Someone else's Meltano project: the README's steps, the built wheel, PostgreSQL at the end.

`meltano init` makes a new project in a temporary folder; the extractor and loader definitions
are pasted from the README's "Add it to your Meltano project" (only `pip_url` points at the
wheel just built instead of the git URL); then the README's commands run, with the emulator as
the API. Only Meltano itself comes from this repository (`.venv-meltano`): not its
`meltano.yml`, its `.meltano/` or its plugin virtualenvs.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tests.e2e.support import meltano_environment
from tests.services import PROJECT_ROOT, meltano

if TYPE_CHECKING:
    from pathlib import Path

    from tests.packaging.conftest import Dists
    from tests.services import Connection

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

README = (PROJECT_ROOT / "README.md").read_text("utf-8")
SECTION = README.split("\n## Add it to your Meltano project\n", 1)[1].split("\n## ", 1)[0]


def pasted_plugins() -> dict[str, Any]:
    """The `plugins:` mapping of the README's block to paste."""
    (block,) = re.findall(r"```yaml\n(.*?)```", SECTION, flags=re.DOTALL)
    plugins: dict[str, Any] = yaml.safe_load(block)["plugins"]
    return plugins


def readme_commands() -> list[str]:
    """The `meltano ...` commands the section tells the user to run, in order."""
    (block,) = re.findall(r"```sh\n(.*?)```", SECTION, flags=re.DOTALL)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("meltano")]


def test_the_readme_pins_the_git_url_to_this_version() -> None:
    from tap_openai_audit import __version__  # noqa: PLC0415 - only this test needs it

    (extractor,) = pasted_plugins()["extractors"]
    assert extractor["pip_url"].endswith(f".git@v{__version__}")
    assert readme_commands() == [
        "meltano install",
        "meltano invoke tap-openai-audit --test",
        "meltano run tap-openai-audit target-postgres",
    ]


def test_a_new_meltano_project_runs_the_wheel_into_postgres(
    dists: Dists, meltano_bin: Path, postgres: Connection, tmp_path: Path
) -> None:
    schema = f"e2e_new_{uuid.uuid4().hex[:12]}"
    env = meltano_environment(tmp_path / "unused", tmp_path, schema)
    for name in ("MELTANO_SYS_DIR_ROOT", "MELTANO_DATABASE_URI", "MELTANO_ENVIRONMENT"):
        del env[name]  # the new project's own `.meltano/` and system database
    meltano(meltano_bin, env, "init", "acme-elt", "--no-usage-stats", project=tmp_path)
    project = tmp_path / "acme-elt"
    definition = yaml.safe_load((project / "meltano.yml").read_text("utf-8"))
    plugins = pasted_plugins()
    plugins["extractors"][0]["pip_url"] = str(dists.wheel)
    definition["plugins"] = plugins
    (project / "meltano.yml").write_text(yaml.safe_dump(definition, sort_keys=False), "utf-8")

    with Emulator() as emu:
        env |= {
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
        }
        try:
            outputs = [
                meltano(meltano_bin, env, *c.split()[1:], project=project)
                for c in readme_commands()
            ]
            ids = [
                row[0]
                for row in postgres.execute(
                    sql.SQL("select id from {}.audit_logs").format(sql.Identifier(schema))
                )
            ]
            organization = {e["id"] for e in emu.ground_truth()}
            tenant = {e["id"] for e in emu.ground_truth(tenant_only=True)}
        finally:
            postgres.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )
    assert "Connection test passed" in outputs[1]
    assert len(ids) == len(set(ids))
    assert organization <= set(ids) <= organization | tenant
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
    (pasted,) = pasted_plugins()["extractors"]
    assert [(s["name"], s["kind"]) for s in pasted["settings"]] == [
        (s["name"], s["kind"]) for s in ours["settings"]
    ], "run `.venv/bin/python scripts/sync_settings.py`"
    assert pasted["capabilities"] == ours["capabilities"]

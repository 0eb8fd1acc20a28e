"""One connection: dbt builds on the server the loader was pointed at, however it was pointed.

Each documented way of configuring target-postgres (exported variables, `meltano config set`,
`.env`, and the README's paste block configured with `meltano config set`) loads the emulator's
audit log into a database of its own on the test server, through `meltano run tap-openai-audit
target-postgres dbt-postgres:<command>`. The models must then be in that database, over the rows
loaded there: before the fix, dbt read `postgres` on localhost and passed with no rows. A
missing setting and a schema without the tap's tables stop the build with one line naming them.

Every case is a project folder of its own (its own `.env`), sharing one `.meltano` whose plugins
are installed once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
import yaml
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator
from tests.services import PROJECT_ROOT, active_database, meltano

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.services import Connection, Database

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

README = (PROJECT_ROOT / "README.md").read_text("utf-8")
ADD_IT = README.split("\n## Add it to your Meltano project\n", 1)[1].split("\n## ", 1)[0]
# Two staging models are enough to see where dbt connected (the whole build is tested elsewhere).
STAGE = "run --select stg_openai_audit__events stg_openai_audit__audit_log_reads"
WAYS = ["variables", "config-set", "dotenv", "paste-block"]


def _base_env(sys_dir: Path, api_url: str) -> dict[str, str]:
    """Meltano's environment without any loader or dbt setting of the developer's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(
            ("TAP_OPENAI_AUDIT", "TARGET_POSTGRES", "DBT_", "OPENAI_", "MELTANO_")
        )
    }
    env.update(
        MELTANO_SYS_DIR_ROOT=str(sys_dir),
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        TAP_OPENAI_AUDIT_API_URL=api_url,
        TAP_OPENAI_AUDIT_ADMIN_API_KEY=DEFAULT_ADMIN_KEY,
        # The audit log and its ledger: the inventory plays no part in the connection.
        TAP_OPENAI_AUDIT__SELECT='["audit_logs.*", "audit_log_reads.*"]',
    )
    return env


def _with_stage_command(definition: dict[str, Any]) -> dict[str, Any]:
    """`definition` with the tap installed from this checkout and a `stage` dbt command."""
    (extractor, *_inheriting) = definition["plugins"]["extractors"]
    extractor["pip_url"] = f"-e {PROJECT_ROOT}"
    dbt = next(u for u in definition["plugins"]["utilities"] if u["name"] == "dbt-postgres")
    dbt["commands"]["stage"] = {"args": STAGE}
    return definition


def _repository_project(folder: Path) -> Path:
    """A copy of this repository's Meltano project: meltano.yml and the dbt package."""
    folder.mkdir()
    definition = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text("utf-8"))
    (folder / "meltano.yml").write_text(yaml.safe_dump(_with_stage_command(definition)), "utf-8")
    shutil.copytree(
        PROJECT_ROOT / "transform",
        folder / "transform",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    return folder


def _pasted_project(folder: Path) -> Path:
    """A new project made of the README's paste block and its `transform/` files."""
    folder.mkdir()
    blocks = re.findall(r"```yaml\n(.*?)```", ADD_IT, flags=re.DOTALL)
    (block,) = [b for b in blocks if b.startswith("plugins:")]
    definition = {
        "project_id": "acme-elt",
        "default_environment": "dev",
        "environments": [{"name": "dev"}],
        "send_anonymous_usage_stats": False,
        **yaml.safe_load(block),
    }
    (folder / "meltano.yml").write_text(yaml.safe_dump(_with_stage_command(definition)), "utf-8")
    for relative, body in re.findall(r"```yaml\n# (\S+)\n(.*?)```", ADD_IT, flags=re.DOTALL):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, "utf-8")
    # The `local:` route the README gives beside the git one: this checkout's package.
    (folder / "transform" / "packages.yml").write_text(
        yaml.safe_dump({"packages": [{"local": str(PROJECT_ROOT / "transform")}]}), "utf-8"
    )
    profile = folder / "transform" / "profiles" / "postgres"
    profile.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "transform" / "profiles" / "postgres" / "profiles.yml", profile)
    return folder


def _loader_settings(database: Database, dbname: str, schema: str) -> dict[str, str]:
    return {
        "host": database.host,
        "port": str(database.port),
        "user": database.user,
        "password": database.password,
        "database": dbname,
        "default_target_schema": schema,
    }


@dataclass(frozen=True)
class Shared:
    """What every case shares: Meltano, its `.meltano` with the plugins, the API, the server."""

    meltano_bin: Path
    sys_dir: Path
    api_url: str
    database: Database

    def env(self, folder: Path) -> dict[str, str]:
        """The base environment, with a system database of its own in `folder`."""
        env = _base_env(self.sys_dir, self.api_url)
        env["MELTANO_DATABASE_URI"] = f"sqlite:///{folder / 'meltano.db'}"
        return env


def _configure(
    way: str, shared: Shared, project: Path, env: dict[str, str], settings: dict[str, str]
) -> None:
    """Point target-postgres at `settings` the way `way` names, as the docs say."""
    if way == "variables":
        env.update({f"TARGET_POSTGRES_{k.upper()}": v for k, v in settings.items()})
    elif way == "dotenv":
        lines = [f"TARGET_POSTGRES_{k.upper()}='{v}'" for k, v in settings.items()]
        (project / ".env").write_text("\n".join(lines) + "\n", "utf-8")
    else:  # `meltano config set`, in this repository's project or a pasted one
        for name, value in settings.items():
            if name == "password" and not value:
                continue  # the pasted and the shipped definitions default it to ''
            set_it = ("config", "set", "target-postgres", name, value)
            meltano(shared.meltano_bin, env, *set_it, project=project)


@pytest.fixture(scope="module")
def shared(
    meltano_bin: Path, postgres: Connection, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    """One `.meltano` with the plugins installed once, and one emulator."""
    del postgres  # asked for so that the session's server is up: active_database() names it
    database = active_database()
    assert database is not None
    with Emulator() as emu:
        shared = Shared(meltano_bin, tmp_path_factory.mktemp("meltano-sys"), emu.url, database)
        folder = tmp_path_factory.mktemp("install")
        project = _repository_project(folder / "project")
        for kind, name in (
            ("extractor", "tap-openai-audit"),
            ("loader", "target-postgres"),
            ("utility", "dbt-postgres"),
        ):
            meltano(meltano_bin, shared.env(folder), "install", kind, name, project=project)
        yield shared


@pytest.fixture
def scratch_database(postgres: Connection) -> Iterator[str]:
    """A database of its own on the test server, dropped after the test."""
    name = f"conn_{uuid.uuid4().hex[:10]}"
    postgres.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        postgres.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


@pytest.mark.parametrize("way", WAYS)
def test_dbt_builds_where_the_loader_was_pointed(
    way: str, shared: Shared, scratch_database: str, tmp_path: Path
) -> None:
    env = shared.env(tmp_path)
    make = _pasted_project if way == "paste-block" else _repository_project
    project = make(tmp_path / "project")
    schema = f"s_{uuid.uuid4().hex[:10]}"
    _configure(
        way, shared, project, env, _loader_settings(shared.database, scratch_database, schema)
    )
    if way == "paste-block":
        meltano(shared.meltano_bin, env, "invoke", "dbt-postgres:deps", project=project)
    output = meltano(
        shared.meltano_bin,
        env,
        "run",
        "tap-openai-audit",
        "target-postgres",
        "dbt-postgres:stage",
        project=project,
    )
    # The source check warned once, naming every missing inventory table (none was selected).
    (warning,) = [
        line for line in output.splitlines() if "their staging models build empty" in line
    ]
    assert "users" in warning
    assert "project_group_roles" in warning
    with psycopg.connect(shared.database.url(scratch_database), autocommit=True) as there:
        loaded = there.execute(
            sql.SQL("select count(*) from {}").format(sql.Identifier(schema, "audit_logs"))
        ).fetchone()
        staged = there.execute(
            sql.SQL("select count(*) from {}").format(
                sql.Identifier(f"{schema}_models", "stg_openai_audit__events")
            )
        ).fetchone()
    assert loaded is not None
    assert loaded[0] > 0
    assert staged == loaded


def _failed_stage(shared: Shared, env: dict[str, str], project: Path) -> str:
    """`meltano run dbt-postgres:stage`, which must fail: its output."""
    done = subprocess.run(
        [str(shared.meltano_bin), "run", "dbt-postgres:stage"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_a_loader_without_a_host_stops_dbt_naming_the_setting(
    shared: Shared, tmp_path: Path
) -> None:
    database = shared.database
    env = shared.env(tmp_path)
    project = _repository_project(tmp_path / "project")
    env.update(TARGET_POSTGRES_USER=database.user, TARGET_POSTGRES_DATABASE=database.dbname)
    output = _failed_stage(shared, env, project)
    assert "TARGET_POSTGRES_HOST (the loader host, unset" in output
    assert "meltano config set target-postgres host" in output


def test_a_schema_without_the_tables_stops_the_build_naming_where_it_looked(
    shared: Shared, tmp_path: Path
) -> None:
    database = shared.database
    env = shared.env(tmp_path)
    project = _repository_project(tmp_path / "project")
    schema = f"nothing_{uuid.uuid4().hex[:10]}"
    env.update(
        {
            f"TARGET_POSTGRES_{k.upper()}": v
            for k, v in _loader_settings(database, database.dbname, schema).items()
        }
    )
    output = _failed_stage(shared, env, project)
    (line,) = [
        line
        for line in output.splitlines()
        if "openai_audit: no audit_log_reads or audit_logs" in line
    ]
    assert (
        f"in schema {schema} on {database.host}:{database.port}, database {database.dbname}" in line
    )
    assert "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA" in line

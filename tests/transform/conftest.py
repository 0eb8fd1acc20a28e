"""The emulator's organization, loaded through Meltano and built by `dbt-postgres:build`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from openai_audit_emulator import DEFAULT_ADMIN_KEY, Emulator, hostile_events
from tests.e2e.support import meltano_environment
from tests.services import active_database, meltano

from .support import DBT_IN_SYS_DIR, drop_schemas

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.services import Connection, Database


@dataclass(frozen=True)
class Warehouse:
    """The loaded schema, the schema the models were built in, and how to run dbt again."""

    database: Database
    source_schema: str
    model_schema: str
    dbt_bin: Path
    dbt_seconds: float  # what dbt-postgres:build reported for the first build


@pytest.fixture(scope="session")
def warehouse(
    meltano_bin: Path, postgres: Connection, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """The default organization plus the hostile events, through the project's own command.

    `meltano run tap-openai-audit target-postgres dbt-postgres:build`, with the dbt utility
    installed by Meltano from meltano.yml's pins: the same dbt the other tests then run
    directly.
    """
    schema = f"tr_{uuid.uuid4().hex[:12]}"
    sys_dir = tmp_path_factory.mktemp("meltano-sys")
    work = tmp_path_factory.mktemp("dbt")
    env = meltano_environment(sys_dir, tmp_path_factory.mktemp("meltano"), schema)
    database = active_database()
    assert database is not None
    with Emulator() as emu:
        emu.add_events(hostile_events())
        env |= {
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
            "DBT_TARGET_PATH": str(work / "target"),
            "DBT_LOG_PATH": str(work / "logs"),
        }
        try:
            meltano(meltano_bin, env, "install", "utility", "dbt-postgres")
            output = meltano(
                meltano_bin,
                env,
                "run",
                "--install",
                "tap-openai-audit",
                "target-postgres",
                "dbt-postgres:build",
            )
            yield Warehouse(
                database=database,
                source_schema=schema,
                model_schema=f"{schema}_models",
                dbt_bin=sys_dir.joinpath(*DBT_IN_SYS_DIR),
                dbt_seconds=float(re.findall(r"Finished running .* \(([0-9.]+)s\)", output)[-1]),
            )
        finally:
            drop_schemas(postgres, schema, f"{schema}_models")

"""Several organizations: one package over two extractors' schemas (`openai_audit_sources`).

The session's warehouse holds the emulator's default organization. A second one, with people,
projects, keys and events of its own, is loaded through Meltano into a schema of its own. Every
model (staging, coverage, access review, detections and alerts, OCSF) is then built once over
both, and each model's rows of each organization must be exactly what a build of that
organization alone gives: no rule, grouping or join mixes two organizations' events.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from openai_audit_emulator import DEFAULT_ADMIN_KEY, DEFAULT_END, Emulator
from openai_audit_emulator.generator import generate_events, organization_for
from tests.e2e.support import meltano_environment
from tests.services import meltano

from .support import TRANSFORM, dbt, dbt_environment, drop_schemas, fingerprint

if TYPE_CHECKING:
    from pathlib import Path

    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

FOLDERS = ("staging", "coverage", "access_review", "detections", "ocsf")
# the seeds too: the detections and OCSF models read them, and each build has a schema of its own
SELECT = ("--select", *FOLDERS, "resource_type:seed", "--exclude-resource-type", "unit_test")
DAYS = 10


def _models() -> list[str]:
    return sorted(p.stem for f in FOLDERS for p in (TRANSFORM / "models" / f).glob("*.sql"))


def _load_second_organization(
    warehouse: Warehouse, meltano_bin: Path, schema: str, tmp_path: Path
) -> None:
    """A second organization's events and inventory, through Meltano, into `schema`."""
    start = DEFAULT_END - DAYS * 86400
    organization = organization_for(seed=2, count=600, start=start, end=DEFAULT_END)
    events = generate_events(
        seed=2, count=600, start=start, end=DEFAULT_END, organization=organization
    )
    # the warehouse's Meltano: its plugins are installed in the dbt utility's system folder
    sys_dir = warehouse.dbt_bin.parents[4]
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = meltano_environment(sys_dir, tmp_path, schema)
    with Emulator(events, organization=organization) as emu:
        env |= {
            "TAP_OPENAI_AUDIT_API_URL": emu.url,
            "TAP_OPENAI_AUDIT_ADMIN_API_KEY": DEFAULT_ADMIN_KEY,
        }
        meltano(meltano_bin, env, "run", "tap-openai-audit", "target-postgres")


def _per_organization(
    postgres: Connection, schema: str, organization: str
) -> dict[str, tuple[Any, ...]]:
    """`fingerprint` of each model of `schema`, over the rows of `organization` only."""
    prints = {}
    for table in _models():
        query = sql.SQL(
            "select count(*), md5(coalesce(string_agg(md5(t::text), '' order by md5(t::text)), ''))"
            " from (select * from {} where organization = %s) as t"
        ).format(sql.Identifier(schema, table))
        row = postgres.execute(query, (organization,)).fetchone()
        assert row is not None
        prints[table] = tuple(row)
    return prints


def test_two_organizations_build_as_each_alone(
    warehouse: Warehouse, meltano_bin: Path, postgres: Connection, tmp_path: Path
) -> None:
    second = f"org2_{uuid.uuid4().hex[:10]}"
    alone = [f"{warehouse.source_schema}_alone", f"{second}_models"]
    both = f"{second}_both"
    try:
        _load_second_organization(warehouse, meltano_bin, second, tmp_path / "meltano")
        for source, models, organization in (
            (warehouse.source_schema, alone[0], "first"),
            (second, alone[1], "second"),
        ):
            env = dbt_environment(warehouse.database, source, models, tmp_path / models)
            dbt(
                warehouse.dbt_bin,
                env,
                "build",
                *SELECT,
                "--vars",
                f"openai_audit_organization: {organization}",
            )
        sources = (
            f"openai_audit_sources: [{{schema: {warehouse.source_schema}, organization: first}},"
            f" {{schema: {second}, organization: second}}]"
        )
        env = dbt_environment(warehouse.database, second, both, tmp_path / both)
        dbt(warehouse.dbt_bin, env, "build", *SELECT, "--vars", sources)

        first_alone = _per_organization(postgres, alone[0], "first")
        second_alone = _per_organization(postgres, alone[1], "second")
        assert _per_organization(postgres, both, "first") == first_alone
        assert _per_organization(postgres, both, "second") == second_alone
        # Both organizations have events, a ledger, inventory and findings of their own, and
        # every row of the union build belongs to one of them.
        for name in (
            "stg_openai_audit__events",
            "stg_openai_audit__users",
            "openai_audit__coverage",
            "openai_audit__access_review",
            "int_openai_audit__detection_events",
            "openai_audit__ocsf_events",
            "int_openai_audit__alert_matches",
            "openai_audit__alerts",
            "openai_audit__ocsf_findings",
        ):
            assert first_alone[name][0] > 0, name
            assert second_alone[name][0] > 0, name
        total = fingerprint(postgres, both)
        for name in _models():
            assert total[name][0] == first_alone[name][0] + second_alone[name][0], name
    finally:
        drop_schemas(postgres, second, both, *alone)

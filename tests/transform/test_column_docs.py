"""Every column of every staging, coverage and access-review model has a description.

The YAML is compared with the relations the build made, so a column added to a model without
its description (or a description left for a column that is gone) fails here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import yaml

from .support import TRANSFORM, relations

if TYPE_CHECKING:
    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

FOLDERS = ("staging", "coverage", "access_review")


def _documented() -> dict[str, dict[str, Any]]:
    """Every model of FOLDERS as its YAML describes it, by name."""
    models: dict[str, dict[str, Any]] = {}
    for folder in FOLDERS:
        for path in sorted((TRANSFORM / "models" / folder).glob("*.yml")):
            for model in yaml.safe_load(path.read_text("utf-8")).get("models", []):
                models[model["name"]] = model
    return models


def test_every_column_of_every_model_is_described(
    warehouse: Warehouse, postgres: Connection
) -> None:
    documented = _documented()
    sql_files = {p.stem for f in FOLDERS for p in (TRANSFORM / "models" / f).glob("*.sql")}
    assert set(documented) == sql_files
    built = set(relations(postgres, warehouse.model_schema))
    for name, model in documented.items():
        assert name in built, name
        assert str(model.get("description", "")).strip(), name
        rows = postgres.execute(
            "select column_name from information_schema.columns"
            " where table_schema = %s and table_name = %s order by ordinal_position",
            (warehouse.model_schema, name),
        ).fetchall()
        columns = {c["name"]: str(c.get("description", "")).strip() for c in model["columns"]}
        assert list(columns) == [str(column) for (column,) in rows], name
        assert all(columns.values()), (name, [c for c, text in columns.items() if not text])

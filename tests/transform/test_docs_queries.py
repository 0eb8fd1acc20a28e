"""The SQL examples of the README and docs/ marked `tested:` run on a built warehouse.

The warehouse is the session's one build (conftest.py `warehouse`): the emulator's organization
loaded through Meltano and built by `dbt-postgres:build`, what `make demo` builds. Each block
runs in a transaction that is rolled back, so an example that creates a view leaves nothing
behind for the other tests. `openai_audit.` and `openai_audit_models.` in an example are the
loader's and the models' schemas, the defaults the docs use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests import docs

if TYPE_CHECKING:
    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

QUERIES = [
    pytest.param(e, id=e.where)
    for e in docs.examples()
    if e.language == "sql" and e.kind == "tested" and not e.detail.startswith("by ")
]


@pytest.mark.parametrize("example", QUERIES)
def test_the_sql_example_answers_as_marked(
    example: docs.Example, warehouse: Warehouse, postgres: Connection
) -> None:
    text = example.text.replace("openai_audit_models.", f"{warehouse.model_schema}.")
    text = text.replace("openai_audit.", f"{warehouse.source_schema}.")
    counts = []
    with postgres.transaction(force_rollback=True):
        for statement in docs.statements(text):
            cursor = postgres.execute(statement.encode())
            if cursor.description is not None:  # a query, not DDL
                counts.append(len(cursor.fetchall()))
    if example.detail == "returns rows":
        assert counts, f"{example.where} holds no query"
        assert all(counts), f"{example.where}: a query returned no rows ({counts})"
    elif example.detail == "returns no rows":
        assert counts, f"{example.where} holds no query"
        assert not any(counts), f"{example.where}: expected no rows, got {counts}"

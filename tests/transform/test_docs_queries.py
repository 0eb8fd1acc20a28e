"""docs/transform.md's example queries return rows against the emulator's organization."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests import docs

if TYPE_CHECKING:
    from tests.services import Connection

    from .conftest import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

QUERIES = [
    query.strip()
    for block in docs.sql_blocks(docs.section("transform.md", "Example queries"))
    for query in block.split(";")
    if query.strip()
]


def test_the_page_has_its_three_queries() -> None:
    assert len(QUERIES) == 3


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: query.splitlines()[0][3:40])
def test_each_example_query_returns_rows(
    query: str, warehouse: Warehouse, postgres: Connection
) -> None:
    assert "openai_audit_models." in query
    rows = postgres.execute(  # the page's text, in the test's schema
        query.replace("openai_audit_models.", f"{warehouse.model_schema}.")
    ).fetchall()
    assert rows

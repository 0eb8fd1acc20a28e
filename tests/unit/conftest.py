"""The unit tests fail on a ResourceWarning: no socket, file or pipe is left to the collector.

pyproject.toml still ignores ResourceWarning for the whole suite (other folders start servers
and tools that leave some); these folders prove the tap's own code leaves none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

RESOURCES_CLOSED = pytest.mark.filterwarnings("error::ResourceWarning")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(RESOURCES_CLOSED)

"""What the end-to-end tests need besides Meltano and PostgreSQL (see `tests/services.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def meltano_sys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `.meltano` for this session only: plugins are installed once into it (uv's cache
    keeps that to seconds), and no other Meltano process touches its catalogs."""
    return tmp_path_factory.mktemp("meltano-sys")

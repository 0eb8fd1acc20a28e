"""Shared by the end-to-end tests: where things are, and an isolated Meltano environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT, PG_USER, PG_DATABASE = "127.0.0.1", 5432, "postgres", "test"


def meltano_environment(state_dir: Path, schema: str) -> dict[str, str]:
    """Environment for `meltano` with its own system database (so its own state) and schema.

    Plugin venvs stay in the project's `.meltano/` (a cache shared with `make demo`); runs and
    state go to a fresh SQLite file, so a test never reads or moves a real bookmark. Nothing
    the developer exported for real runs (keys, targets, Meltano options) gets through.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAP_OPENAI_AUDIT", "TARGET_POSTGRES", "OPENAI_", "MELTANO_"))
    }
    env.update(
        MELTANO_DATABASE_URI=f"sqlite:///{state_dir / 'meltano.db'}",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_ENVIRONMENT="dev",
        TARGET_POSTGRES_HOST=PG_HOST,
        TARGET_POSTGRES_PORT=str(PG_PORT),
        TARGET_POSTGRES_USER=PG_USER,
        TARGET_POSTGRES_DATABASE=PG_DATABASE,
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
        # A session time zone other than UTC, as a server or role may set: meltano.yml pins
        # PGTZ=UTC for target-postgres, and the tests check effective_at still holds UTC.
        PGTZ="America/New_York",
    )
    return env

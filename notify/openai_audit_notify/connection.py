"""Which PostgreSQL server and schema the notifier reads: the dbt utility's, unless told.

`database_url` wins. Without it, the same variables as the dbt utility's profile
(transform/profiles/postgres/profiles.yml), in the same order: `DBT_POSTGRES_<X>` (Meltano
sets them from the dbt utility's settings), then the loader's `TARGET_POSTGRES_<X>`. A host
found nowhere is an error naming the settings, never a silent localhost: reading an empty
server would look exactly like "no alerts".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from openai_audit_notify.errors import BadInput

if TYPE_CHECKING:
    from collections.abc import Mapping

# (libpq keyword, the dbt utility's variable, the loader's variable, default)
FIELDS = (
    ("host", "DBT_POSTGRES_HOST", "TARGET_POSTGRES_HOST", None),
    ("port", "DBT_POSTGRES_PORT", "TARGET_POSTGRES_PORT", "5432"),
    ("user", "DBT_POSTGRES_USER", "TARGET_POSTGRES_USER", "postgres"),
    ("password", "DBT_POSTGRES_PASSWORD", "TARGET_POSTGRES_PASSWORD", ""),
    ("dbname", "DBT_POSTGRES_DBNAME", "TARGET_POSTGRES_DATABASE", "postgres"),
)
LOADER_SCHEMA_DEFAULT = "openai_audit"  # target-postgres' default_target_schema in meltano.yml
CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Target:
    """A server to connect to: `conninfo` holds the password, `where` is safe to print."""

    conninfo: str
    where: str


def find_target(database_url: str | None, env: Mapping[str, str]) -> Target:
    """The server named by `database_url`, else by the dbt utility's variables."""
    if database_url is not None:
        try:
            params = conninfo_to_dict(database_url)
        except psycopg.ProgrammingError:
            msg = "database_url: not a libpq URL (postgresql://user@host:5432/dbname)"
            raise BadInput(msg) from None
    else:
        params = {}
        for keyword, dbt_name, loader_name, default in FIELDS:
            found = _first(env, dbt_name, loader_name, default)
            if found is None:
                msg = (
                    f"database_url is not set, nor {dbt_name} or {loader_name}: set one of "
                    "them to the loader's server (no localhost is assumed)"
                )
                raise BadInput(msg)
            params[keyword] = found
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    params["application_name"] = "openai-audit-notify"
    where = (
        f"{params.get('host') or 'the default host'}:{params.get('port') or 5432}, "
        f"database {params.get('dbname') or 'the default'}"
    )
    return Target(conninfo=make_conninfo("", **params), where=where)


def models_schema(env: Mapping[str, str]) -> str:
    """The dbt utility's models schema: DBT_POSTGRES_SCHEMA, else the loader's + `_models`."""
    found = _first(env, "DBT_POSTGRES_SCHEMA", None, None)
    if found is not None:
        return found
    loader = _first(env, "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA", None, LOADER_SCHEMA_DEFAULT)
    return f"{loader}_models"


def _first(
    env: Mapping[str, str], first: str, second: str | None, default: str | None
) -> str | None:
    for name in (first, second):
        if name is not None and env.get(name, "").strip():
            return env[name].strip()
    return default

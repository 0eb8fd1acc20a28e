"""Which PostgreSQL server and schema the notifier reads: the dbt utility's, unless told.

`database_url` wins. Without it, the variables the dbt utility's profile reads
(transform/profiles/postgres/profiles.yml, docs/connection.md), value by value and in the same
order: the dbt utility's own setting (`DBT_POSTGRES_<X>`), else the loader's
(`TARGET_POSTGRES_<X>`), which every documented way of configuring the loader sets. A loader
that connects through `sqlalchemy_url` is read through that URL. A host, user or database found
nowhere is an error naming the settings, never a silent localhost: reading an empty server
would look exactly like "no alerts".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from openai_audit_notify.errors import BadInput

if TYPE_CHECKING:
    from collections.abc import Mapping

# (libpq keyword, the dbt utility's variable, the loader's variable, default: None = required)
FIELDS = (
    ("host", "DBT_POSTGRES_HOST", "TARGET_POSTGRES_HOST", None),
    ("port", "DBT_POSTGRES_PORT", "TARGET_POSTGRES_PORT", "5432"),
    ("user", "DBT_POSTGRES_USER", "TARGET_POSTGRES_USER", None),
    ("password", "DBT_POSTGRES_PASSWORD", "TARGET_POSTGRES_PASSWORD", ""),
    ("dbname", "DBT_POSTGRES_DBNAME", "TARGET_POSTGRES_DATABASE", None),
)
LOADER_SCHEMA_DEFAULT = "openai_audit"  # target-postgres' default_target_schema in meltano.yml
CONNECT_TIMEOUT_SECONDS = 10
_DRIVER = re.compile(r"^(postgres(?:ql)?)\+[A-Za-z0-9_]+://")  # SQLAlchemy's postgresql+psycopg


@dataclass(frozen=True)
class Target:
    """A server to connect to: `conninfo` holds the password, `where` is safe to print."""

    conninfo: str
    where: str


def find_target(database_url: str | None, env: Mapping[str, str]) -> Target:
    """The server named by `database_url`, else by the dbt utility's and loader's variables."""
    loader_url = _first(env, "TARGET_POSTGRES_SQLALCHEMY_URL", None, None)
    params: dict[str, Any]
    if database_url is not None:
        params = _parse(database_url, "database_url")
    elif loader_url is not None and _first(env, "DBT_POSTGRES_HOST", None, None) is None:
        params = _parse(_DRIVER.sub(r"\1://", loader_url), "TARGET_POSTGRES_SQLALCHEMY_URL")
    else:
        params = {}
        for keyword, dbt_name, loader_name, default in FIELDS:
            found = _first(env, dbt_name, loader_name, default)
            if found is None:
                setting = loader_name.removeprefix("TARGET_POSTGRES_").lower()
                msg = (
                    f"database_url is not set, nor {dbt_name} or {loader_name}: set the loader's "
                    f"(export it, or meltano config set target-postgres {setting} ...); no "
                    "default server is assumed"
                )
                raise BadInput(msg)
            params[keyword] = found
        params["sslmode"] = _sslmode(env)
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    params["application_name"] = "openai-audit-notify"
    where = (
        f"{params.get('host') or 'the default host'}:{params.get('port') or 5432}, "
        f"database {params.get('dbname') or 'the default'}"
    )
    return Target(conninfo=make_conninfo("", **params), where=where)


def models_schema(env: Mapping[str, str]) -> str:
    """The dbt utility's models schema: DBT_POSTGRES_SCHEMA, else the source schema + `_models`."""
    found = _first(env, "DBT_POSTGRES_SCHEMA", None, None)
    if found is not None:
        return found
    source = _first(
        env, "DBT_POSTGRES_SOURCE_SCHEMA", "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA", None
    )
    return f"{source or LOADER_SCHEMA_DEFAULT}_models"


def _sslmode(env: Mapping[str, str]) -> str:
    """The dbt utility's sslmode, else the loader's ssl_mode when its ssl_enable is on."""
    own = _first(env, "DBT_POSTGRES_SSLMODE", None, None)
    if own is not None:
        return own
    if env.get("TARGET_POSTGRES_SSL_ENABLE", "").strip().lower() in {"true", "1"}:
        return _first(env, "TARGET_POSTGRES_SSL_MODE", None, "verify-full") or "verify-full"
    return "prefer"


def _parse(url: str, setting: str) -> dict[str, Any]:
    try:
        return dict(conninfo_to_dict(url))
    except psycopg.ProgrammingError:
        msg = f"{setting}: not a libpq URL (postgresql://user@host:5432/dbname)"
        raise BadInput(msg) from None


def _first(
    env: Mapping[str, str], first: str, second: str | None, default: str | None
) -> str | None:
    for name in (first, second):
        if name is not None and env.get(name, "").strip():
            # A password is taken as it is: spaces may be part of it.
            return env[name] if name.endswith("PASSWORD") else env[name].strip()
    return default

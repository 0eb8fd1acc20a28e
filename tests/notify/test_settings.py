"""Settings and the connection fallback, without a server."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from openai_audit_notify.connection import find_target, models_schema
from openai_audit_notify.destinations import destination_key, load_destinations
from openai_audit_notify.errors import BadInput
from openai_audit_notify.settings import parse_destinations, read_settings

SECRET = "xoxb-SECRET-token-0001"  # noqa: S105 - stands for a token that must not leak


def test_the_defaults_are_the_documented_ones() -> None:
    settings = read_settings({})
    assert settings.destinations == ()
    assert settings.min_severity == "medium"
    assert settings.backlog_hours == 24
    assert settings.max_per_run == 50
    assert settings.dry_run is False
    assert settings.severities == ("medium", "high", "critical")


def test_destinations_are_a_json_list_or_separated_by_whitespace() -> None:
    urls = ("json://a.example/x?y=1,2", "slack://T/B/C")
    assert parse_destinations(" \n".join(urls) + "\n") == urls
    assert parse_destinations('["json://a.example/x?y=1,2", " slack://T/B/C "]') == urls
    assert parse_destinations("   ") == ()


@pytest.mark.parametrize("raw", [f'["{SECRET}"', f'["{SECRET}", 3]', f'[{{"a": "{SECRET}"}}]'])
def test_a_bad_destinations_value_is_named_without_echoing_it(raw: str) -> None:
    with pytest.raises(BadInput, match=r"^destinations: ") as caught:
        parse_destinations(raw)
    assert SECRET not in str(caught.value)


def test_the_dbt_utilitys_variables_come_before_the_loaders() -> None:
    env = {
        "DBT_POSTGRES_HOST": "dbt.internal",
        "TARGET_POSTGRES_HOST": "loader.internal",
        "TARGET_POSTGRES_PORT": "6543",
        "TARGET_POSTGRES_USER": "loader",
        "TARGET_POSTGRES_PASSWORD": "pw with spaces",
        "TARGET_POSTGRES_DATABASE": "warehouse",
    }
    params = conninfo_to_dict(find_target(None, env).conninfo)
    assert (params["host"], params["port"], params["user"]) == ("dbt.internal", "6543", "loader")
    assert (params["password"], params["dbname"]) == ("pw with spaces", "warehouse")
    assert "pw with spaces" not in find_target(None, env).where


def test_database_url_wins_over_every_variable() -> None:
    target = find_target("postgresql://u@db.example:5433/w", {"DBT_POSTGRES_HOST": "other"})
    assert conninfo_to_dict(target.conninfo)["host"] == "db.example"
    assert target.where == "db.example:5433, database w"


@pytest.mark.parametrize(
    ("missing", "dbt_name", "loader_name"),
    [
        ("host", "DBT_POSTGRES_HOST", "TARGET_POSTGRES_HOST"),
        ("user", "DBT_POSTGRES_USER", "TARGET_POSTGRES_USER"),
        ("database", "DBT_POSTGRES_DBNAME", "TARGET_POSTGRES_DATABASE"),
    ],
)
def test_a_missing_host_user_or_database_is_an_error_naming_them_never_a_default(
    missing: str, dbt_name: str, loader_name: str
) -> None:
    # The dbt utility's profile stops on the same three (docs/connection.md).
    env = {
        "TARGET_POSTGRES_HOST": "loader.internal",
        "TARGET_POSTGRES_USER": "loader",
        "TARGET_POSTGRES_DATABASE": "warehouse",
    }
    del env[loader_name]
    with pytest.raises(BadInput) as caught:
        find_target(None, env)
    message = str(caught.value)
    assert "database_url" in message
    assert dbt_name in message
    assert loader_name in message
    assert f"meltano config set target-postgres {missing} ..." in message


def test_a_loader_on_sqlalchemy_url_is_read_through_it_and_ssl_follows_the_loader() -> None:
    env = {"TARGET_POSTGRES_SQLALCHEMY_URL": "postgresql+psycopg://u:pw@db.example:6000/w"}
    params = conninfo_to_dict(find_target(None, env).conninfo)
    assert (params["host"], params["port"], params["dbname"]) == ("db.example", "6000", "w")
    loader = {
        "TARGET_POSTGRES_HOST": "h",
        "TARGET_POSTGRES_USER": "u",
        "TARGET_POSTGRES_DATABASE": "d",
    }
    assert conninfo_to_dict(find_target(None, loader).conninfo)["sslmode"] == "prefer"
    secure = loader | {"TARGET_POSTGRES_SSL_ENABLE": "true"}
    assert conninfo_to_dict(find_target(None, secure).conninfo)["sslmode"] == "verify-full"
    own = secure | {"DBT_POSTGRES_SSLMODE": "require"}
    assert conninfo_to_dict(find_target(None, own).conninfo)["sslmode"] == "require"


def test_the_schema_is_the_dbt_utilitys_models_schema() -> None:
    assert models_schema({}) == "openai_audit_models"
    assert models_schema({"DBT_POSTGRES_SOURCE_SCHEMA": "src"}) == "src_models"
    assert models_schema({"TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": "acme"}) == "acme_models"
    assert (
        models_schema({"DBT_POSTGRES_SCHEMA": "m", "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": "a"})
        == "m"
    )


def test_a_destination_is_named_by_scheme_and_key_never_by_its_parts() -> None:
    url = f"slack://{SECRET}/B0000/C0000/#alerts"
    (destination,) = load_destinations([url, url])  # the same URL twice is one destination
    assert destination.key == destination_key(url)
    assert len(destination.key) == 64
    assert destination.label == f"slack://…#{destination.key[:8]}"
    assert SECRET not in destination.label
    assert destination_key(url + "x") != destination.key

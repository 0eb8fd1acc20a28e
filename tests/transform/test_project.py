"""The dbt package and the Meltano utility agree with each other and with the loader."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tap_openai_audit.inventory.endpoints import ENDPOINTS, Kind
from tap_openai_audit.inventory.schema import id_columns
from tests.services import PROJECT_ROOT

from .support import TRANSFORM

MELTANO = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text(encoding="utf-8"))
PROFILE = (TRANSFORM / "profiles" / "postgres" / "profiles.yml").read_text(encoding="utf-8")
SOURCES = (TRANSFORM / "models" / "staging" / "src_openai_audit.yml").read_text(encoding="utf-8")

# The models docs/transform.md names, and where each lives.
CONTRACT = {
    "staging": ["stg_openai_audit__events"],
    "ocsf": ["openai_audit__ocsf_events"],
    "detections": ["openai_audit__alerts"],
    "access_review": ["openai_audit__access_review"],
    "coverage": ["openai_audit__coverage", "openai_audit__coverage_gaps"],
}
STREAMS = [endpoint.stream for endpoint in ENDPOINTS]  # the tap's 19 inventory streams


def _plugin(kind: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in MELTANO["plugins"][kind] if p["name"] == name)
    return found


# (dbt-postgres setting, the loader's setting naming the same value) as the profile reads them.
MIRRORS = {
    "HOST": "HOST",
    "PORT": "PORT",
    "USER": "USER",
    "PASSWORD": "PASSWORD",
    "DBNAME": "DATABASE",
}


def _profile_value(key: str) -> str:
    """The Jinja of one key of the profile's output, on one line."""
    match = re.search(rf"\n      {key}: (?:>-\n)?(.*?)\n      [a-z_]+:", PROFILE, flags=re.DOTALL)
    assert match, key
    return " ".join(match.group(1).split())


def test_the_utility_installs_from_exact_pins_and_skips_clean_and_deps() -> None:
    utility = _plugin("utilities", "dbt-postgres")
    assert utility["pip_url"].split() == [
        "dbt-core==1.11.16",
        "dbt-postgres==1.11.0",
        "meltano-dbt-ext==0.5.0",
    ]
    settings = {s["name"]: s for s in utility["settings"]}
    # meltano-dbt-ext and dbt read these names, not Meltano's DBT_POSTGRES_<SETTING>
    assert {name: settings[name].get("env") for name in settings if "env" in settings[name]} == {
        "type": "DBT_EXT_TYPE",
        "project_dir": "DBT_PROJECT_DIR",
        "profiles_dir": "DBT_PROFILES_DIR",
        "skip_pre_invoke": "DBT_EXT_SKIP_PRE_INVOKE",
    }
    assert settings["skip_pre_invoke"]["value"] is True
    assert settings["type"]["value"] == "postgres"
    # The jobs' build leaves the package's unit tests out; build-all and unit-test run them.
    assert utility["commands"]["build"]["args"] == "build --exclude-resource-type unit_test"
    assert utility["commands"]["build-all"]["args"] == "build"
    assert utility["commands"]["unit-test"]["args"] == "test --select test_type:unit"
    assert utility["env"]["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"


def test_dbt_connects_where_the_loader_writes_unless_told_otherwise() -> None:
    loader = _plugin("loaders", "target-postgres")
    # No server in meltano.yml, where only the loader would see it: every connection setting is
    # env_specific, so `meltano config set` writes it to .env, which the utility reads too.
    assert not set(loader["config"]) & {"host", "port", "user", "database", "sqlalchemy_url"}
    connection = {"host", "port", "user", "password", "database", "sqlalchemy_url"}
    connection |= {"default_target_schema", "ssl_enable", "ssl_mode"}
    specific = {s["name"] for s in loader["settings"] if s.get("env_specific")}
    assert connection <= specific
    # The utility's connection settings are left unset, so that the profile's fallbacks apply.
    assert not set(_plugin("utilities", "dbt-postgres").get("config", {})) & {
        "host",
        "port",
        "user",
        "password",
        "dbname",
        "schema",
        "source_schema",
    }
    for dbt_name, loader_name in MIRRORS.items():
        value = _profile_value(dbt_name.lower())
        assert value.index(f"DBT_POSTGRES_{dbt_name}") < value.index(
            f"TARGET_POSTGRES_{loader_name}"
        ), dbt_name
    # No server, user or database of dbt's own: the last resort names the loader's variable.
    for key, variable in (("host", "HOST"), ("user", "USER"), ("dbname", "DATABASE")):
        assert f"or env_var('TARGET_POSTGRES_{variable} (the loader" in _profile_value(key)
        assert "localhost" not in _profile_value(key)
        assert "'postgres'" not in _profile_value(key)
    schema = loader["config"]["default_target_schema"]
    assert f"or '{schema}') ~ '_models'" in _profile_value("schema")
    # the source schema: the var, the utility's setting, the loader's variable, its default
    assert f"or '{schema}'" in SOURCES


def test_every_model_of_the_contract_and_every_inventory_stream_has_its_file() -> None:
    for folder, models in CONTRACT.items():
        for model in models:
            assert (TRANSFORM / "models" / folder / f"{model}.sql").is_file(), model
    for stream in STREAMS:
        assert (TRANSFORM / "models" / "staging" / f"stg_openai_audit__{stream}.sql").is_file()
    assert len(STREAMS) == 19


def _raw_columns() -> dict[str, list[list[str]]]:
    """macros/raw_columns.sql's table of columns, read as the Python literals its Jinja is."""
    text = (TRANSFORM / "macros" / "raw_columns.sql").read_text(encoding="utf-8")
    body = text.split("{% macro openai_audit_raw_columns(table_name) %}", 1)[1]
    namespace: dict[str, Any] = {}
    for name, literal in re.findall(r"\{%- set (\w+) = (.*?) -%\}", body, flags=re.DOTALL):
        if name == "columns":
            break
        namespace[name] = eval(literal, {"__builtins__": {}}, namespace)  # noqa: S307 - our own file
    tables: dict[str, list[list[str]]] = namespace["tables"]
    return tables


def test_staging_reads_the_columns_of_the_taps_endpoint_table() -> None:
    """The inventory columns staging types are the tap's own table of endpoints (FIELDS)."""
    types = {
        Kind.STRING: "text",
        Kind.INTEGER: "bigint",
        Kind.BOOLEAN: "boolean",
        Kind.UNIXTIME: "timestamptz",
        Kind.JSON: "jsonb",
    }
    tables = _raw_columns()
    assert set(tables) == {"audit_logs", "audit_log_reads", *STREAMS}
    for endpoint in ENDPOINTS:
        expected = dict.fromkeys(id_columns(endpoint), "text")
        expected |= {
            name: types[kind] for name, kind in endpoint.fields.items() if name not in expected
        }
        assert dict(tables[endpoint.stream]) == expected, endpoint.stream

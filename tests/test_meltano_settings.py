"""`meltano.yml` mirrors the tap exactly, and its plugins are fully defined and pinned."""

from __future__ import annotations

import copy
import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from singer_sdk.mapper import PluginMapper

from openai_audit_emulator import default_events
from tap_openai_audit.audit_log.records import make_storable, to_record
from tap_openai_audit.audit_log.schema import AUDIT_LOG_SCHEMA
from tap_openai_audit.tap import TapOpenAIAudit

PROJECT = yaml.safe_load((Path(__file__).parent.parent / "meltano.yml").read_text("utf-8"))
# JSON-schema type -> Meltano setting kind. A secret is `kind: password` (see below).
FIX = "run `.venv/bin/python scripts/sync_settings.py` to copy the tap's settings again"
KINDS = {"integer": "integer", "boolean": "boolean"}
KINDS |= {"array": "array", "object": "object", "string": "string"}


def _plugin(plugin_type: str, name: str) -> dict[str, Any]:
    plugins = [p for p in PROJECT["plugins"][plugin_type] if p["name"] == name]
    assert len(plugins) == 1, f"{plugin_type} {name} must be defined once"
    plugin: dict[str, Any] = plugins[0]
    return plugin


def _about_settings() -> dict[str, dict[str, Any]]:
    """The settings `tap-openai-audit --about --format=json` lists, builtin ones included."""
    properties: dict[str, dict[str, Any]] = TapOpenAIAudit._get_about_info().settings["properties"]
    return properties


def _expected_kind(schema: dict[str, Any]) -> str:
    if schema.get("secret"):
        return "password"
    types = [t for t in schema["type"] if t != "null"]
    if types == ["number", "string"]:
        return "string"  # Meltano 4.4.1 cannot serialize `kind: decimal` values
    (json_type,) = types
    return KINDS[json_type]  # date-times too: `date_iso8601` rewrites what the user typed


TAP = _plugin("extractors", "tap-openai-audit")


def test_settings_are_exactly_the_taps_in_the_same_order() -> None:
    assert [s["name"] for s in TAP["settings"]] == list(_about_settings()), FIX


@pytest.mark.parametrize("name", list(_about_settings()))
def test_each_setting_has_the_taps_kind_label_and_description(name: str) -> None:
    schema = _about_settings()[name]
    (setting,) = [s for s in TAP["settings"] if s["name"] == name]
    assert setting["kind"] == _expected_kind(schema), FIX
    assert setting["label"] == schema["title"], FIX
    assert setting["description"] == schema["description"], FIX
    assert setting.get("sensitive", False) is bool(schema.get("secret"))
    # `meltano config list` shows the tap's default (the user agent's names the version).
    default = schema.get("default")
    if default is None or name == "user_agent":
        assert "value" not in setting, FIX
    else:
        kind = setting["kind"]
        assert setting["value"] == (str(default) if kind == "string" else default), FIX


def test_the_admin_key_is_a_sensitive_password() -> None:
    (setting,) = [s for s in TAP["settings"] if s["name"] == "admin_api_key"]
    assert setting["kind"] == "password"
    assert setting["sensitive"] is True
    assert "admin_api_key" not in TAP.get("config", {}), "no key in a committed file"


def test_the_extractor_is_the_local_package_with_its_real_capabilities() -> None:
    assert TAP["namespace"] == "tap_openai_audit"
    assert TAP["pip_url"] == "-e ."
    assert TAP["executable"] == "tap-openai-audit"
    about = {str(c) for c in TapOpenAIAudit._get_about_info().capabilities}
    assert set(TAP["capabilities"]) == about


@pytest.mark.parametrize("name", ["tap-openai-audit-reconcile", "tap-openai-audit-pseudonymized"])
def test_inheriting_extractors_use_only_the_taps_settings(name: str) -> None:
    plugin = _plugin("extractors", name)
    assert plugin["inherit_from"] == "tap-openai-audit"
    assert set(plugin.get("config", {})) <= set(_about_settings())


def test_one_extractor_reads_both_scopes_and_the_reconcile_one_re_reads_30_days() -> None:
    names = {p["name"] for p in PROJECT["plugins"]["extractors"]}
    assert "tap-openai-audit-tenant" not in names  # 0.1.0's second extractor is gone
    assert _plugin("extractors", "tap-openai-audit-reconcile")["config"] == {
        "lookback_window": 30 * 86_400
    }


def test_the_reconcile_job_runs_daily_beside_the_hourly_one() -> None:
    jobs = {job["name"]: job["tasks"] for job in PROJECT["jobs"]}
    # Each load ends with the dbt build of transform/ (incremental: it costs what is new), then
    # sends the alerts it raised (openai-audit-notify: one line and exit 0 without destinations).
    assert jobs["openai-audit-to-postgres"] == [
        "tap-openai-audit target-postgres dbt-postgres:build openai-audit-notify:send"
    ]
    assert jobs["openai-audit-reconcile-to-postgres"] == [
        "tap-openai-audit-reconcile target-postgres dbt-postgres:build openai-audit-notify:send"
    ]
    schedules = {s["job"]: s["interval"] for s in PROJECT["schedules"]}
    assert schedules == {
        "openai-audit-to-postgres": "@hourly",
        "openai-audit-reconcile-to-postgres": "@daily",
    }


@pytest.mark.parametrize("name", ["target-postgres", "target-duckdb"])
def test_loaders_are_fully_defined_and_pinned(name: str) -> None:
    loader = _plugin("loaders", name)
    assert {"namespace", "pip_url", "executable", "settings", "config"} <= set(loader)
    for requirement in loader["pip_url"].split():
        assert "==" in requirement, f"{requirement} is not pinned"
    declared = {s["name"] for s in loader["settings"]}
    assert set(loader["config"]) <= declared


def test_target_postgres_is_the_meltanolabs_variant_with_a_password_key() -> None:
    loader = _plugin("loaders", "target-postgres")
    assert loader["variant"] == "meltanolabs"
    assert loader["pip_url"].startswith("meltanolabs-target-postgres==")
    # 0.8.1 refuses to start without the key, even under trust authentication.
    assert loader["config"]["password"] == ""
    (password,) = [s for s in loader["settings"] if s["name"] == "password"]
    assert password["sensitive"] is True


def test_duckdb_is_pinned_below_the_version_that_drops_a_row_per_batch() -> None:
    pins = dict(r.split("==") for r in _plugin("loaders", "target-duckdb")["pip_url"].split())
    major, minor = (int(part) for part in pins["duckdb"].split(".")[:2])
    assert (major, minor) < (1, 3)


def test_the_project_sends_no_usage_statistics() -> None:
    assert PROJECT["send_anonymous_usage_stats"] is False
    assert PROJECT["default_environment"] in {e["name"] for e in PROJECT["environments"]}


def _pseudonymizer(map_config: dict[str, Any]) -> PluginMapper:
    config = _plugin("extractors", "tap-openai-audit-pseudonymized")["config"]
    mapper = PluginMapper(
        plugin_config={**config, "stream_map_config": map_config},
        logger=logging.getLogger("test"),
    )
    mapper.register_raw_stream_schema("audit_logs", AUDIT_LOG_SCHEMA, ["id"])
    return mapper


def _emails(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k == "email" and isinstance(v, str)]
        return found + [e for v in value.values() for e in _emails(v)]
    return []


def test_the_pseudonymizing_map_replaces_every_actor_email_by_its_salted_hash() -> None:
    (stream_map,) = _pseudonymizer({"email_salt": "pepper"}).stream_maps["audit_logs"]
    records = [to_record(event) for event in default_events()[:500]]
    hashed = 0
    for record in records:
        mapped = stream_map.transform(dict(record))
        assert mapped is not None
        originals, results = _emails(record["actor"]), _emails(mapped["actor"])
        assert len(originals) == len(results)
        for original, result in zip(originals, results, strict=True):
            assert result == hashlib.sha256(f"pepper{original}".encode()).hexdigest()
            hashed += 1
        assert {k: v for k, v in mapped.items() if k != "actor"} == {
            k: v for k, v in record.items() if k != "actor"
        }
    assert hashed > 100  # sessions and user keys both occur
    assert (
        stream_map.transformed_schema["properties"]["actor"]
        == AUDIT_LOG_SCHEMA["properties"]["actor"]
    )


def test_the_pseudonymizing_map_fails_without_a_salt_rather_than_hash_unsalted() -> None:
    (stream_map,) = _pseudonymizer({}).stream_maps["audit_logs"]
    event = next(e for e in default_events() if _emails(e.get("actor")))
    with pytest.raises(KeyError, match="email_salt"):
        stream_map.transform(to_record(event))


def _session(user: object) -> dict[str, Any]:
    return {"type": "session", "session": {"user": user, "ip_address": "192.0.2.1"}}


def _api_key(user: object) -> dict[str, Any]:
    return {"type": "api_key", "api_key": {"id": "key_1", "type": "user", "user": user}}


# Actors with no non-empty string at the e-mail path of their type: the map passes them as sent.
ACTORS_WITHOUT_AN_EMAIL: list[object] = [
    None,
    "a string",
    "",
    42,
    -1.5,
    True,
    False,
    [],
    [_session({"email": "a@example.com"})],
    {},
    {"type": None},
    {"type": "session"},
    {"type": "session", "session": None},
    {"type": "session", "session": []},
    {"type": "session", "session": "s"},
    {"type": "session", "session": 0},
    {"type": "session", "session": {}},
    {"type": "session", "session": {"user": "x"}},
    {"type": "session", "session": {"user": ["a@example.com"]}},
    _session(None),
    _session({}),
    _session({"email": 7}),
    _session({"email": None}),
    _session({"email": True}),
    _session({"email": ["a@example.com"]}),
    _session({"email": {"address": "a@example.com"}}),
    _session({"email": ""}),
    {"type": "api_key"},
    {"type": "api_key", "api_key": None},
    {"type": "api_key", "api_key": 7},
    {"type": "api_key", "api_key": [{"user": {"email": "a@example.com"}}]},
    _api_key(None),
    _api_key("x"),
    _api_key({"email": 7.5}),
    _api_key({"email": ""}),
    {"type": "service_account", "service_account": {"id": "svc_1"}},
    {"type": ["session"], "session": {"user": {"email": "a@example.com"}}},
    {"type": {"session": 1}, "session": {"user": {"email": "a@example.com"}}},
    # Only the path of the actor's own type is read (as before).
    {"type": "api_key", "session": {"user": {"email": "a@example.com"}}},
    {"type": "session", "api_key": {"user": {"email": "a@example.com"}}},
]

# (actor, the keys leading to its e-mail): the map replaces that one value by its salted hash.
ACTORS_WITH_AN_EMAIL: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    (_session({"id": "user-1", "email": "a@example.com"}), ("session", "user", "email")),
    (_api_key({"id": "user-1", "email": "a@example.com"}), ("api_key", "user", "email")),
    (_session({"email": "z\ufffdo\ufffd@example.com"}), ("session", "user", "email")),
    (_api_key({"email": "zo\u00eb@\u4f8b\u3048.jp"}), ("api_key", "user", "email")),
    (_session({"email": '{"looks": "like an object"}'}), ("session", "user", "email")),
    (_session({"email": '"quoted"'}), ("session", "user", "email")),
    (_session({"email": "x"}), ("session", "user", "email")),
    # Longer than simpleeval lets `+` build (100,000 characters).
    (_session({"email": "a" * 200_000 + "@example.com"}), ("session", "user", "email")),
    (
        {**_api_key({"email": "a@example.com", "extra": [1, None]}), "more": {"x": [{}]}},
        ("api_key", "user", "email"),
    ),
]


def _map_actor(actor: object, map_config: dict[str, Any]) -> object:
    (stream_map,) = _pseudonymizer(map_config).stream_maps["audit_logs"]
    record = {"id": "audit_log-1", "type": "login.succeeded", "actor": actor, "payload": None}
    sent = copy.deepcopy(record)
    mapped = stream_map.transform(record)
    assert record == sent, "the map must not change the record it was given"
    assert mapped is not None
    assert {k: v for k, v in mapped.items() if k != "actor"} == {
        k: v for k, v in sent.items() if k != "actor"
    }
    return mapped["actor"]


@pytest.mark.parametrize("actor", ACTORS_WITHOUT_AN_EMAIL, ids=repr)
def test_the_pseudonymizing_map_passes_an_actor_without_an_email_unchanged(actor: object) -> None:
    assert _map_actor(copy.deepcopy(actor), {"email_salt": "pepper"}) == actor


@pytest.mark.parametrize(("actor", "path"), ACTORS_WITH_AN_EMAIL, ids=lambda v: repr(v)[:80])
def test_the_pseudonymizing_map_hashes_the_email_of_any_actor_that_has_one(
    actor: dict[str, Any], path: tuple[str, ...]
) -> None:
    expected = copy.deepcopy(actor)
    parent = expected
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = hashlib.sha256(f"pepper{parent[path[-1]]}".encode()).hexdigest()
    assert _map_actor(copy.deepcopy(actor), {"email_salt": "pepper"}) == expected


def test_an_email_with_a_lone_surrogate_is_hashed_once_the_tap_has_made_it_storable() -> None:
    event = {
        "id": "audit_log-1",
        "type": "login.succeeded",
        "effective_at": 1_764_547_200,
        "actor": _session({"email": "a\ud800b\u0000@example.com"}),
    }
    assert make_storable([event]) == [("audit_log-1", 1)]
    (stream_map,) = _pseudonymizer({"email_salt": "pepper"}).stream_maps["audit_logs"]
    mapped = stream_map.transform(to_record(event))
    assert mapped is not None
    email = "a\ufffdb\ufffd@example.com"
    assert mapped["actor"] == _session(
        {"email": hashlib.sha256(f"pepper{email}".encode()).hexdigest()}
    )

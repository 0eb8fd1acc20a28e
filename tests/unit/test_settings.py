from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError

from tap_openai_audit import __version__
from tap_openai_audit.errors import MissingKeyError
from tap_openai_audit.settings import CONFIG_SCHEMA, Settings
from tap_openai_audit.tap import TapOpenAIAudit

VALID: dict[str, Any] = {"admin_api_key": "sk-admin-test", "api_url": "http://127.0.0.1:9/v1"}

# Every invalid value of every setting (README, "Settings"), with the setting its message must name.
INVALID: list[tuple[str, Any]] = [
    ("admin_api_key", ""),
    ("admin_api_key", 42),
    ("api_url", "ftp://example.com/v1"),
    ("api_url", "not a url"),
    ("api_url", "http://api.example.com/v1"),
    ("api_url", 7),
    ("start_date", "yesterday"),
    ("start_date", "2026-13-01T00:00:00Z"),
    ("start_date", 1700000000),
    ("end_date", "2026-02-30"),
    ("lookback_window", -1),
    ("lookback_window", 1.5),
    ("lookback_window", "600"),
    ("window_size_days", 0),
    ("window_size_days", -1),
    ("window_size_days", 0.000001),
    ("window_size_days", "one day"),
    ("window_size_days", "0"),
    ("window_size_days", "-2"),
    ("page_size", 0),
    ("page_size", 101),
    ("page_size", 2.5),
    ("event_types", "api_key.created"),
    ("event_types", [1, 2]),
    ("event_types", [""]),
    ("project_ids", "proj_1"),
    ("actor_ids", [None]),
    ("actor_emails", {"a": "b"}),
    ("resource_ids", [["nested"]]),
    ("tenant_only", "yes"),
    ("scopes", []),
    ("scopes", ["organisation"]),
    ("scopes", ["tenant", "tenant"]),
    ("scopes", "tenant"),
    ("request_timeout", 0),
    ("request_timeout", -5),
    ("request_timeout", "0"),
    ("request_timeout", "soon"),
    ("max_concurrency", 0),
    ("max_concurrency", 17),
    ("user_agent", ""),
]


def _errors(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigValidationError) as caught:
        TapOpenAIAudit(config=config, parse_env_config=False, validate_config=True)
    return caught.value.errors


@pytest.mark.parametrize(("name", "value"), INVALID)
def test_each_invalid_value_is_refused_naming_its_setting(name: str, value: Any) -> None:
    errors = _errors({**VALID, name: value})
    assert any(name in error for error in errors), errors


def test_end_date_before_start_date_is_refused() -> None:
    errors = _errors({**VALID, "start_date": "2026-02-01", "end_date": "2026-01-01T00:00:00Z"})
    assert errors == ["end_date: must be later than start_date."]


def test_a_missing_key_names_every_place_it_can_come_from() -> None:
    with pytest.raises(ValueError, match="admin_api_key") as caught:
        Settings.from_config({"api_url": VALID["api_url"]})
    assert "TAP_OPENAI_AUDIT_ADMIN_API_KEY" in str(caught.value)
    assert "--config ENV" in str(caught.value)


def test_discovery_needs_no_key() -> None:
    tap = TapOpenAIAudit(config={"api_url": VALID["api_url"]}, parse_env_config=False)
    names = {stream["tap_stream_id"] for stream in tap.catalog_dict["streams"]}
    assert {"audit_logs", "audit_log_reads"} <= names


def test_a_sync_without_a_key_is_refused_before_any_request() -> None:
    tap = TapOpenAIAudit(config={"api_url": "http://127.0.0.1:9/v1"}, parse_env_config=False)
    with pytest.raises(MissingKeyError, match="admin_api_key: not set"):
        tap.sync_all()


def test_the_key_never_falls_back_to_openai_admin_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-from-env")
    with pytest.raises(ValueError, match="admin_api_key: not set"):
        Settings.from_config({})


def test_the_key_is_never_in_the_settings_repr() -> None:
    settings = Settings.from_config({"admin_api_key": "sk-admin-from-config"})
    assert "sk-admin-from-config" not in repr(settings)


def test_defaults_are_the_documented_ones() -> None:
    settings = Settings.from_config({"admin_api_key": "k"})
    assert settings.api_url == "https://api.openai.com/v1"
    assert settings.start is None
    assert settings.end is None
    assert settings.lookback_seconds == 3600
    assert settings.window_seconds == 86_400
    assert settings.page_size == 100
    assert settings.filters == ()
    assert settings.scopes == ("organization", "tenant")
    assert settings.request_timeout == 60
    assert settings.max_concurrency == 4
    assert settings.user_agent == f"tap-openai-audit/{__version__}"


def test_dates_without_offset_are_utc_and_fractions_of_days_allowed() -> None:
    settings = Settings.from_config(
        {"admin_api_key": "k", "start_date": "2026-01-01", "window_size_days": 0.25}
    )
    assert settings.start == 1_767_225_600
    assert settings.window_seconds == 21_600


def test_decimal_settings_also_come_as_strings_as_meltano_passes_them() -> None:
    settings = Settings.from_config(
        {"admin_api_key": "k", "window_size_days": "0.5", "request_timeout": " 7.5 "}
    )
    assert settings.window_seconds == 43_200
    assert settings.request_timeout == 7.5
    tap = TapOpenAIAudit(config={**VALID, "window_size_days": "0.5"}, parse_env_config=False)
    assert tap.config["window_size_days"] == "0.5"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.8.9.10"])
def test_plain_http_is_accepted_for_loopback_only(host: str) -> None:
    settings = Settings.from_config({"admin_api_key": "k", "api_url": f"http://{host}:1/v1/"})
    assert settings.api_url == f"http://{host}:1/v1"


def test_unknown_event_types_are_passed_on_not_refused() -> None:
    settings = Settings.from_config(
        {"admin_api_key": "k", "event_types": ["api_key.created", "widget.made"]}
    )
    assert settings.unknown_event_types() == [1]  # a position: filter values are never logged


def test_the_key_is_declared_secret() -> None:
    assert CONFIG_SCHEMA["properties"]["admin_api_key"]["secret"] is True


def test_a_leftover_tenant_only_reads_as_the_tenant_scope() -> None:
    settings = Settings.from_config({"admin_api_key": "k", "tenant_only": True})
    assert settings.scopes == ("tenant",)
    assert Settings.from_config({"admin_api_key": "k", "tenant_only": False}).scopes == (
        "organization",
        "tenant",
    )


def test_event_types_are_split_by_scope_and_an_empty_scope_is_skipped() -> None:
    settings = Settings.from_config(
        {"admin_api_key": "k", "event_types": ["login.failed", "a.new.type"], "project_ids": ["p"]}
    )
    assert settings.scope_filters("organization") == (
        ("event_types", ("login.failed", "a.new.type")),
        ("project_ids", ("p",)),
    )
    assert settings.scope_filters("tenant") is None
    assert settings.active_scopes() == ("organization",)

"""Canaries for the tap's use of singer-sdk internals: an SDK upgrade that changes one fails here.

The tap overrides a few private SDK methods (for speed, or to fail loudly where the SDK stays
quiet). A private method can change in any release without notice, and the override would
then silently diverge from what the SDK now does. Each override, and each private SDK name the
tap calls, is listed below with a digest of the SDK's source of it. When a digest stops
matching, read the SDK's new version, re-check the tap's code named in the message, then put
the new digest here.
"""

from __future__ import annotations

import hashlib
import inspect
from importlib import metadata as installed
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk import Tap
from singer_sdk.streams.core import Stream as SdkStream

from openai_audit_emulator import generate_events
from tap_openai_audit.audit_log.records import to_record
from tap_openai_audit.tap import TapOpenAIAudit

if TYPE_CHECKING:
    from collections.abc import Iterator

# SDK name -> (sha256 of its source, first 16 hex digits; what in the tap depends on it).
GUARDED: dict[str, tuple[str, str]] = {
    "singer_sdk.tap_base.Tap._handle_termination": (
        "2bb79ae47769883a",
        "TapOpenAIAudit._handle_termination: writes the state like the SDK, then exits 128+signal",
    ),
    "singer_sdk.plugin_base.PluginBase._handle_termination": (
        "d467c7407cf55b00",
        "TapOpenAIAudit._handle_termination: replaces the SDK's exit 0 with 128+signal",
    ),
    "singer_sdk.plugin_base.PluginBase._validate_config": (
        "0584b9e347e353fa",
        "TapOpenAIAudit._validate_config: runs the SDK's schema check first, then its own",
    ),
    "singer_sdk.tap_base.Tap.cb_test": (
        "4f1ea14c3ccb8338",
        "TapOpenAIAudit.cb_test: hands every --test value but the bare flag to the SDK",
    ),
    "singer_sdk.streams.core.Stream._generate_record_messages": (
        "9b5f9fbcdedb7a1a",
        "AuditLogsStream._generate_record_messages: the SDK's path minus the selection walk",
    ),
    "singer_sdk.streams.core.Stream._increment_stream_state": (
        "cabc0edb2fd4f000",
        "AuditLogsStream._increment_stream_state: a no-op, the bookmark moves per window",
    ),
    "singer_sdk.streams.core.Stream._write_schema_message": (
        "4077b24e5440fdef",
        "AuditLogReadsStream.write_row (ledger.py) writes the ledger's SCHEMA once through it",
    ),
    "singer_sdk.streams.core.Stream._write_record_message": (
        "292b7bed39883bd9",
        "AuditLogReadsStream.write_row (ledger.py) writes each ledger row through it",
    ),
    "singer_sdk.streams.core.Stream._write_activate_version_message": (
        "b5295d35a81b3da6",
        "SnapshotStream.get_records: ACTIVATE_VERSION after a whole snapshot (and _stream_version)",
    ),
    "singer_sdk.helpers._util.utc_now": (
        "79d85139ddece0a3",
        "AuditLogsStream._generate_record_messages stamps time_extracted with it",
    ),
    "singer_sdk.streams.core.Stream._write_state_message": (
        "f82ecd8d16986823",
        "AuditLogsStream._complete calls it after each completed window",
    ),
}


def _digest(qualified_name: str) -> str:
    module_name, class_name, attribute = qualified_name.rsplit(".", 2)
    module = __import__(module_name, fromlist=[class_name])
    member = inspect.getattr_static(getattr(module, class_name), attribute)
    function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
    source = inspect.getsource(function)
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def _project_classes() -> Iterator[type[Any]]:
    """The tap class and every class of its streams, with their project-side bases."""
    tap = TapOpenAIAudit(config={}, parse_env_config=False, validate_config=False)
    seen: set[type[Any]] = set()
    classes: list[type[Any]] = [TapOpenAIAudit, *(type(s) for s in tap.streams.values())]
    for cls in classes:
        for base in cls.__mro__:
            if base.__module__.startswith("tap_openai_audit") and base not in seen:
                seen.add(base)
                yield base


def _sdk_definition(cls: type[Any], name: str) -> str | None:
    """`module.Class.name` of the SDK method that `cls.name` overrides, if any."""
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("singer_sdk.") and name in vars(base):
            return f"{base.__module__}.{base.__qualname__}.{name}"
    return None


def _private_overrides() -> Iterator[tuple[str, str]]:
    for cls in _project_classes():
        for name, member in vars(cls).items():
            is_method = inspect.isfunction(member) or isinstance(
                member, (classmethod, staticmethod, property)
            )
            if is_method and name.startswith("_") and not name.startswith("__"):
                sdk_name = _sdk_definition(cls, name)
                if sdk_name is not None:
                    yield f"{cls.__qualname__}.{name}", sdk_name


@pytest.mark.parametrize("sdk_name", sorted(GUARDED))
def test_the_sdk_source_under_each_override_is_the_one_checked(sdk_name: str) -> None:
    expected, depends = GUARDED[sdk_name]
    actual = _digest(sdk_name)
    assert actual == expected, (
        f"singer-sdk {installed.version('singer-sdk')} changed {sdk_name}. "
        f"Re-check {depends}; then set its digest here to {actual!r}."
    )


def test_every_private_override_is_guarded() -> None:
    unguarded = {
        override: sdk_name for override, sdk_name in _private_overrides() if sdk_name not in GUARDED
    }
    assert unguarded == {}, (
        "These override private singer-sdk methods without a canary: add each SDK method to "
        "GUARDED in tests/unit/test_sdk_surface.py (and a test comparing it with the SDK's "
        f"path where it exists for speed): {unguarded}"
    )


def test_the_state_writer_the_tap_uses_is_the_sdks_public_property() -> None:
    assert isinstance(inspect.getattr_static(Tap, "state_writer"), property)


def _messages_both_ways(config: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The audit_logs stream's RECORD messages for the same records, fast path and SDK path."""
    tap = TapOpenAIAudit(config=config, parse_env_config=False)
    stream = tap.streams["audit_logs"]
    events = generate_events(seed=11, count=300, start=1_760_000_000, end=1_760_086_400)
    odd = {"id": "audit_log-odd", "type": "widget.made", "effective_at": 1_760_000_001}
    events.append({**odd, "widget.made": {"a": [1, {"b": None}]}, "zzz": {"": {}}})
    fast, sdk = [], []
    for event in events:
        fast += [_comparable(m) for m in stream._generate_record_messages(to_record(event))]
        sdk += [
            _comparable(m) for m in SdkStream._generate_record_messages(stream, to_record(event))
        ]
    return fast, sdk


def _comparable(message: Any) -> dict[str, Any]:
    as_dict: dict[str, Any] = message.to_dict()
    as_dict.pop("time_extracted")  # the moment each path ran
    return as_dict


@pytest.mark.parametrize(
    "maps",
    [
        None,
        {"audit_logs": {"actor": "None", "kind": "type.upper()"}},
        {"audit_logs": {"__filter__": "type.startswith('login')"}},
        {"audit_logs": {"__alias__": "events"}, "events_copy": {"__source__": "audit_logs"}},
    ],
)
def test_the_fast_record_path_emits_what_the_sdks_own_path_emits(
    maps: dict[str, Any] | None,
) -> None:
    config: dict[str, Any] = {"admin_api_key": "k"}
    if maps is not None:
        config["stream_maps"] = maps
    fast, sdk = _messages_both_ways(config)
    assert sdk  # the comparison holds records
    assert fast == sdk
